"""The scan page and its compliance view: progress from the scan lifecycle, findings from here."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from findings.compliance import compliance_summary
from findings.selectors import previous_scan
from findings.web.views import findings_context
from scans.collection.permissions import policy_document
from scans.lifecycle import selectors
from scans.web.views import scan_progress_context, scan_reaped
from securescope.severity_floor import narrowed


@require_GET
def scan_detail(request: HttpRequest, scan_id: str) -> HttpResponse:
    scan = scan_reaped(scan_id)
    units = list(selectors.scan_region_list(scan_id=scan.id))
    denied = selectors.scan_denied_actions(scan=scan, units=units)
    context = {
        **scan_progress_context(scan, units),
        "denied_actions": denied,
        "denied_policy": policy_document(denied) if denied else "",
        "previous_scan": previous_scan(scan=scan),
        **findings_context(request, scan),
    }
    return render(request, "scans/detail.html", context)


@require_GET
def scan_compliance(request: HttpRequest, scan_id: str) -> HttpResponse:
    scan = selectors.scan_get(scan_id=scan_id)
    frameworks = compliance_summary(scan_id=scan.id, severities=narrowed(request, None))
    context = {"scan": scan, "frameworks": frameworks}
    return render(request, "scans/compliance.html", context)
