"""The API object: token auth on every operation, its error responses, and its OpenAPI schema."""

from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import ValidationError

from findings.api import catalog, findings, scans
from findings.api.auth import TokenAuth, TokenRateThrottle
from findings.api.errors import FieldErrors

api = NinjaAPI(
    title="SecureScope API",
    version="1",
    description="Scans, findings, exports and mutes for automation. Authenticate with "
    "`Authorization: Bearer <token>`; create a token on the API tokens page.",
    auth=TokenAuth(),
    throttle=[TokenRateThrottle()],
    urls_namespace="api",
    # /api/docs (findings/api/urls.py) serves the interactive page, behind the sign-in.
    docs_url=None,
)
api.add_router("", scans.router)
api.add_router("", findings.router)
api.add_router("", catalog.router)


@api.exception_handler(FieldErrors)
def field_errors(request: HttpRequest, error: FieldErrors) -> HttpResponse:
    return api.create_response(
        request, {"detail": "Invalid input.", "errors": error.errors}, status=400
    )


@api.exception_handler(ValidationError)
def schema_errors(request: HttpRequest, error: ValidationError) -> HttpResponse:
    """A body or query that does not fit the schema: where and why, never the value sent."""
    errors: dict[str, list[str]] = {}
    for problem in error.errors:
        location = [
            str(part)
            for part in problem.get("loc", ())
            if part not in ("body", "query", "payload", "path")
        ]
        errors.setdefault(".".join(location) or "__all__", []).append(str(problem.get("msg", "")))
    return api.create_response(request, {"detail": "Invalid input.", "errors": errors}, status=400)
