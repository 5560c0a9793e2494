"""The findings page's triage: its three views, a rule's findings unfolded in place, and bulk
actions (mute, export) on what a user ticked."""

from collections.abc import Mapping
from typing import Any

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, QueryDict, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import add_never_cache_headers
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from findings.exports import CONTENT_TYPES, EXPORTERS
from findings.reveal import scan_identities
from findings.selectors import MutedFilter
from findings.services import BULK_MUTE_LIMIT, mute_bulk_create
from findings.tallies import ScanCounts
from findings.triage import (
    keyset_page,
    page_findings,
    resource_page,
    rule_findings,
    selection_findings,
)
from findings.web.choices import FindingsView, finding_filter_choices
from findings.web.forms import FindingFilterForm, MuteForm, SelectionForm
from scans.lifecycle.selectors import scan_get
from scans.models import Scan
from securescope.models import AuditEvent
from securescope.services import audit_record
from securescope.severity_floor import narrowed

NAVIGATION = ("after", "before", "page")


def filter_form(
    request: HttpRequest, scan: Scan, *, page_defaults: bool
) -> tuple[FindingFilterForm, dict[str, Any]]:
    """The filter form and finding_list's filters within the global severity floor."""
    form = FindingFilterForm(
        request.GET or None, choices=finding_filter_choices(scan=scan), page_defaults=page_defaults
    )
    filters = form.filters()
    filters["severities"] = narrowed(request, filters["severities"])
    return form, filters


def _query(data: Mapping[str, Any], *without: str) -> str:
    """`data`, a form's QueryDict, as a query string without `without` and the page's place."""
    query = QueryDict(mutable=True)
    query.update(data)
    for name in (*NAVIGATION, *without):
        query.pop(name, None)
    return query.urlencode()


def _owners():
    return get_user_model().objects.filter(is_active=True).order_by("username")


def triage_context(request: HttpRequest, scan: Scan) -> dict[str, Any]:
    """The filter form, the chosen view's rows and their total, the muted findings left out,
    and the query strings that keep the filters on links."""
    form, filters = filter_form(request, scan, page_defaults=True)
    navigation = form.navigation()
    view = navigation["view"]
    counts = ScanCounts(scan, filters)
    context: dict[str, Any] = {
        "counts": counts,
        "filter_form": form,
        "view": view,
        "views": FindingsView.choices,
        "filter_query": _query(form.data),
        "view_query": _query(form.data, "view"),
        "sort_query": _query(form.data, "sort"),
        "current_sort": filters["sort"],
        "muted_hidden": (
            sum(counts.muted_by_severity().values()) if filters["muted"] == MutedFilter.HIDE else 0
        ),
    }
    if view == FindingsView.RULES:
        groups = counts.rule_groups()
        status = filters["status"]
        context["groups"] = groups
        context["count"] = sum(group.counts[status] if status else group.total for group in groups)
    else:
        context["count"] = counts.total()
        findings = page_findings(scan, filters, counts)
        if view == FindingsView.RESOURCES:
            resources, more = resource_page(findings, number=navigation["page"])
            context.update(
                resources=resources, resource_page=navigation["page"], resource_more=more
            )
        else:
            context["page"] = keyset_page(
                findings,
                count=context["count"],
                after=navigation["after"],
                before=navigation["before"],
                number=navigation["page"],
            )
    if request.user.has_perm("findings.add_mute"):
        context["bulk_mute_form"] = MuteForm(
            owners=_owners(), initial={"owner": request.user.pk}, prefix="mute"
        )
    return context


def shown_hashes(context: dict[str, Any]) -> list[str]:
    """The resource hashes the chosen view shows (none while rules are folded)."""
    if "page" in context:
        return [finding.resource_hash for finding in context["page"]]
    return [resource.resource_hash for resource in context.get("resources", ())]


@require_GET
def rule_rows(request: HttpRequest, scan_id: str, rule_id: str) -> HttpResponse:
    """The htmx partial that unfolds one rule of the grouped view into its findings."""
    scan = scan_get(scan_id=scan_id)
    form, filters = filter_form(request, scan, page_defaults=True)
    rows = rule_findings(scan, filters, ScanCounts(scan, filters), rule_id=rule_id)
    context = {
        "scan": scan,
        "rule_id": rule_id,
        "rows": rows,
        "flat_query": _query(form.data, "view", "rule"),
        "identities": scan_identities(
            scan=scan,
            session=request.session,
            user=request.user,
            hashes=[finding.resource_hash for finding in rows],
            where=request.path,
        ),
    }
    response = render(request, "findings/_rule_rows.html", context)
    if context["identities"]:
        add_never_cache_headers(response)  # names and ARNs stay out of every cache
    return response


def _back(request: HttpRequest, form: SelectionForm, scan: Scan) -> HttpResponse:
    target = form.cleaned_data.get("next", "") if form.is_bound and form.is_valid() else ""
    target = target or request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = reverse("scan_pages:detail", args=[scan.id])
    return redirect(target)


@require_POST
def selection_action(request: HttpRequest, scan_id: str) -> HttpResponseBase:
    """Mute or export the ticked findings, rules and resources, under the page's filters."""
    scan = scan_get(scan_id=scan_id)
    selection = SelectionForm(request.POST)
    if not selection.is_valid():
        for error in selection.non_field_errors() or ["Not a selection this page made."]:
            messages.error(request, str(error))
        return _back(request, selection, scan)
    _, filters = filter_form(request, scan, page_defaults=True)
    findings = selection_findings(
        scan,
        filters,
        finding_ids=[int(value) for value in selection.cleaned_data["finding"]],
        rule_ids=selection.cleaned_data["rule"],
        resources=selection.resources(),
    )
    action = selection.cleaned_data["action"]
    if action == "mute":
        return _mute(request, selection, scan, findings)
    export_format = action.removeprefix("export-")
    audit_record(
        actor=request.user,
        action=AuditEvent.Action.EXPORT_DOWNLOADED,
        target=f"scan {scan.id}",
        detail={"format": export_format, "query": request.GET.urlencode(), "selection": True},
    )
    response = StreamingHttpResponse(
        (chunk.encode() for chunk in EXPORTERS[export_format](scan, findings)),
        content_type=CONTENT_TYPES[export_format],
    )
    filename = f"securescope-{scan.id}-selection.{export_format}"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _mute(request: HttpRequest, selection: SelectionForm, scan: Scan, findings) -> HttpResponse:
    user = request.user
    if not (isinstance(user, AbstractBaseUser) and user.has_perm("findings.add_mute")):
        raise PermissionDenied
    form = MuteForm(request.POST, owners=_owners(), prefix="mute")
    if not form.is_valid():
        for name, errors in form.errors.items():
            for error in errors:
                messages.error(request, f"{form[name].label}: {error}")
        return _back(request, selection, scan)
    whole_rule = form.cleaned_data["scope"] == "rule"
    # Findings an active mute covers already are left alone.
    unmuted = findings.filter(muted=False).order_by()
    if whole_rule:
        rule_ids = sorted(set(unmuted.values_list("rule_id", flat=True)))
        targets = [(rule_id, "") for rule_id in rule_ids]
    else:
        targets = list(unmuted.values_list("rule_id", "fingerprint")[: BULK_MUTE_LIMIT + 1])
    if len(targets) > BULK_MUTE_LIMIT:
        messages.error(
            request,
            f"More than {BULK_MUTE_LIMIT} findings are selected: mute their whole rules instead, "
            "or narrow the selection.",
        )
        return _back(request, selection, scan)
    mutes = mute_bulk_create(
        scan=scan,
        targets=targets,
        justification=form.cleaned_data["justification"],
        owner=form.cleaned_data["owner"],
        expires_on=form.cleaned_data["expires_on"],
        user=user,
    )
    scope = "rule" if whole_rule else "finding"
    messages.success(
        request,
        f"Muted {len(mutes)} {scope}{'' if len(mutes) == 1 else 's'}. Muted findings stay "
        "visible under the “Muted” filter.",
    )
    return _back(request, selection, scan)
