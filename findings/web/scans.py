"""The scan page and its compliance view: progress from the scan lifecycle, findings from here.

The scan page is also where an operator reveals the names and ARNs of the scan's resources for
their session (findings.reveal), and forgets them.
"""

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_POST

from findings import reveal
from findings.charts import region_charts, section_chart
from findings.identify import IdentifyFailed
from findings.models import Finding
from findings.scan_scores import compliance_scores
from findings.selectors import previous_scan
from findings.tallies import ScanCounts
from findings.web.forms import ComplianceFilterForm, IdentifyForm
from findings.web.views import SECRET_FIELDS, findings_context, identified
from scans.collection.aws import CredentialsRejected
from scans.collection.permissions import policy_document
from scans.collection.vault import VaultUnavailable
from scans.lifecycle import selectors
from scans.models import Scan, ScanRegion
from scans.web.views import scan_progress_context, scan_reaped
from securescope.severity_floor import narrowed

# Problems of a listing named in the message after a reveal; the rest are counted.
PROBLEMS_SHOWN = 8


def _scan_page_context(request: HttpRequest, scan: Scan) -> dict[str, Any]:
    units = list(selectors.scan_region_list(scan_id=scan.id))
    denied = selectors.scan_denied_actions(scan=scan, units=units)
    findings = findings_context(request, scan)
    failing = ScanCounts(
        scan,
        {"status": Finding.Status.FAIL},
        stored=findings["counts"].stored,
        mutes=findings["counts"].mutes,
    )
    by_region: dict[str, int] = {}
    if scan.is_finished:
        for (_, region, _, _), count in failing.by_key().items():
            by_region[region] = by_region.get(region, 0) + count
    return {
        **scan_progress_context(scan, units),
        "region_charts": region_charts(units, by_region) if scan.is_finished else {},
        "denied_actions": denied,
        "denied_policy": policy_document(denied) if denied else "",
        "previous_scan": previous_scan(scan=scan),
        **findings,
        "missing_units": [unit for unit in units if unit.status != ScanRegion.Status.SUCCEEDED]
        if scan.is_finished and scan.status != Scan.Status.SUCCEEDED
        else [],
        "failing_counts": list(failing.by_severity().items()) if scan.is_finished else [],
        "muted_failing": sum(failing.muted_by_severity().values()) if scan.is_finished else 0,
        "reveal_form": IdentifyForm(),
        "reveal_minutes": settings.REVEAL_TTL_SECONDS // 60,
    }


@require_GET
def scan_detail(request: HttpRequest, scan_id: str) -> HttpResponse:
    scan = scan_reaped(scan_id)
    context = _scan_page_context(request, scan)
    return identified(render(request, "scans/detail.html", context), context)


@never_cache
@sensitive_post_parameters(*SECRET_FIELDS)
@permission_required(reveal.REVEAL_PERMISSION, raise_exception=True)
@require_POST
def scan_reveal(request: HttpRequest, scan_id: str) -> HttpResponse:
    """List the scan's resources with pasted keys; their names and ARNs then show for a while.

    Synchronous: the listing runs in this request, with the collectors' concurrency."""
    scan = scan_reaped(scan_id)
    if not scan.is_finished:
        messages.error(request, "Resources can be revealed once the scan has finished.")
        return redirect("scan_pages:detail", scan_id=scan.id)
    form = IdentifyForm(request.POST)
    error = ""
    if form.is_valid():
        try:
            result = reveal.scan_reveal(
                scan=scan,
                credentials=form.credentials(),
                user=request.user,
                session=request.session,
            )
        except (CredentialsRejected, IdentifyFailed, VaultUnavailable) as refused:
            error = str(refused)
            form = IdentifyForm()
        else:
            _report(request, result)
            return redirect("scan_pages:detail", scan_id=scan.id)
    context = {**_scan_page_context(request, scan), "reveal_form": form, "reveal_error": error}
    return render(request, "scans/detail.html", context, status=400)


def _report(request: HttpRequest, result: reveal.RevealResult) -> None:
    if result.expires_at is None:
        messages.warning(
            request, f"None of the scan's {result.resources} resources was found with these keys."
        )
    else:
        messages.success(
            request,
            f"Revealed {result.revealed} of {result.resources} resources: their names and ARNs "
            f"show on this scan's pages until {result.expires_at:%H:%M} UTC.",
        )
    if result.problems:
        shown = "; ".join(result.problems[:PROBLEMS_SHOWN])
        more = len(result.problems) - PROBLEMS_SHOWN
        messages.warning(
            request, f"Not listed: {shown}" + (f"; and {more} more." if more > 0 else ".")
        )


@require_POST
def scan_reveal_forget(request: HttpRequest, scan_id: str) -> HttpResponse:
    """Any signed-in user may drop their own session's reveal, even without the permission."""
    scan = selectors.scan_get(scan_id=scan_id)
    reveal.reveal_forget(session=request.session, scan_id=scan.id)
    messages.success(request, "Forgotten: this scan's names and ARNs are no longer shown.")
    return redirect("scan_pages:detail", scan_id=scan.id)


@require_GET
def scan_compliance(request: HttpRequest, scan_id: str) -> HttpResponse:
    scan = selectors.scan_get(scan_id=scan_id)
    form = ComplianceFilterForm(request.GET)
    level = form.cleaned_data["level"] if form.is_valid() else None
    frameworks = compliance_scores(scan=scan, severities=narrowed(request, None), level=level)
    charted = [(score, section_chart(score.sections)) for score in frameworks]
    context = {"scan": scan, "frameworks": frameworks, "charted": charted, "form": form}
    return render(request, "scans/compliance.html", context)
