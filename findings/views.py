from typing import Any

from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from findings.exports import CONTENT_TYPES, EXPORTERS
from findings.forms import FindingFilterForm
from findings.selectors import finding_count, finding_list
from scans.models import Scan
from scans.selectors import scan_get

PAGE_SIZE = 100


def _filters(request: HttpRequest) -> tuple[FindingFilterForm, dict[str, Any]]:
    form = FindingFilterForm(request.GET or None)
    cleaned = form.cleaned_data if form.is_valid() else {}
    return form, {
        "severities": cleaned.get("severity") or None,
        "status": cleaned.get("status") or None,
        "rule_ids": cleaned["rule"].split(",") if cleaned.get("rule") else None,
    }


def findings_context(request: HttpRequest, scan: Scan) -> dict[str, Any]:
    form, filters = _filters(request)
    paginator = Paginator(finding_list(scan_id=scan.id, **filters), PAGE_SIZE)
    # Paginator.count is a cached property: set, it spares a COUNT over the scan's findings.
    paginator.count = finding_count(scan=scan, **filters)
    page = paginator.get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return {"filter_form": form, "page": page, "filter_query": query.urlencode()}


@require_GET
def findings_table(request: HttpRequest, scan_id: str) -> HttpResponse:
    scan = scan_get(scan_id=scan_id)
    return render(
        request, "findings/_table.html", {"scan": scan, **findings_context(request, scan)}
    )


@require_GET
def findings_export(request: HttpRequest, scan_id: str, export_format: str) -> HttpResponse:
    if export_format not in EXPORTERS:
        raise Http404("Unknown export format")
    scan = scan_get(scan_id=scan_id)
    _, filters = _filters(request)
    findings = finding_list(scan_id=scan.id, **filters)
    response = StreamingHttpResponse(
        (chunk.encode() for chunk in EXPORTERS[export_format](scan, findings)),
        content_type=CONTENT_TYPES[export_format],
    )
    filename = f"securescope-{scan.id}.{export_format}"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
