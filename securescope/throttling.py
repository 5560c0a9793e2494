"""Who is asking, for login throttling (django-axes)."""

from axes.backends import AxesStandaloneBackend
from django.conf import settings
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
