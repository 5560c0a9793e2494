"""Mutes and the rule catalog over the API."""

from django.contrib.auth import get_user_model
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Router

from findings.api.auth import permission_check
from findings.api.errors import FieldErrors
from findings.api.schemas import ErrorOut, FieldErrorsOut, MuteIn, MuteOut, RuleOut
from findings.models import Mute
from findings.selectors import finding_get, mute_list
from findings.services import mute_create, mute_delete
from findings.web.forms import MuteForm
from rules.selectors import rule_catalog_list

router = Router(tags=["mutes and rules"])

MUTES_LISTED = 500


@router.get("/mutes", response=list[MuteOut], operation_id="mute_list")
def mutes(request: HttpRequest, include_expired: bool = False):
    return list(mute_list(include_expired=include_expired)[:MUTES_LISTED])


@router.post(
    "/mutes",
    response={201: MuteOut, 400: FieldErrorsOut, 403: ErrorOut, 404: ErrorOut},
    operation_id="mute_create",
)
def mute_add(request: HttpRequest, payload: MuteIn):
    """Mute a finding, or every finding of its rule, in its account (the finding page's form)."""
    permission_check(request, "findings.add_mute")
    finding = finding_get(finding_id=payload.finding_id)
    owners = get_user_model().objects.filter(is_active=True)
    form = MuteForm(
        {
            "scope": payload.scope,
            "justification": payload.justification,
            "owner": payload.owner if payload.owner is not None else request.user.pk,
            "expires_on": payload.expires_on,
        },
        owners=owners,
    )
    if not form.is_valid():
        raise FieldErrors(form.errors)
    mute = mute_create(
        finding=finding,
        whole_rule=form.cleaned_data["scope"] == "rule",
        justification=form.cleaned_data["justification"],
        owner=form.cleaned_data["owner"],
        expires_on=form.cleaned_data["expires_on"],
        user=request.user,
    )
    return 201, mute


@router.delete(
    "/mutes/{int:mute_id}",
    response={204: None, 403: ErrorOut, 404: ErrorOut},
    operation_id="mute_delete",
)
def mute_remove(request: HttpRequest, mute_id: int):
    permission_check(request, "findings.delete_mute")
    mute_delete(mute=get_object_or_404(Mute, id=mute_id), user=request.user)
    return 204, None


@router.get("/rules", response=list[RuleOut], operation_id="rule_list")
def rules(
    request: HttpRequest,
    service: str = "",
    severity: str = "",
    framework: str = "",
    state: str = "",
    text: str = "",
):
    """The rule catalog with this installation's state (enabled, severity) and mappings."""
    return [
        {
            "id": entry.rule.id,
            "title": entry.rule.title,
            "service": entry.rule.service,
            "resource_type": entry.rule.resource_type,
            "severity": entry.severity,
            "catalog_severity": entry.rule.severity,
            "enabled": entry.enabled,
            "frameworks": entry.frameworks,
            "compliance": entry.rule.compliance,
        }
        for entry in rule_catalog_list(
            service=service, severity=severity, framework=framework, state=state, text=text
        )
    ]
