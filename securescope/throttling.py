"""Who is asking, for login throttling (django-axes)."""

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
