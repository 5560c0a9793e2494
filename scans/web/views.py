from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.defaultfilters import pluralize
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from scans.collection.aws import CredentialsRejected
from scans.collection.vault import VaultUnavailable
from scans.lifecycle import selectors
from scans.lifecycle.housekeeping import scan_units_reap
from scans.lifecycle.organizations import organization_scan_begin
from scans.lifecycle.services import (
    credential_expiry_problem,
    scan_cancel,
    scan_start,
    scan_start_demo,
)
from scans.models import Scan, ScanRegion
from scans.web.forms import ScanFilterForm, ScanForm

SECRET_FIELDS = ("access_key_id", "secret_access_key", "session_token", "external_id")


SCANS_PER_PAGE = 50


@require_GET
def scan_list(request: HttpRequest) -> HttpResponse:
    form = ScanFilterForm(request.GET or None, accounts=selectors.account_choices())
    scans = selectors.scan_list(**form.filters())
    page = Paginator(scans, SCANS_PER_PAGE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "filter_form": form,
        "page": page,
        "filter_query": query.urlencode(),
        "demo_mode": settings.DEMO_MODE,
    }
    template = "scans/_list_table.html" if request.htmx else "scans/list.html"
    return render(request, template, context)


@permission_required("scans.start_scan", raise_exception=True)
@require_POST
def scan_demo(request: HttpRequest) -> HttpResponse:
    if not settings.DEMO_MODE:
        raise Http404("The demo account is off (DEMO_MODE)")
    scan = scan_start_demo(user=request.user)
    messages.success(request, "Scan of the demo account started.")
    return redirect("scan_pages:detail", scan_id=scan.id)


@sensitive_post_parameters(*SECRET_FIELDS)
@permission_required("scans.start_scan", raise_exception=True)
@require_http_methods(["GET", "POST"])
def scan_new(request: HttpRequest) -> HttpResponse:
    form = ScanForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        problem = credential_expiry_problem(
            expires_at=form.cleaned_data["expires_at"],
            access_key_id=form.cleaned_data["access_key_id"],
        )
        if problem and not form.cleaned_data["start_anyway"]:
            form.add_error("expires_at", problem)
            return render(request, "scans/new.html", {"form": form})
        if form.cleaned_data["organization"]:
            return _organization_start(request, form)
        try:
            scan = scan_start(
                credentials=form.credentials(),
                regions=form.cleaned_data["regions"],
                user=request.user,
            )
        except (CredentialsRejected, VaultUnavailable) as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, f"Scan of {scan.account_label} started.")
            return redirect("scan_pages:detail", scan_id=scan.id)
    return render(request, "scans/new.html", {"form": form})


def _organization_start(request: HttpRequest, form: ScanForm) -> HttpResponse:
    """A scan of every account of the keys' organization, started in the background; its
    roll-up page shows the start's progress, then follows the scans."""
    try:
        run = organization_scan_begin(
            credentials=form.credentials(),
            role_name=form.cleaned_data["member_role_name"],
            external_id=form.cleaned_data["external_id"],
            regions=form.cleaned_data["regions"],
            user=request.user,
        )
    except (CredentialsRejected, VaultUnavailable) as error:
        form.add_error(None, str(error))
        return render(request, "scans/new.html", {"form": form})
    total = run.members_total
    messages.success(
        request, f"Starting scans of the organization's {total} account{pluralize(total)}."
    )
    return redirect("organizations:detail", run_id=run.id)


@permission_required("scans.start_scan", raise_exception=True)
@require_POST
def scan_cancel_view(request: HttpRequest, scan_id: str) -> HttpResponse:
    scan = selectors.scan_get(scan_id=scan_id)
    if scan_cancel(scan_id=scan.id, user=request.user):
        messages.success(request, "Scan cancelled; its credentials were deleted.")
    else:
        messages.info(request, "The scan had already ended.")
    return redirect("scan_pages:detail", scan_id=scan.id)


def scan_reaped(scan_id: str) -> Scan:
    """The scan, after failing its units whose worker died: without qcluster (the embedded
    mode) no schedule runs the reaper, so reading a running scan does."""
    scan = selectors.scan_get(scan_id=scan_id)
    if not scan.is_finished:
        scan_units_reap(scan_id=scan.id)
        scan = selectors.scan_get(scan_id=scan_id)
    return scan


def scan_progress_context(scan: Scan, units: list[ScanRegion]) -> dict:
    units = selectors.units_with_time_left(scan=scan, units=units)
    return {"scan": scan, "units": units, "seconds_left": selectors.scan_seconds_left(units=units)}


@require_GET
def scan_progress(request: HttpRequest, scan_id: str) -> HttpResponse:
    """The HTMX-polled progress table; once the scan ends, reload the page to show findings."""
    scan = scan_reaped(scan_id)
    units = list(selectors.scan_region_list(scan_id=scan.id))
    response = render(request, "scans/_progress.html", scan_progress_context(scan, units))
    if scan.is_finished and request.htmx:
        response["HX-Refresh"] = "true"
    return response
