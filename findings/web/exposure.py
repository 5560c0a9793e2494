"""The Exposure page: what an attacker can reach from the internet, most severe path first."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET
from django_htmx.middleware import HtmxDetails

from findings.exposure import exposure_paths, latest_succeeded_scans
from findings.web.forms import ExposureFilterForm
from securescope.severity_floor import allowed_severities


class HtmxHttpRequest(HttpRequest):
    htmx: HtmxDetails


@require_GET
def exposure_page(request: HtmxHttpRequest) -> HttpResponse:
    every_account = latest_succeeded_scans()
    form = ExposureFilterForm(
        request.GET or None,
        accounts=[(scan.account_hash, scan.account_label) for scan in every_account],
        regions=sorted({"global", *(region for scan in every_account for region in scan.regions)}),
    )
    account, region = "", ""
    if form.is_valid():
        account, region = form.cleaned_data["account"], form.cleaned_data["region"]
    scans = [scan for scan in every_account if not account or scan.account_hash == account]
    context = {
        "form": form,
        "scans": scans,
        "paths": exposure_paths(scans=scans, region=region, severities=allowed_severities(request))
        if scans
        else [],
    }
    template = "findings/_exposure_paths.html" if request.htmx else "findings/exposure.html"
    return render(request, template, context)
