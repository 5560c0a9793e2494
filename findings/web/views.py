from http import HTTPStatus
from typing import Any

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.cache import add_never_cache_headers
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_POST

from advice.providers import advice_disabled_reason
from advice.selectors import finding_advice
from findings.export_snapshots import export_response
from findings.exports import CONTENT_TYPES, EXPORTERS, REVEALED_EXPORTERS
from findings.identifiers import VIEW_PERMISSION
from findings.identify import IdentifyFailed, resource_identify
from findings.models import Finding, Mute
from findings.reveal import REVEAL_PERMISSION, reveal_expiry, scan_identities
from findings.selectors import (
    default_scan,
    finding_get,
    finding_history,
    finding_list,
    finding_mutes,
    incomplete_units,
    mute_list,
)
from findings.services import mute_create, mute_delete
from findings.web.forms import FindingFilterForm, IdentifyForm, MuteForm
from findings.web.triage import filter_form, shown_hashes, triage_context
from rules.loading import load_catalog
from scans.collection.aws import CredentialsRejected
from scans.lifecycle.selectors import scan_get
from scans.models import Scan
from securescope.models import AuditEvent
from securescope.services import audit_record
from securescope.severity import Severity
from securescope.severity_floor import SESSION_KEY

SECRET_FIELDS = ("access_key_id", "secret_access_key", "session_token", "external_id")


def _filtered_findings(
    request: HttpRequest, scan: Scan
) -> tuple[FindingFilterForm, dict[str, Any], Any]:
    """Exports: a filter the query leaves out filters nothing (no page defaults)."""
    form, filters = filter_form(request, scan, page_defaults=False)
    return form, filters, finding_list(scan=scan, **filters)


def findings_context(
    request: HttpRequest,
    scan: Scan,
    *,
    table_url: str = "",
    push_url: bool = False,
    page_url: str = "",
) -> dict[str, Any]:
    """The filter form, the chosen view of the findings and the query strings that keep the
    filters (findings.web.triage).

    `table_url` answers the table's HTMX requests; `push_url` puts filters in the address bar
    (on the findings page, not inside the scan page); `page_url` is the whole page the table
    sits in, where bulk actions come back to. Names and ARNs show for the hashes on it while a
    reveal of the scan lasts (findings.reveal)."""
    context = triage_context(request, scan)
    identities = scan_identities(
        scan=scan,
        session=request.session,
        user=request.user,
        hashes=shown_hashes(context),
        where=request.path,
    )
    return {
        **context,
        "table_url": table_url or reverse("findings:table", args=[scan.id]),
        "push_url": push_url,
        "page_url": page_url or reverse("scan_pages:detail", args=[scan.id]),
        "identities": identities,
        "reveal_expires_at": reveal_expiry(session=request.session, scan_id=scan.id),
    }


def identified(response: HttpResponse, context: dict[str, Any]) -> HttpResponse:
    """A page that shows names or ARNs is never kept in a browser's or a proxy's cache."""
    if context.get("identities") or context.get("identity"):
        add_never_cache_headers(response)
    return response


@require_GET
def findings_table(request: HttpRequest, scan_id: str) -> HttpResponse:
    scan = scan_get(scan_id=scan_id)
    context = {"scan": scan, **findings_context(request, scan)}
    return identified(render(request, "findings/_table.html", context), context)


@require_GET
def findings_page(request: HttpRequest) -> HttpResponse:
    """Findings of one scan: the latest succeeded one unless `?scan=` picks another."""
    finished = Scan.objects.filter(status__in=Scan.TERMINAL_STATUSES).order_by("-created_at")
    chosen = request.GET.get("scan")
    try:
        scan = finished.get(id=chosen) if chosen else default_scan()
    except (Scan.DoesNotExist, ValidationError):
        raise Http404("No such finished scan") from None
    if scan is None:
        return render(request, "findings/list.html", {"scan": None})
    context = {
        "scan": scan,
        **findings_context(
            request,
            scan,
            table_url=reverse("findings:list"),
            push_url=True,
            page_url=reverse("findings:list"),
        ),
        "missing_units": incomplete_units(scan=scan),
    }
    if request.htmx:
        return identified(render(request, "findings/_table.html", context), context)
    context["scans"] = finished.only("id", "account_label", "created_at", "status")[:50]
    return identified(render(request, "findings/list.html", context), context)


def _export_response(chunks: Any, export_format: str, filename: str) -> StreamingHttpResponse:
    response = StreamingHttpResponse(
        (chunk.encode() for chunk in chunks), content_type=CONTENT_TYPES[export_format]
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@require_GET
def findings_export(request: HttpRequest, scan_id: str, export_format: str) -> HttpResponseBase:
    if export_format not in EXPORTERS:
        raise Http404("Unknown export format")
    scan = scan_get(scan_id=scan_id)
    _, filters = filter_form(request, scan, page_defaults=False)
    response = export_response(request, scan=scan, export_format=export_format, filters=filters)
    if response.status_code == HTTPStatus.OK:
        audit_record(
            actor=request.user,
            action=AuditEvent.Action.EXPORT_DOWNLOADED,
            target=f"scan {scan.id}",
            detail={"format": export_format, "query": request.GET.urlencode()},
        )
    return response


@never_cache
@require_GET
def findings_export_revealed(
    request: HttpRequest, scan_id: str, export_format: str
) -> HttpResponse | StreamingHttpResponse:
    """The export with each finding's ARN and Name tag, while this session's reveal lasts (or
    from the encrypted store, for a user who may read it)."""
    if export_format not in REVEALED_EXPORTERS:
        raise Http404("Revealed exports come as JSON or CSV")
    if not (request.user.has_perm(REVEAL_PERMISSION) or request.user.has_perm(VIEW_PERMISSION)):
        raise PermissionDenied
    scan = scan_get(scan_id=scan_id)
    identities = scan_identities(
        scan=scan,
        session=request.session,
        user=request.user,
        hashes=None,
        where=f"revealed {export_format} export",
    )
    if not identities:
        return render(request, "findings/reveal_gone.html", {"scan": scan}, status=410)
    _, _, findings = _filtered_findings(request, scan)
    audit_record(
        actor=request.user,
        action=AuditEvent.Action.EXPORT_DOWNLOADED,
        target=f"scan {scan.id}",
        detail={
            "format": export_format,
            "query": request.GET.urlencode(),
            "revealed": len(identities),
        },
    )
    return _export_response(
        REVEALED_EXPORTERS[export_format](scan, findings, identities=identities),
        export_format,
        f"securescope-{scan.id}-revealed.{export_format}",
    )


def _detail_context(request: HttpRequest, finding_id: int) -> dict[str, Any]:
    finding = finding_get(finding_id=finding_id)
    rule = next((r for r in load_catalog().rules if r.id == finding.rule_id), None)
    owners = get_user_model().objects.filter(is_active=True).order_by("username")
    advice_item, advice = (
        finding_advice(
            scan_id=finding.scan_id, rule=rule, rule_id=finding.rule_id, evidence=finding.evidence
        )
        if finding.status == Finding.Status.FAIL
        else (None, None)
    )
    return {
        "finding": finding,
        "scan": finding.scan,
        "rule": rule,
        "advice": advice,
        "advice_item": advice_item,
        "advice_disabled_reason": advice_disabled_reason(),
        "history": finding_history(finding=finding)[:50],
        "mutes": list(finding_mutes(finding=finding)),
        "mute_form": MuteForm(owners=owners, initial={"owner": request.user.pk}),
        "identify_form": IdentifyForm(),
        "identity": scan_identities(
            scan=finding.scan,
            session=request.session,
            user=request.user,
            hashes=[finding.resource_hash],
            where=request.path,
        ).get(finding.resource_hash),
    }


@require_GET
def finding_detail(request: HttpRequest, finding_id: int) -> HttpResponse:
    context = _detail_context(request, finding_id)
    return identified(render(request, "findings/detail.html", context), context)


@never_cache
@sensitive_post_parameters(*SECRET_FIELDS)
@permission_required("findings.identify_resource", raise_exception=True)
@require_POST
def finding_identify(request: HttpRequest, finding_id: int) -> HttpResponse:
    """Shows the raw resource id in this response only; nothing about it is kept."""
    finding = finding_get(finding_id=finding_id)
    form = IdentifyForm(request.POST)
    context: dict[str, Any] = {"finding": finding, "identify_form": form}
    if form.is_valid():
        try:
            context["identified"] = resource_identify(
                finding=finding, credentials=form.credentials(), user=request.user
            )
            context["looked_up"] = True
        except (CredentialsRejected, IdentifyFailed) as error:
            context["identify_error"] = str(error)
        context["identify_form"] = IdentifyForm()
    template = "findings/_identify.html" if request.htmx else "findings/identify.html"
    return render(request, template, context)


@permission_required("findings.add_mute", raise_exception=True)
@require_POST
def finding_mute(request: HttpRequest, finding_id: int) -> HttpResponse:
    context = _detail_context(request, finding_id)
    form = MuteForm(request.POST, owners=context["mute_form"].fields["owner"].queryset)
    if not form.is_valid():
        context["mute_form"] = form
        return identified(render(request, "findings/detail.html", context, status=400), context)
    mute_create(
        finding=context["finding"],
        whole_rule=form.cleaned_data["scope"] == "rule",
        justification=form.cleaned_data["justification"],
        owner=form.cleaned_data["owner"],
        expires_on=form.cleaned_data["expires_on"],
        user=request.user,
    )
    messages.success(request, "Muted. The finding stays visible under the “Muted” filter.")
    return redirect("findings:detail", finding_id=finding_id)


@require_GET
def mutes_page(request: HttpRequest) -> HttpResponse:
    include_expired = request.GET.get("expired") == "1"
    mutes = mute_list(include_expired=include_expired)[:500]
    return render(
        request, "findings/mutes.html", {"mutes": mutes, "include_expired": include_expired}
    )


@permission_required("findings.delete_mute", raise_exception=True)
@require_POST
def mute_remove(request: HttpRequest, mute_id: int) -> HttpResponse:
    mute_delete(mute=get_object_or_404(Mute, id=mute_id), user=request.user)
    messages.success(request, "Mute removed.")
    return redirect("findings:mutes")


@require_POST
def severity_set(request: HttpRequest) -> HttpResponse:
    """Set the global severity floor for this session, then go back where the user was."""
    floor = request.POST.get("severity_floor", "")
    if floor in Severity.values:
        request.session[SESSION_KEY] = floor
    else:
        request.session.pop(SESSION_KEY, None)
    back = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(
        back, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        back = "home"
    return redirect(back)
