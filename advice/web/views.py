from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from advice.selectors import advice_progress, scan_advice_list
from scans.lifecycle.selectors import scan_get


@require_GET
def scan_advice(request: HttpRequest, scan_id: str) -> HttpResponse:
    """The scan's advice card: progress while the advice worker runs, then each piece."""
    scan = scan_get(scan_id=scan_id)
    context = {
        "scan": scan,
        "progress": advice_progress(scan_id=scan.id),
        "items": scan_advice_list(scan_id=scan.id),
    }
    return render(request, "advice/_scan_advice.html", context)
