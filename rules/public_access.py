"""Who a resource policy or an S3 ACL lets in: shared by the S3, CloudTrail and ECR rules.

A statement is public when it allows a wildcard principal and no condition pins the request to
fixed values of the keys S3 names in its meaning of "public" (the PublicAccessBlockConfiguration
API reference): aws:SourceIp without a world-wide range, aws:SourceArn, aws:SourceVpc,
aws:SourceVpce, aws:SourceOwner, aws:SourceAccount, s3:x-amz-server-side-encryption-aws-kms-key-id
and aws:userid. For S3 other keys (aws:PrincipalOrgID included) are not taken as restricting,
so the judgement errs towards "public", and S3's own verdict, when it was read, wins over it;
for other services' policies a fixed organization, account or principal ARN restricts too.
"""

import fnmatch
import ipaddress
from collections.abc import Mapping
from typing import Any

ACCESS_KINDS = ("read", "write")
RESTRICTING_KEYS = frozenset(
    {
        "aws:sourcearn",
        "aws:sourcevpc",
        "aws:sourcevpce",
        "aws:sourceowner",
        "aws:sourceaccount",
        "s3:x-amz-server-side-encryption-aws-kms-key-id",
        "aws:userid",
    }
)
FIXED_VALUE_OPERATORS = frozenset(
    {"stringequals", "stringequalsignorecase", "stringlike", "arnequals", "arnlike"}
)
# The shortest prefixes S3 still reads as "a set of CIDRs" rather than everyone (conservative).
NARROWEST_WORLD_PREFIX = {4: 8, 6: 32}
ALL_USERS_GROUPS = ("/global/AllUsers", "/global/AuthenticatedUsers")
ACL_ACCESS = {
    "READ": ("read",),
    "READ_ACP": ("read",),
    "WRITE": ("write",),
    "WRITE_ACP": ("write",),
    "FULL_CONTROL": ("read", "write"),
}
# Action prefixes that expose data (S3's "bad actions"), and one sample action per kind that a
# wildcard pattern such as "s3:*Object" would also cover.
ACTION_PREFIXES = {
    "s3": {"read": ("get", "list"), "write": ("put", "delete", "abortmultipartupload", "restore")},
    "ecr": {
        "read": ("batchget", "get", "describe", "list"),
        "write": ("put", "delete", "batchdelete", "initiate", "upload", "complete", "set", "tag"),
    },
}
SAMPLE_ACTIONS = {
    "s3": {"read": ("getobject", "listbucket"), "write": ("putobject", "deleteobject")},
    "ecr": {"read": ("batchgetimage", "getdownloadurlforlayer"), "write": ("putimage",)},
}


def as_list(value: Any) -> list:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _wildcard_principal(statement: dict[str, Any]) -> bool:
    if "NotPrincipal" in statement:
        return True
    principal = statement.get("Principal")
    if principal == "*":
        return True
    if not isinstance(principal, dict):
        return False
    return any("*" in str(value) for value in as_list(principal.get("AWS")))


def _fixed(values: list) -> bool:
    return bool(values) and all(
        isinstance(value, str) and "*" not in value and "?" not in value for value in values
    )


def _narrow_cidrs(values: list) -> bool:
    for value in values:
        try:
            network = ipaddress.ip_network(str(value), strict=False)
        except ValueError:
            return False
        if network.prefixlen < NARROWEST_WORLD_PREFIX[network.version]:
            return False
    return bool(values)


# Keys that pin the caller to an organization or account: restricting for resource policies
# other than S3's, whose published meaning of "public" does not list them.
PRINCIPAL_KEYS = frozenset(
    {"aws:principalorgid", "aws:principalaccount", "aws:principalarn", "aws:sourceorgid"}
)


def _restricting(condition: Any, keys: frozenset[str] = RESTRICTING_KEYS) -> bool:
    """Whether one condition test pins the request to fixed sources or principals."""
    for operator, tests in (condition or {}).items():
        name = operator.lower()
        # IfExists passes when the key is absent; ForAllValues passes on an empty set.
        if name.endswith("ifexists") or name.startswith("forallvalues:"):
            continue
        name = name.removeprefix("foranyvalue:")
        if not isinstance(tests, dict):
            continue
        for key, values in tests.items():
            key, values = key.lower(), as_list(values)
            if name == "ipaddress" and key == "aws:sourceip" and _narrow_cidrs(values):
                return True
            if name in FIXED_VALUE_OPERATORS and key in keys and _fixed(values):
                return True
    return False


def _action_kinds(statement: dict[str, Any], service: str) -> set[str]:
    if "NotAction" in statement:
        return set(ACCESS_KINDS)
    kinds: set[str] = set()
    for action in as_list(statement.get("Action")):
        pattern = str(action).lower()
        if pattern == "*":
            return set(ACCESS_KINDS)
        prefix, _, name = pattern.partition(":")
        if prefix != service:
            continue
        for kind in ACCESS_KINDS:
            samples = (f"{service}:{sample}" for sample in SAMPLE_ACTIONS[service][kind])
            if name.startswith(ACTION_PREFIXES[service][kind]) or any(
                fnmatch.fnmatchcase(sample, pattern) for sample in samples
            ):
                kinds.add(kind)
    return kinds


def policy_public_kinds(policy: dict[str, Any] | None, service: str) -> set[str]:
    """The kinds of access ("read", "write") the policy gives anyone."""
    keys = RESTRICTING_KEYS if service == "s3" else RESTRICTING_KEYS | PRINCIPAL_KEYS
    kinds: set[str] = set()
    for statement in as_list((policy or {}).get("Statement")):
        if (
            isinstance(statement, dict)
            and statement.get("Effect") == "Allow"
            and _wildcard_principal(statement)
            and not _restricting(statement.get("Condition"), keys)
        ):
            kinds |= _action_kinds(statement, service)
    return kinds


def acl_public_kinds(grants: list[dict[str, Any]]) -> set[str]:
    """The kinds of access ("read", "write") granted to all users or all authenticated users."""
    kinds: set[str] = set()
    for grant in grants:
        uri = str((grant.get("Grantee") or {}).get("URI") or "")
        if uri.endswith(ALL_USERS_GROUPS):
            kinds |= set(ACL_ACCESS.get(grant.get("Permission"), ()))
    return kinds


def _any(*values: bool | None) -> bool | None:
    """Three-valued OR: True wins, then unknown (None), then False."""
    if True in values:
        return True
    return None if None in values else False


def _block_flag(
    data: Mapping[str, Any], missing: Mapping[str, str], flag: str
) -> tuple[bool | None, list[str]]:
    """Whether the bucket's or the account's Block Public Access turns `flag` on."""
    values, reasons = [], []
    for field in ("PublicAccessBlockConfiguration", "AccountPublicAccessBlock"):
        if field in missing:
            values.append(None)
            reasons.append(missing[field])
        else:
            values.append((data.get(field) or {}).get(flag) is True)
    return _any(*values), reasons


def bucket_exposure(data: Mapping[str, Any], missing: Mapping[str, str]) -> dict[str, Any]:
    """Whether anyone may read and write the bucket (`public_read`, `public_write`: True,
    False, or None when data that could decide it is missing), with the facts behind it and
    `unknown_reasons`."""
    reasons: list[str] = []
    restrict, restrict_reasons = _block_flag(data, missing, "RestrictPublicBuckets")
    ignore_acls, ignore_reasons = _block_flag(data, missing, "IgnorePublicAcls")
    if "ObjectOwnership" in missing:
        acls_disabled = None
        reasons.append(missing["ObjectOwnership"])
    else:
        acls_disabled = data.get("ObjectOwnership") == "BucketOwnerEnforced"
    acls_ignored = _any(ignore_acls, acls_disabled)
    status = data.get("PolicyStatus")
    if "Policy" in missing:
        policy_kinds: set[str] | None = None
        reasons.append(missing["Policy"])
    elif status is not None and status.get("IsPublic") is False:
        policy_kinds = set()
    else:
        policy_kinds = policy_public_kinds(data.get("Policy"), "s3")
        if status is not None and status.get("IsPublic") and not policy_kinds:
            policy_kinds = {"read"}
    if "AclGrants" in missing:
        acl_kinds: set[str] | None = None
        reasons.append(missing["AclGrants"])
    else:
        acl_kinds = acl_public_kinds(data.get("AclGrants") or [])
    exposure: dict[str, Any] = {
        "policy_judged_by": "s3" if status is not None else "policy_analysis",
        "restrict_public_buckets": restrict,
        "ignore_public_acls": ignore_acls,
        "acls_disabled": acls_disabled,
    }
    for kind in ACCESS_KINDS:
        by_policy = None if policy_kinds is None else kind in policy_kinds
        by_acl = None if acl_kinds is None else kind in acl_kinds
        exposure[f"policy_grants_public_{kind}"] = by_policy
        exposure[f"acl_grants_public_{kind}"] = by_acl
        via_policy = _and_not(by_policy, restrict)
        via_acl = _and_not(by_acl, acls_ignored)
        exposure[f"public_{kind}"] = _any(via_policy, via_acl)
    if restrict is None:
        reasons += restrict_reasons
    if ignore_acls is None:
        reasons += ignore_reasons
    exposure["unknown_reasons"] = sorted(set(reasons))
    return exposure


def _and_not(granted: bool | None, blocked: bool | None) -> bool | None:
    """Three-valued `granted and not blocked`."""
    if granted is False or blocked is True:
        return False
    if granted is True and blocked is False:
        return True
    return None
