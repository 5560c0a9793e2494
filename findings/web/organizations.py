"""Organization scans: the list, a run's roll-up (heat map, trends, drill-down), its exports."""

from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from findings.organizations import (
    organization_rollup,
    organization_run_list,
    rollup_csv,
    rollup_json,
)
from securescope.models import AuditEvent
from securescope.services import audit_record
from securescope.severity_floor import allowed_severities

RUNS_PER_PAGE = 50
EXPORT_TYPES = {"json": "application/json", "csv": "text/csv; charset=utf-8"}


@require_GET
def organization_list(request: HttpRequest) -> HttpResponse:
    page = Paginator(organization_run_list(), RUNS_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "findings/organization_list.html", {"page": page})


@require_GET
def organization_overview(request: HttpRequest, run_id: str) -> HttpResponse:
    rollup = organization_rollup(run_id=run_id, severities=allowed_severities(request))
    return render(request, "findings/organization.html", {"rollup": rollup})


@require_GET
def organization_export(request: HttpRequest, run_id: str, export_format: str) -> HttpResponse:
    if export_format not in EXPORT_TYPES:
        raise Http404("Organization roll-ups export as JSON or CSV")
    rollup = organization_rollup(run_id=run_id, severities=allowed_severities(request))
    body = rollup_json(rollup) if export_format == "json" else "".join(rollup_csv(rollup))
    response = HttpResponse(body, content_type=EXPORT_TYPES[export_format])
    name = f"securescope-organization-{rollup.run.id}.{export_format}"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    audit_record(
        actor=request.user,
        action=AuditEvent.Action.EXPORT_DOWNLOADED,
        target=f"organization run {rollup.run.id}",
        detail={"format": export_format},
    )
    return response
