"""Bearer-token authentication for the API: HTTPS only, request size, per-token rate, audit."""

from django.conf import settings
from django.http import HttpRequest
from ninja.errors import HttpError
from ninja.security import HttpBearer
from ninja.throttling import AuthRateThrottle

from findings.api.services import api_token_authenticate
from securescope.models import AuditEvent
from securescope.services import audit_record


class TokenRateThrottle(AuthRateThrottle):
    """Requests per token (not per user: each pipeline's token has its own budget)."""

    def __init__(self) -> None:
        super().__init__(f"{settings.API_RATE_PER_MINUTE}/m")

    def allow_request(self, request: HttpRequest) -> bool:
        # Read per request, so a changed setting (or a test's override) applies at once.
        self.num_requests, self.duration = self.parse_rate(f"{settings.API_RATE_PER_MINUTE}/m")
        return super().allow_request(request)

    def get_cache_key(self, request: HttpRequest) -> str:
        return self.cache_format % {"scope": "api-token", "ident": request.auth.id}


class TokenAuth(HttpBearer):
    """`Authorization: Bearer <token>`: the request then acts as the token's user
    (`request.user`); `request.auth` is the token."""

    def authenticate(self, request: HttpRequest, token: str):
        if settings.ENFORCE_HTTPS and not request.is_secure():
            # The token crossed the network in the clear: refuse it so it is not relied upon.
            raise HttpError(403, "API tokens are accepted over HTTPS only.")
        api_token = api_token_authenticate(secret=token)
        if api_token is None:
            return None
        if int(request.headers.get("Content-Length") or 0) > settings.API_MAX_BODY_BYTES:
            raise HttpError(413, f"The request body is over {settings.API_MAX_BODY_BYTES} bytes.")
        request.user = api_token.user
        audit_record(
            actor=api_token.user,
            action=AuditEvent.Action.API_REQUEST,
            target=f"api token {api_token.id}",
            detail={"method": request.method, "path": request.path, "prefix": api_token.prefix},
        )
        # Every API route reads or acts on findings: a token's user in no group gets nothing.
        permission_check(request, "findings.view_findings")
        # Ninja keeps it as request.auth: the rate limit counts per token.
        return api_token


def permission_check(request: HttpRequest, permission: str) -> None:
    if not request.user.has_perm(permission):
        raise HttpError(403, f"The token's user lacks the permission {permission}.")
