"""Findings over the API: the dashboard's filters with cursor pagination, exports and diffs."""

from http import HTTPStatus
from typing import Any

from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest
from ninja import Field, Query, Router, Schema

from findings.api.errors import FieldErrors
from findings.api.pagination import DEFAULT_LIMIT, MAX_LIMIT, keyset_page
from findings.api.schemas import DiffOut, ErrorOut, FieldErrorsOut, FindingOut, FindingPageOut
from findings.diff import CATEGORIES, scan_diff
from findings.export_snapshots import export_response
from findings.exports import EXPORTERS
from findings.selectors import MutedFilter, finding_get, finding_list
from findings.web.choices import finding_filter_choices
from findings.web.forms import FindingFilterForm
from scans.lifecycle.selectors import scan_get
from scans.models import Scan
from securescope.models import AuditEvent
from securescope.services import audit_record

router = Router(tags=["findings"])

DIFF_ROWS = 200


class FindingFilters(Schema):
    """The findings dashboard's filters (findings/web/forms.py FindingFilterForm)."""

    severity: list[str] = Field(default_factory=list)
    rule: str = Field("", description="Comma-separated rule ids")
    status: str = ""
    service: str = ""
    region: str = ""
    resource_type: str = ""
    section: str = Field("", description="<framework>:<section>, e.g. cis_aws_foundations:5.2")
    change: str = Field("", description="new, unchanged or resolved since the previous scan")
    muted: str = Field("", description='"" hides muted findings; include; only')
    q: str = Field("", description="Words of the rule title")
    sort: str = Field("", description="rule, severity, status, ...; a leading - reverses")


class FindingPageQuery(FindingFilters):
    cursor: str = ""
    limit: int = DEFAULT_LIMIT


def _valid_filters(scan: Scan, filters: FindingFilters) -> dict[str, Any]:
    form = FindingFilterForm(
        filters.dict(exclude={"cursor", "limit"}), choices=finding_filter_choices(scan=scan)
    )
    if not form.is_valid():
        raise FieldErrors(form.errors)
    return form.filters()


def _filtered(scan: Scan, filters: FindingFilters):
    return finding_list(scan=scan, **_valid_filters(scan, filters))


def _page(scan: Scan, query: FindingPageQuery) -> dict:
    items, next_cursor = keyset_page(
        _filtered(scan, query), cursor=query.cursor, limit=max(1, min(query.limit, MAX_LIMIT))
    )
    return {"scan_id": str(scan.id), "items": items, "next_cursor": next_cursor}


@router.get(
    "/scans/{uuid:scan_id}/findings",
    response={200: FindingPageOut, 400: FieldErrorsOut, 404: ErrorOut},
    operation_id="scan_findings",
)
def scan_findings(request: HttpRequest, scan_id: str, query: Query[FindingPageQuery]):
    return _page(scan_get(scan_id=scan_id), query)


@router.get(
    "/findings",
    response={200: FindingPageOut, 400: FieldErrorsOut, 404: ErrorOut},
    operation_id="finding_list",
)
def findings_latest(request: HttpRequest, query: Query[FindingPageQuery], scan: str = ""):
    """Findings of one finished scan: the latest unless `scan` names another."""
    finished = Scan.objects.filter(status__in=Scan.TERMINAL_STATUSES).order_by("-created_at")
    try:
        chosen = finished.get(id=scan) if scan else finished.first()
    except (Scan.DoesNotExist, ValidationError):
        raise Http404("No such finished scan") from None
    if chosen is None:
        raise Http404("No finished scan yet")
    return _page(chosen, query)


@router.get(
    "/findings/{int:finding_id}",
    response={200: FindingOut, 404: ErrorOut},
    operation_id="finding_get",
)
def finding_detail(request: HttpRequest, finding_id: int):
    finding = finding_get(finding_id=finding_id)
    # With `muted` set as the lists show it; a muted finding is still found.
    return finding_list(scan=finding.scan, muted=MutedFilter.INCLUDE).get(id=finding.id)


@router.get(
    "/scans/{uuid:scan_id}/export",
    response={200: str, 400: FieldErrorsOut, 404: ErrorOut},
    operation_id="scan_export",
)
def scan_export(
    request: HttpRequest,
    scan_id: str,
    filters: Query[FindingFilters],
    format: str = Query(
        "json", description="An export format of the scan pages: json, csv, md, ..."
    ),
):
    """The scan page's download, byte for byte: streamed while the scan runs, then served from
    its snapshot, with an ETag that `If-None-Match` can send back."""
    if format not in EXPORTERS:
        raise Http404("Unknown export format")
    scan = scan_get(scan_id=scan_id)
    response = export_response(
        request, scan=scan, export_format=format, filters=_valid_filters(scan, filters)
    )
    if response.status_code == HTTPStatus.OK:
        audit_record(
            actor=request.user,
            action=AuditEvent.Action.EXPORT_DOWNLOADED,
            target=f"scan {scan.id}",
            detail={"format": format, "query": request.GET.urlencode(), "via": "api"},
        )
    return response


@router.get(
    "/scans/{uuid:base_id}/diff/{uuid:head_id}",
    response={200: DiffOut, 400: ErrorOut, 404: ErrorOut},
    operation_id="scan_diff",
)
def scans_compare(request: HttpRequest, base_id: str, head_id: str):
    """What changed between two scans of one account (the earlier is taken as the base)."""
    base, head = scan_get(scan_id=base_id), scan_get(scan_id=head_id)
    if base.account_hash != head.account_hash:
        return 400, {"detail": "Scans of different accounts cannot be compared."}
    if base.id == head.id:
        return 400, {"detail": "Compare two different scans."}
    diff = scan_diff(base=base, head=head)
    categories = {}
    for category in CATEGORIES:
        findings = diff.findings[category]
        categories[category] = {"count": findings.count(), "findings": list(findings[:DIFF_ROWS])}
    return {"base": diff.base, "head": diff.head, "categories": categories}
