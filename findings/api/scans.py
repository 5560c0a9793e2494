"""Scans over the API: start (the New scan form's validation), list, read, cancel."""

from django.conf import settings
from django.http import Http404, HttpRequest
from ninja import Query, Router, Schema

from findings.api.auth import permission_check
from findings.api.errors import FieldErrors
from findings.api.pagination import DEFAULT_LIMIT, MAX_LIMIT, keyset_page
from findings.api.schemas import ErrorOut, FieldErrorsOut, ScanDetailOut, ScanIn, ScanPageOut
from scans.collection.aws import CredentialsRejected
from scans.collection.vault import VaultUnavailable
from scans.lifecycle import selectors
from scans.lifecycle.housekeeping import scan_units_reap
from scans.lifecycle.services import (
    credential_expiry_problem,
    scan_cancel,
    scan_start,
    scan_start_demo,
)
from scans.models import Scan
from scans.web.forms import ScanForm

router = Router(tags=["scans"])


class ScanFilters(Schema):
    status: str = ""
    account: str = ""
    source: str = ""
    cursor: str = ""
    limit: int = DEFAULT_LIMIT


def _detail(scan: Scan) -> Scan:
    scan.progress = list(selectors.scan_region_list(scan_id=scan.id))  # type: ignore[attr-defined]
    return scan


@router.post(
    "/scans",
    response={201: ScanDetailOut, 400: FieldErrorsOut, 403: ErrorOut},
    operation_id="scan_start",
)
def scan_create(request: HttpRequest, payload: ScanIn):
    permission_check(request, "scans.start_scan")
    form = ScanForm(payload.dict())
    if form.is_valid():
        problem = credential_expiry_problem(
            expires_at=form.cleaned_data["expires_at"],
            access_key_id=form.cleaned_data["access_key_id"],
        )
        if problem and not form.cleaned_data["start_anyway"]:
            form.add_error("expires_at", problem)
    if not form.is_valid():
        raise FieldErrors(form.errors)
    try:
        scan = scan_start(
            credentials=form.credentials(), regions=form.cleaned_data["regions"], user=request.user
        )
    except (CredentialsRejected, VaultUnavailable) as error:
        raise FieldErrors({"__all__": [str(error)]}) from None
    return 201, _detail(selectors.scan_get(scan_id=scan.id))


@router.post(
    "/scans/demo",
    response={201: ScanDetailOut, 403: ErrorOut, 404: ErrorOut},
    operation_id="scan_start_demo",
)
def scan_create_demo(request: HttpRequest):
    """Scan the embedded demo account (only while DEMO_MODE is on)."""
    permission_check(request, "scans.start_scan")
    if not settings.DEMO_MODE:
        raise Http404("The demo account is off (DEMO_MODE)")
    scan = scan_start_demo(user=request.user)
    return 201, _detail(selectors.scan_get(scan_id=scan.id))


@router.get("/scans", response=ScanPageOut, operation_id="scan_list")
def scan_list(request: HttpRequest, filters: Query[ScanFilters]):
    scans = selectors.scan_list(
        status=filters.status, account_hash=filters.account, source=filters.source
    ).order_by("-created_at", "-id")
    items, next_cursor = keyset_page(
        scans, cursor=filters.cursor, limit=max(1, min(filters.limit, MAX_LIMIT))
    )
    return {"items": items, "next_cursor": next_cursor}


@router.get(
    "/scans/{uuid:scan_id}", response={200: ScanDetailOut, 404: ErrorOut}, operation_id="scan_get"
)
def scan_get(request: HttpRequest, scan_id: str):
    scan = selectors.scan_get(scan_id=scan_id)
    if not scan.is_finished:
        # Without qcluster no schedule runs the reaper; reading a running scan does (as the page).
        scan_units_reap(scan_id=scan.id)
        scan = selectors.scan_get(scan_id=scan_id)
    return _detail(scan)


@router.post(
    "/scans/{uuid:scan_id}/cancel",
    response={200: ScanDetailOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut},
    operation_id="scan_cancel",
)
def scan_cancel_endpoint(request: HttpRequest, scan_id: str):
    permission_check(request, "scans.start_scan")
    scan = selectors.scan_get(scan_id=scan_id)
    if not scan_cancel(scan_id=scan.id, user=request.user):
        return 409, {"detail": "The scan had already ended."}
    return _detail(selectors.scan_get(scan_id=scan.id))
