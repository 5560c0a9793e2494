"""Account-wide identity basics CIS AWS Foundations section 1 asks for: the root user's MFA
device and recent use, how users get their permissions, access keys made at user setup, the
support role, CloudShell full access, expired server certificates, Access Analyzer and the
security contact."""

from datetime import datetime

from django.utils import timezone

from rules.credential_report import ACCESS_KEY_SLOTS, is_true, report_date
from rules.evaluators import Result, evaluator, missing_data
from rules.params import integer
from securescope.resources import Resource


@evaluator("iam_root_hardware_mfa")
def iam_root_hardware_mfa(resource: Resource, *, params: dict) -> Result:
    """FAIL when root has no MFA device, or its device is a virtual one."""
    if (result := missing_data(resource, "RootVirtualMfaDevice")) is not None:
        return result
    enabled = resource.data.get("SummaryMap", {}).get("AccountMFAEnabled") == 1
    virtual = bool(resource.data.get("RootVirtualMfaDevice"))
    evidence = {"root_mfa_enabled": enabled, "root_virtual_mfa_device": virtual}
    return Result("PASS" if enabled and not virtual else "FAIL", evidence)


@evaluator("iam_root_recent_use", params={"days": integer(minimum=1)}, required=("days",))
def iam_root_recent_use(resource: Resource, *, params: dict) -> Result:
    """FAIL when the root user's password or an access key was used in the last `days` days."""
    now = timezone.now()
    columns = {
        "password": "password_last_used",
        **{f"access_key_{slot}": f"access_key_{slot}_last_used_date" for slot in ACCESS_KEY_SLOTS},
    }
    recent = {}
    for credential, column in columns.items():
        used = report_date(resource.data.get(column))
        if used is not None and (now - used).days < params["days"]:
            recent[credential] = (now - used).days
    evidence = {"days": params["days"], "used_within_days": recent}
    return Result("FAIL" if recent else "PASS", evidence)


@evaluator("iam_user_no_direct_policies")
def iam_user_no_direct_policies(resource: Resource, *, params: dict) -> Result:
    """FAIL when a user has managed or inline policies of its own rather than through groups."""
    if (result := missing_data(resource, "DirectPolicies")) is not None:
        return result
    direct = resource.data.get("DirectPolicies")
    if direct is None:
        return Result("NOT_EVALUATED", {"reason": "user not in the authorization details"})
    evidence = {
        "attached_policies": direct.get("attached", 0),
        "inline_policies": direct.get("inline", 0),
    }
    return Result("FAIL" if any(evidence.values()) else "PASS", evidence)


@evaluator("iam_key_created_at_setup")
def iam_key_created_at_setup(resource: Resource, *, params: dict) -> Result | None:
    """FAIL for a console user with an active access key that has never been used: the CIS
    audit for keys handed out at user setup "just in case". Users without a console password
    are not judged."""
    if not is_true(resource.data.get("password_enabled")):
        return None
    unused = [
        f"access_key_{slot}"
        for slot in ACCESS_KEY_SLOTS
        if is_true(resource.data.get(f"access_key_{slot}_active"))
        and report_date(resource.data.get(f"access_key_{slot}_last_used_date")) is None
    ]
    return Result("FAIL" if unused else "PASS", {"active_keys_never_used": unused})


@evaluator("iam_support_role_exists")
def iam_support_role_exists(resource: Resource, *, params: dict) -> Result:
    count = resource.data.get("SupportRoleCount", 0)
    return Result("PASS" if count else "FAIL", {"support_roles": count})


@evaluator("iam_cloudshell_full_access_restricted")
def iam_cloudshell_full_access_restricted(resource: Resource, *, params: dict) -> Result:
    count = resource.data.get("CloudShellFullAccessAttachments", 0)
    return Result("FAIL" if count else "PASS", {"cloudshell_full_access_attachments": count})


@evaluator("iam_server_certificate_current")
def iam_server_certificate_current(resource: Resource, *, params: dict) -> Result:
    expiration = resource.data.get("Expiration")
    if not isinstance(expiration, datetime):
        return Result("NOT_EVALUATED", {"reason": "no expiration date"})
    expired = expiration <= timezone.now()
    return Result("FAIL" if expired else "PASS", {"expired": expired})


@evaluator("access_analyzer_active")
def access_analyzer_active(resource: Resource, *, params: dict) -> Result:
    """FAIL when the region has no ACTIVE account or organization (external access) analyzer."""
    analyzers = resource.data.get("Analyzers") or []
    active = sum(analyzer.get("status") == "ACTIVE" for analyzer in analyzers)
    evidence = {"external_access_analyzers": len(analyzers), "active": active}
    return Result("PASS" if active else "FAIL", evidence)


@evaluator("account_security_contact_registered")
def account_security_contact_registered(resource: Resource, *, params: dict) -> Result:
    registered = bool(resource.data.get("Registered"))
    return Result("PASS" if registered else "FAIL", {"security_contact_registered": registered})
