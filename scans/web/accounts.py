"""Saved accounts' pages: any member reads them (masked), operators change, test and scan them."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from scans.collection.aws import CredentialsRejected
from scans.collection.vault import VaultUnavailable
from scans.lifecycle import selectors
from scans.lifecycle.accounts import (
    ConnectionResult,
    saved_account_connection_test,
    saved_account_create,
    saved_account_scan_start,
    saved_account_update,
)
from scans.lifecycle.services import AccountScanRunning
from scans.models import SavedAccount
from scans.web.forms import SavedAccountForm

START_PERMISSION = "scans.start_scan"


@require_GET
def account_list(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "scans/accounts.html",
        {
            "accounts": selectors.saved_account_list(),
            "base_identity": settings.SCANNER_BASE_IDENTITY == "ambient",
        },
    )


def _detail(
    request: HttpRequest, account: SavedAccount, connection: ConnectionResult | None = None
) -> HttpResponse:
    return render(
        request,
        "scans/account_detail.html",
        {
            "account": account,
            "scans": selectors.saved_account_scans(account_id=account.pk),
            "next_run": selectors.saved_account_next_run(account_id=account.pk),
            "running": selectors.saved_account_scan_running(account_id=account.pk),
            "connection": connection,
            "base_identity": settings.SCANNER_BASE_IDENTITY == "ambient",
        },
    )


@require_GET
def account_detail(request: HttpRequest, account_id: int) -> HttpResponse:
    return _detail(request, selectors.saved_account_get(account_id=account_id))


@sensitive_post_parameters("external_id")
@permission_required(START_PERMISSION, raise_exception=True)
@require_http_methods(["GET", "POST"])
def account_new(request: HttpRequest) -> HttpResponse:
    form = SavedAccountForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        account = saved_account_create(user=request.user, **form.account_fields())
        messages.success(request, f"Account {account.label} saved.")
        return redirect("scans:account_detail", account_id=account.pk)
    return render(request, "scans/account_form.html", {"form": form, "account": None})


@sensitive_post_parameters("external_id")
@permission_required(START_PERMISSION, raise_exception=True)
@require_http_methods(["GET", "POST"])
def account_edit(request: HttpRequest, account_id: int) -> HttpResponse:
    account = selectors.saved_account_get(account_id=account_id)
    form = SavedAccountForm(request.POST or None, instance=account)
    if request.method == "POST" and form.is_valid():
        saved_account_update(account=account, **form.account_fields())
        messages.success(request, f"Account {account.label} saved.")
        return redirect("scans:account_detail", account_id=account.pk)
    return render(request, "scans/account_form.html", {"form": form, "account": account})


@permission_required(START_PERMISSION, raise_exception=True)
@require_POST
def account_test(request: HttpRequest, account_id: int) -> HttpResponse:
    account = selectors.saved_account_get(account_id=account_id)
    result = saved_account_connection_test(account=account, user=request.user)
    return _detail(request, account, connection=result)


@permission_required(START_PERMISSION, raise_exception=True)
@require_POST
def account_scan(request: HttpRequest, account_id: int) -> HttpResponse:
    account = selectors.saved_account_get(account_id=account_id)
    try:
        scan = saved_account_scan_start(account=account, user=request.user)
    except (AccountScanRunning, CredentialsRejected, VaultUnavailable) as error:
        messages.error(request, str(error))
        return redirect("scans:account_detail", account_id=account.pk)
    messages.success(request, f"Scan of {scan.account_label} started.")
    return redirect("scan_pages:detail", scan_id=scan.id)
