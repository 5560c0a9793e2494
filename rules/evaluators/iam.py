import fnmatch
import re
from typing import Any

from django.utils import timezone

from rules.credential_report import ACCESS_KEY_SLOTS, is_true, report_date
from rules.evaluators import Result, evaluator
from rules.params import Param, integer, list_of, one_of
from securescope.resources import Resource


@evaluator("iam_root_mfa_enabled")
def iam_root_mfa_enabled(resource: Resource, *, params: dict) -> Result:
    enabled = resource.data.get("SummaryMap", {}).get("AccountMFAEnabled") == 1
    return Result("PASS" if enabled else "FAIL", {"root_mfa_enabled": enabled})


@evaluator("iam_root_access_keys_absent")
def iam_root_access_keys_absent(resource: Resource, *, params: dict) -> Result:
    present = resource.data.get("SummaryMap", {}).get("AccountAccessKeysPresent")
    if present is None:
        return Result("NOT_EVALUATED", {"reason": "AccountAccessKeysPresent not in the summary"})
    return Result("FAIL" if present else "PASS", {"root_access_keys_present": present})


def _snake_case(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


@evaluator(
    "iam_password_policy_minimum",
    params={
        # Fields where more is stricter, as the comparison below assumes.
        "field": one_of(("MinimumPasswordLength", "PasswordReusePrevention")),
        "minimum": integer(minimum=1),
    },
    required=("field", "minimum"),
)
def iam_password_policy_minimum(resource: Resource, *, params: dict) -> Result:
    """FAIL when there is no password policy or its `field` is below `minimum`.

    Without a policy IAM applies its own defaults (8 characters, no reuse prevention), which meet
    no CIS threshold.
    """
    policy = resource.data.get("PasswordPolicy")
    value = (policy or {}).get(params["field"])
    evidence = {
        "password_policy_present": policy is not None,
        _snake_case(params["field"]): value,
        "required_minimum": params["minimum"],
    }
    meets = isinstance(value, int) and value >= params["minimum"]
    return Result("PASS" if meets else "FAIL", evidence)


@evaluator("iam_console_user_mfa")
def iam_console_user_mfa(resource: Resource, *, params: dict) -> Result:
    """FAIL for a user with a console password and no MFA device; users without one pass."""
    console = is_true(resource.data.get("password_enabled"))
    mfa = is_true(resource.data.get("mfa_active"))
    evidence = {"console_password": console, "mfa_active": mfa}
    return Result("FAIL" if console and not mfa else "PASS", evidence)


def _active_credentials(row: dict[str, Any]) -> list[tuple[str, list[tuple[str, str]]]]:
    """Each active credential with its activity dates, most telling first.

    A credential never used falls back to when it was set, so a key created long ago and never
    used counts as unused since its creation, while a fresh one is not stale.
    """
    credentials = []
    if is_true(row.get("password_enabled")):
        credentials.append(
            (
                "password",
                [
                    ("last_used", "password_last_used"),
                    ("last_changed", "password_last_changed"),
                    ("user_created", "user_creation_time"),
                ],
            )
        )
    for slot in ACCESS_KEY_SLOTS:
        if is_true(row.get(f"access_key_{slot}_active")):
            credentials.append(
                (
                    f"access_key_{slot}",
                    [
                        ("last_used", f"access_key_{slot}_last_used_date"),
                        ("last_rotated", f"access_key_{slot}_last_rotated"),
                    ],
                )
            )
    return credentials


@evaluator("iam_credentials_unused", params={"days": integer(minimum=1)}, required=("days",))
def iam_credentials_unused(resource: Resource, *, params: dict) -> Result:
    """FAIL when an active password or access key has seen no use for `days` days or more."""
    now = timezone.now()
    stale, undecided = [], []
    credentials = _active_credentials(resource.data)
    for credential, candidates in credentials:
        dated = [
            (basis, date)
            for basis, column in candidates
            if (date := report_date(resource.data.get(column))) is not None
        ]
        if not dated:
            undecided.append(credential)
            continue
        basis, date = dated[0]
        age = (now - date).days
        if age >= params["days"]:
            stale.append(
                {
                    "credential": credential,
                    "basis": basis,
                    "date": date.date().isoformat(),
                    "days": age,
                }
            )
    evidence = {
        "threshold_days": params["days"],
        "active_credentials": [credential for credential, _ in credentials],
        "unused_credentials": stale,
    }
    if stale:
        return Result("FAIL", evidence)
    if undecided:
        return Result(
            "NOT_EVALUATED",
            {**evidence, "reason": f"no usable date for: {', '.join(undecided)}"},
        )
    return Result("PASS", evidence)


@evaluator("iam_access_keys_rotated", params={"days": integer(minimum=1)}, required=("days",))
def iam_access_keys_rotated(resource: Resource, *, params: dict) -> Result:
    """FAIL when an active access key was created (last rotated) more than `days` days ago."""
    now = timezone.now()
    old, undecided, active = [], [], []
    for slot in ACCESS_KEY_SLOTS:
        if not is_true(resource.data.get(f"access_key_{slot}_active")):
            continue
        active.append(f"access_key_{slot}")
        rotated = report_date(resource.data.get(f"access_key_{slot}_last_rotated"))
        if rotated is None:
            undecided.append(f"access_key_{slot}")
            continue
        age = (now - rotated).days
        if age > params["days"]:
            old.append(
                {
                    "credential": f"access_key_{slot}",
                    "last_rotated": rotated.date().isoformat(),
                    "days": age,
                }
            )
    evidence = {"threshold_days": params["days"], "active_keys": active, "keys_not_rotated": old}
    if old:
        return Result("FAIL", evidence)
    if undecided:
        return Result(
            "NOT_EVALUATED",
            {**evidence, "reason": f"no rotation date for: {', '.join(undecided)}"},
        )
    return Result("PASS", evidence)


@evaluator("iam_single_active_access_key")
def iam_single_active_access_key(resource: Resource, *, params: dict) -> Result:
    active = [
        slot for slot in ACCESS_KEY_SLOTS if is_true(resource.data.get(f"access_key_{slot}_active"))
    ]
    return Result("FAIL" if len(active) > 1 else "PASS", {"active_access_keys": len(active)})


def _as_list(value: Any) -> list:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _role_documents(data: dict[str, Any]) -> tuple[list[dict[str, Any]], int]:
    """The role's readable policy documents, and how many managed ones the scan did not get."""
    documents = [policy.get("PolicyDocument") or {} for policy in data.get("RolePolicyList", [])]
    managed = (data.get("ManagedPolicyDocuments") or {}).values()
    documents += [document for document in managed if document is not None]
    unreadable = sum(1 for document in managed if document is None)
    return documents, unreadable


@evaluator("instance_role_admin")
def instance_role_admin(resource: Resource, *, params: dict) -> Result:
    """FAIL when an instance-profile role is administrator (AdministratorAccess or `*` on `*`)."""
    data = resource.data
    _, unreadable = _role_documents(data)
    attached = bool(data.get("AttachedAdministratorAccess"))
    equivalent = bool(data.get("AdminEquivalent"))
    evidence = {
        "attached_administrator_access": attached,
        "admin_equivalent": equivalent,
        "managed_policy_count": len(data.get("AttachedManagedPolicies", [])),
        "inline_policy_count": len(data.get("RolePolicyList", [])),
        "instance_profile_count": len(data.get("InstanceProfileArns", [])),
    }
    if attached or equivalent:
        return Result("FAIL", evidence)
    if unreadable:
        return Result(
            "NOT_EVALUATED",
            {**evidence, "reason": f"{unreadable} managed policy document(s) not available"},
        )
    return Result("PASS", evidence)


# "service:Action", with IAM's * and ? wildcards.
IAM_ACTION = re.compile(r"^[a-z0-9-]+:[A-Za-z0-9*?]+$")


def _iam_action_problem(value: str) -> str | None:
    return None if IAM_ACTION.match(value) else "must be an IAM action such as iam:PassRole"


@evaluator("iam_policy_not_full_admin")
def iam_policy_not_full_admin(resource: Resource, *, params: dict) -> Result:
    """FAIL when a policy in force allows every action on every resource ("*" on "*").

    A managed policy is judged by its default version; a principal's inline policies together,
    counting those that allow everything. Only kinds and counts reach the evidence, no names.
    """
    data = resource.data
    if data.get("PolicyType") == "inline":
        full_admin = data.get("FullAdminPolicyCount", 0)
        evidence = {
            "policy_type": "inline",
            "principal_type": data.get("PrincipalType"),
            "inline_policy_count": data.get("InlinePolicyCount"),
            "full_admin_policy_count": full_admin,
        }
        return Result("FAIL" if full_admin else "PASS", evidence)
    grants = data.get("GrantsFullAdmin")
    evidence = {
        "policy_type": data.get("PolicyType"),
        "attachment_count": data.get("AttachmentCount"),
        "full_admin": grants,
    }
    if grants is None:
        return Result(
            "NOT_EVALUATED", {**evidence, "reason": "default policy version not available"}
        )
    return Result("FAIL" if grants else "PASS", evidence)


def _broad_resource(resource: str) -> bool:
    # "*", or every resource of a kind ("arn:aws:iam::123456789012:role/*").
    return resource == "*" or resource.endswith((":*", "/*"))


def _action_matches(action: str, pattern: str) -> bool:
    # IAM action names and their wildcards are case-insensitive.
    return fnmatch.fnmatchcase(action.lower(), pattern.lower())


def _granted_actions(statement: dict[str, Any], actions: list[str]) -> set[str]:
    """Which of `actions` an Allow statement grants on a broad resource.

    Conditions are not read as limits: `iam:PassedToService` on PassRole, for one, still lets the
    role hand any role to that service.
    """
    if statement.get("Effect") != "Allow":
        return set()
    if "NotResource" not in statement and not any(
        _broad_resource(str(item)) for item in _as_list(statement.get("Resource"))
    ):
        return set()
    if "NotAction" in statement:
        excluded = [str(item) for item in _as_list(statement["NotAction"])]
        return {
            action
            for action in actions
            if not any(_action_matches(action, pattern) for pattern in excluded)
        }
    patterns = [str(item) for item in _as_list(statement.get("Action"))]
    return {action for action in actions if any(_action_matches(action, p) for p in patterns)}


@evaluator(
    "instance_role_privilege_escalation",
    params={"actions": list_of(Param(str, _iam_action_problem))},
    required=("actions",),
)
def instance_role_privilege_escalation(resource: Resource, *, params: dict) -> Result:
    """FAIL when the role's policies allow one of `actions` (IAM writes, PassRole, AssumeRole).

    Deny statements are not subtracted, so this errs towards reporting.
    """
    documents, unreadable = _role_documents(resource.data)
    granted: set[str] = set()
    for document in documents:
        for statement in _as_list(document.get("Statement")):
            granted |= _granted_actions(statement, params["actions"])
    evidence = {
        "escalation_actions": sorted(granted),
        "documents_checked": len(documents),
        "unreadable_managed_policies": unreadable,
    }
    if granted:
        return Result("FAIL", evidence)
    if unreadable:
        return Result(
            "NOT_EVALUATED",
            {**evidence, "reason": f"{unreadable} managed policy document(s) not available"},
        )
    return Result("PASS", evidence)
