"""The overview (home page) and scan comparisons."""

from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from findings.diff import CATEGORIES, DIFF_EXPORTERS, scan_diff
from findings.exports import CONTENT_TYPES
from findings.overview import account_overviews
from findings.selectors import previous_scan
from scans.lifecycle.selectors import scan_get
from scans.models import Scan
from securescope.models import AuditEvent
from securescope.services import audit_record
from securescope.severity_floor import allowed_severities, narrowed

DIFF_ROWS_SHOWN = 200


@require_GET
def overview(request: HttpRequest) -> HttpResponse:
    context = {"accounts": account_overviews(severities=allowed_severities(request))}
    return render(request, "findings/overview.html", context)


def _diff(request: HttpRequest, scan_id: str):
    head = scan_get(scan_id=scan_id)
    candidates = Scan.objects.filter(
        account_hash=head.account_hash, status__in=Scan.TERMINAL_STATUSES
    ).exclude(id=head.id)
    base_id = request.GET.get("base")
    if base_id:
        try:
            base = candidates.get(id=base_id)
        except (Scan.DoesNotExist, ValidationError):
            raise Http404("No such scan of this account") from None
    else:
        base = previous_scan(scan=head)
    if base is None:
        return head, candidates, None
    return head, candidates, scan_diff(base=base, head=head, severities=narrowed(request, None))


@require_GET
def diff_page(request: HttpRequest, scan_id: str) -> HttpResponse:
    head, candidates, diff = _diff(request, scan_id)
    sections = []
    if diff is not None:
        for category in CATEGORIES:
            findings = diff.findings[category]
            sections.append(
                {
                    "name": category,
                    "count": findings.count(),
                    "rows": findings[:DIFF_ROWS_SHOWN],
                }
            )
    context = {
        "scan": head,
        # The scan compared with this one (scan_diff puts the earlier of the two first).
        "other": None if diff is None else (diff.base if diff.head.id == head.id else diff.head),
        "candidates": candidates.only("id", "created_at", "account_label")[:50],
        "diff": diff,
        "sections": sections,
        "not_compared": diff.not_compared() if diff is not None else [],
        "requirement_changes": diff.requirement_changes() if diff is not None else {},
        "rows_shown": DIFF_ROWS_SHOWN,
    }
    return render(request, "findings/diff.html", context)


@require_GET
def diff_export(request: HttpRequest, scan_id: str, export_format: str) -> HttpResponse:
    if export_format not in DIFF_EXPORTERS:
        raise Http404("Unknown export format")
    head, _, diff = _diff(request, scan_id)
    if diff is None:
        raise Http404("No earlier scan of this account to compare with")
    audit_record(
        actor=request.user,
        action=AuditEvent.Action.EXPORT_DOWNLOADED,
        target=f"scan {head.id}",
        detail={"format": f"diff.{export_format}", "base": str(diff.base.id)},
    )
    response = StreamingHttpResponse(
        (chunk.encode() for chunk in DIFF_EXPORTERS[export_format](diff)),
        content_type=CONTENT_TYPES[export_format],
    )
    filename = f"securescope-changes-{diff.base.id}-{diff.head.id}.{export_format}"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
