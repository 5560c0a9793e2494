"""Who is asking, for login throttling (django-axes)."""

from axes.backends import AxesStandaloneBackend
from axes.handlers.database import AxesDatabaseHandler
from django.conf import settings
from django.db.models import Sum
from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str:
    """The peer's address, or behind a proxy the address that proxy saw.

    The proxy appends its peer to X-Forwarded-For, so the last entry is the one it vouches for;
    earlier entries come from the client and could name anyone.
    """
    if settings.BEHIND_PROXY:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        if forwarded.strip():
            return forwarded.split(",")[-1].strip()
    return request.META.get("REMOTE_ADDR", "")


class SignInThrottlingBackend(AxesStandaloneBackend):
    """django-axes' lockout check, for sign-ins that come with a request.

    Code that authenticates without one (a management command, a test) is not a sign-in over
    the network, has no address to count, and would otherwise be refused by django-axes.
    """

    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: object,
    ) -> None:
        if request is None:
            return None
        return super().authenticate(request, username, password, **kwargs)


class SignInLockoutHandler(AxesDatabaseHandler):
    """django-axes' database handler with a limit per lockout parameter: a user name from one
    address locks at `AXES_FAILURE_LIMIT`, an address whatever the user names only at the higher
    `LOGIN_ADDRESS_FAILURE_LIMIT`, so an office behind one NAT address is not locked out by a
    few colleagues' typos while a password spray from one address still is.
    """

    def get_failures(self, request: HttpRequest, credentials: dict | None = None) -> int:
        """The failures that count towards the lock (axes compares them to AXES_FAILURE_LIMIT):
        the user name's at this address, or the whole limit once the address is past its own."""
        per_user, per_address = (
            attempts.aggregate(total=Sum("failures_since_start"))["total"] or 0
            for attempts in self.get_user_attempts(request, credentials)
        )
        if per_address >= settings.LOGIN_ADDRESS_FAILURE_LIMIT:
            return max(per_user, settings.AXES_FAILURE_LIMIT)
        return per_user
