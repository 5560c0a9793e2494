"""The global severity filter: chosen once, kept in the session, applied to every page and export.

It is a floor ("high and above"); pages may narrow it further with their own filters but never
widen it.
"""

from django.http import HttpRequest

from securescope.severity import Severity

SESSION_KEY = "severity_floor"


def severity_floor(request: HttpRequest) -> str:
    """The chosen floor, or "" for every severity."""
    value = request.session.get(SESSION_KEY, "")
    return value if value in Severity.values else ""


def allowed_severities(request: HttpRequest) -> list[str]:
    floor = severity_floor(request)
    return Severity.at_or_above(floor) if floor else list(Severity.values)


def narrowed(request: HttpRequest, chosen: list[str] | None) -> list[str] | None:
    """The page's own severity choice within the global floor; None means "no filter"."""
    allowed = allowed_severities(request)
    if chosen:
        return [severity for severity in chosen if severity in allowed]
    return None if len(allowed) == len(Severity.values) else allowed


def severity_context(request: HttpRequest) -> dict[str, object]:
    """Template context processor: the header's severity picker."""
    if not getattr(request, "user", None) or not request.user.is_authenticated:
        return {}
    return {
        "severity_floor": severity_floor(request),
        "severity_choices": Severity.choices,
        "allowed_severities": allowed_severities(request),
    }
