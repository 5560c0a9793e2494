"""IAM account-wide settings (the global part of a scan).

ARN forms for things that have no ARN of their own:
- `AWS::IAM::AccountSummary`: `arn:PARTITION:iam::ACCOUNT:root` (the account-level IAM settings).
- `AWS::IAM::PasswordPolicy`: `arn:PARTITION:iam::ACCOUNT:account-password-policy`.
- `AWS::IAM::RootUser` (the credential report's `<root_account>` row):
  `arn:PARTITION:iam::ACCOUNT:root-user`, distinct from the account summary's, because the
  resource hash is computed from the ARN and the two must not collide.
"""

import csv
import io
import time
from typing import Any

from botocore.exceptions import ClientError
from django.conf import settings

from scans.collection.aws import error_code
from scans.collection.collectors import register
from scans.collection.context import CollectContext, Denied, Unavailable
from scans.collection.iam_policies import policy_document, policy_grants_full_admin
from securescope.resources import Resource

# GetAccountAuthorizationDetails' maximum; tests lower it to exercise pagination.
PAGE_SIZE = 1000
MANAGED_POLICY_FILTERS = ["LocalManagedPolicy", "AWSManagedPolicy"]
# Principals that hold inline policies: (their type in evidence, the listing's filter, its result
# key, the key of their inline policies).
INLINE_POLICY_HOLDERS = (
    ("user", "User", "UserDetailList", "UserPolicyList"),
    ("group", "Group", "GroupDetailList", "GroupPolicyList"),
    ("role", "Role", "RoleDetailList", "RolePolicyList"),
)
CREDENTIAL_REPORT_TRIES = 10
CREDENTIAL_REPORT_DELAY_SECONDS = 1.0
ROOT_ROW_USER = "<root_account>"
ROOT_MFA_SERIAL = ":mfa/root-account-mfa-device"
# GetCredentialReport's answers while a report is still being generated.
REPORT_NOT_READY_CODES = frozenset({"ReportInProgress", "ReportNotPresent", "ReportExpired"})


def _iam_arn(ctx: CollectContext, resource: str) -> str:
    return f"arn:{ctx.account.partition}:iam::{ctx.account.account_id}:{resource}"


def _without_metadata(response: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in response.items() if key != "ResponseMetadata"}


@register(
    "iam.account_summary",
    service="iam",
    scope="global",
    resource_types={
        "AWS::IAM::AccountSummary": "`arn:aws:iam::ACCOUNT:root` (account-wide IAM settings)",
    },
    permissions=("iam:GetAccountSummary", "iam:ListVirtualMFADevices"),
)
def collect_account_summary(ctx: CollectContext) -> list[Resource]:
    """The account-wide IAM counters, and whether the root user's MFA device is a virtual one
    (the summary only says that root has a device)."""
    summary = ctx.call("iam", "get_account_summary")["SummaryMap"]
    missing: dict[str, str] = {}
    root_virtual_mfa = None
    try:
        devices = ctx.paginate(
            "iam", "list_virtual_mfa_devices", "VirtualMFADevices", AssignmentStatus="Assigned"
        )
    except (Denied, Unavailable) as error:
        missing["RootVirtualMfaDevice"] = error.summary
    else:
        root_virtual_mfa = any(_is_root_device(device) for device in devices)
    return [
        ctx.resource(
            "AWS::IAM::AccountSummary",
            # The root user's ARN stands for the account-level IAM settings.
            _iam_arn(ctx, "root"),
            {"SummaryMap": summary, "RootVirtualMfaDevice": root_virtual_mfa},
            missing=missing,
        )
    ]


def _is_root_device(device: dict[str, Any]) -> bool:
    # The root user's virtual device carries the root ARN, and its serial ends with this name.
    user_arn = (device.get("User") or {}).get("Arn", "")
    return user_arn.endswith(":root") or device.get("SerialNumber", "").endswith(ROOT_MFA_SERIAL)


@register(
    "iam.password_policy",
    service="iam",
    scope="global",
    resource_types={
        "AWS::IAM::PasswordPolicy": "`arn:aws:iam::ACCOUNT:account-password-policy`",
    },
    permissions=("iam:GetAccountPasswordPolicy",),
)
def collect_password_policy(ctx: CollectContext) -> list[Resource]:
    try:
        policy = ctx.call("iam", "get_account_password_policy")["PasswordPolicy"]
    except ClientError as error:
        # An account that never set a policy answers NoSuchEntity: a finding, not a failure.
        if error_code(error) != "NoSuchEntity":
            raise
        policy = None
    return [
        ctx.resource(
            "AWS::IAM::PasswordPolicy",
            _iam_arn(ctx, "account-password-policy"),
            {"PasswordPolicy": policy},
        )
    ]


def _credential_report(ctx: CollectContext) -> bytes:
    ctx.call("iam", "generate_credential_report")
    for attempt in range(CREDENTIAL_REPORT_TRIES):
        try:
            return ctx.call("iam", "get_credential_report")["Content"]
        except ClientError as error:
            if error_code(error) not in REPORT_NOT_READY_CODES:
                raise
        if attempt < CREDENTIAL_REPORT_TRIES - 1:
            time.sleep(CREDENTIAL_REPORT_DELAY_SECONDS)
    raise Unavailable("iam:GetCredentialReport", "credential report not ready in time")


@register(
    "iam.credential_report",
    service="iam",
    scope="global",
    resource_types={
        "AWS::IAM::User": "the user's ARN",
        "AWS::IAM::RootUser": "`arn:aws:iam::ACCOUNT:root-user` (the credential report's root row)",
    },
    permissions=(
        "iam:GenerateCredentialReport",
        "iam:GetCredentialReport",
        "iam:GetAccountAuthorizationDetails",
    ),
)
def collect_credential_report(ctx: CollectContext) -> list[Resource]:
    """A resource per credential-report row; each user also carries `DirectPolicies`, the counts
    of managed and inline policies attached to the user rather than to a group (None for a user
    created after the authorization details were read)."""
    content = _credential_report(ctx)
    if isinstance(content, bytes):
        content = content.decode("utf-8")
    missing: dict[str, str] = {}
    direct: dict[str, dict[str, int]] = {}
    try:
        users = _authorization_details(ctx, ["User"], "UserDetailList")
    except (Denied, Unavailable) as error:
        missing["DirectPolicies"] = error.summary
    else:
        direct = {
            user["Arn"]: {
                "attached": len(user.get("AttachedManagedPolicies") or []),
                "inline": len(user.get("UserPolicyList") or []),
            }
            for user in users
        }
    resources = []
    for row in csv.DictReader(io.StringIO(content)):
        if row["user"] == ROOT_ROW_USER:
            resources.append(ctx.resource("AWS::IAM::RootUser", _iam_arn(ctx, "root-user"), row))
        else:
            data = {**row, "DirectPolicies": direct.get(row["arn"])}
            resources.append(ctx.resource("AWS::IAM::User", row["arn"], data, missing=missing))
    return resources


@register(
    "iam.oidc_providers",
    service="iam",
    scope="global",
    resource_types={
        "AWS::IAM::OIDCProvider": "the provider's ARN",
    },
    permissions=("iam:ListOpenIDConnectProviders", "iam:GetOpenIDConnectProvider"),
)
def collect_oidc_providers(ctx: CollectContext) -> list[Resource]:
    # Region units with EKS clusters need the same list: one call per scan.
    providers = ctx.call("iam", "list_open_id_connect_providers", once_per_scan=True)[
        "OpenIDConnectProviderList"
    ]
    resources = []
    for provider in ctx.capped(
        providers, cap=settings.SCAN_PER_ITEM_CALL_CAP, what="OIDC providers"
    ):
        arn = provider["Arn"]
        data: dict[str, Any] = {"Arn": arn}
        missing: dict[str, str] = {}
        try:
            data.update(
                _without_metadata(
                    ctx.call("iam", "get_open_id_connect_provider", OpenIDConnectProviderArn=arn)
                )
            )
        except ClientError as error:
            # Deleted between the listing and this call: it no longer exists to be judged.
            if error_code(error) == "NoSuchEntity":
                continue
            raise
        except (Denied, Unavailable) as error:
            missing["Url"] = error.summary
        resources.append(ctx.resource("AWS::IAM::OIDCProvider", arn, data, missing=missing))
    return resources


def _authorization_details(ctx: CollectContext, filters: list[str], result_key: str) -> list:
    """One GetAccountAuthorizationDetails listing; collectors asking for the same filters share
    the unit's single paginated call."""
    return ctx.paginate(
        "iam",
        "get_account_authorization_details",
        result_key,
        Filter=filters,
        PaginationConfig={"PageSize": PAGE_SIZE},
    )


def _managed_policies(ctx: CollectContext) -> list[dict[str, Any]]:
    return _authorization_details(ctx, MANAGED_POLICY_FILTERS, "Policies")


def _default_documents(policies: list[dict[str, Any]]) -> dict[str, Any]:
    documents = {}
    for policy in policies:
        for version in policy.get("PolicyVersionList", []):
            if version.get("IsDefaultVersion") or version.get("VersionId") == policy.get(
                "DefaultVersionId"
            ):
                documents[policy["Arn"]] = policy_document(version["Document"])
                break
    return documents


@register(
    "iam.instance_profile_roles",
    service="iam",
    scope="global",
    resource_types={
        "AWS::IAM::InstanceProfileRole": "the role's ARN",
    },
    permissions=("iam:GetAccountAuthorizationDetails",),
)
def collect_instance_profile_roles(ctx: CollectContext) -> list[Resource]:
    """Roles that EC2 instances can wear, with every policy document that applies to them.

    Roles and managed policies come from the same call family with separate filters, so each
    page carries one list and nothing is fetched twice.
    """
    roles = _authorization_details(ctx, ["Role"], "RoleDetailList")
    profile_roles = [role for role in roles if role.get("InstanceProfileList")]
    if not profile_roles:
        return []
    documents = _default_documents(_managed_policies(ctx))
    administrator_access = f"arn:{ctx.account.partition}:iam::aws:policy/AdministratorAccess"
    resources = []
    for role in profile_roles:
        attached = role.get("AttachedManagedPolicies", [])
        inline = [
            {**policy, "PolicyDocument": policy_document(policy["PolicyDocument"])}
            for policy in role.get("RolePolicyList", [])
        ]
        # None marks a managed policy whose document the response did not carry.
        managed = {policy["PolicyArn"]: documents.get(policy["PolicyArn"]) for policy in attached}
        all_documents = [policy["PolicyDocument"] for policy in inline] + [
            document for document in managed.values() if document is not None
        ]
        attached_admin = any(policy["PolicyArn"] == administrator_access for policy in attached)
        data = {
            "RoleName": role["RoleName"],
            "Arn": role["Arn"],
            "InstanceProfileArns": [profile["Arn"] for profile in role["InstanceProfileList"]],
            "AttachedManagedPolicies": attached,
            "RolePolicyList": inline,
            "ManagedPolicyDocuments": managed,
            "AttachedAdministratorAccess": attached_admin,
            "AdminEquivalent": attached_admin
            or any(policy_grants_full_admin(document) for document in all_documents),
        }
        resources.append(ctx.resource("AWS::IAM::InstanceProfileRole", role["Arn"], data))
    return resources


@register(
    "iam.policies",
    service="iam",
    scope="global",
    resource_types={
        "AWS::IAM::Policy": (
            "a managed policy attached to someone: the policy's ARN, "
            "`arn:aws:iam::ACCOUNT:policy/PATH/NAME`, or `arn:aws:iam::aws:policy/NAME` for an AWS"
            " managed one; a principal's inline policies together: the user's, group's or role's "
            "ARN"
        ),
    },
    permissions=("iam:GetAccountAuthorizationDetails",),
)
def collect_policies(ctx: CollectContext) -> list[Resource]:
    """The policies in force: every managed policy attached to a user, group or role (the policy
    is the resource), and every principal's inline policies taken together (the principal is).

    Whether a document allows everything is decided here, with the same test as instance-profile
    roles; documents themselves are not kept. The role and policy listings are the ones
    iam.instance_profile_roles reads, so the unit makes each call once.
    """
    resources = []
    policies = [policy for policy in _managed_policies(ctx) if policy.get("AttachmentCount")]
    documents = _default_documents(policies)
    aws_managed_prefix = f"arn:{ctx.account.partition}:iam::aws:policy/"
    for policy in policies:
        document = documents.get(policy["Arn"])
        data = {
            "PolicyType": "aws_managed"
            if policy["Arn"].startswith(aws_managed_prefix)
            else "customer_managed",
            "AttachmentCount": policy["AttachmentCount"],
            # None: the response carried no default version to judge.
            "GrantsFullAdmin": None if document is None else policy_grants_full_admin(document),
        }
        resources.append(ctx.resource("AWS::IAM::Policy", policy["Arn"], data))
    for principal_type, entity, result_key, inline_key in INLINE_POLICY_HOLDERS:
        for principal in _authorization_details(ctx, [entity], result_key):
            inline = principal.get(inline_key) or []
            if not inline:
                continue
            data = {
                "PolicyType": "inline",
                "PrincipalType": principal_type,
                "InlinePolicyCount": len(inline),
                "FullAdminPolicyCount": sum(
                    policy_grants_full_admin(policy["PolicyDocument"]) for policy in inline
                ),
            }
            resources.append(ctx.resource("AWS::IAM::Policy", principal["Arn"], data))
    return resources


SUPPORT_POLICY = "AWSSupportAccess"
CLOUDSHELL_FULL_ACCESS_POLICY = "AWSCloudShellFullAccess"


@register(
    "iam.account_policies",
    service="iam",
    scope="global",
    resource_types={
        "AWS::IAM::AccountPolicies": "`arn:aws:iam::ACCOUNT:account-policies` (who holds two AWS"
        " managed policies CIS asks about)",
    },
    permissions=("iam:GetAccountAuthorizationDetails",),
)
def collect_account_policies(ctx: CollectContext) -> list[Resource]:
    """How many roles hold AWSSupportAccess, and how many principals AWSCloudShellFullAccess:
    read from the role and managed-policy listings the unit already makes, no call of its own."""
    prefix = f"arn:{ctx.account.partition}:iam::aws:policy/"
    roles = _authorization_details(ctx, ["Role"], "RoleDetailList")
    support_roles = sum(
        any(
            policy["PolicyArn"] == prefix + SUPPORT_POLICY
            for policy in role.get("AttachedManagedPolicies") or []
        )
        for role in roles
    )
    attachments = {
        policy["Arn"]: policy.get("AttachmentCount", 0) for policy in _managed_policies(ctx)
    }
    data = {
        "SupportRoleCount": support_roles,
        "CloudShellFullAccessAttachments": attachments.get(
            prefix + CLOUDSHELL_FULL_ACCESS_POLICY, 0
        ),
    }
    return [ctx.resource("AWS::IAM::AccountPolicies", _iam_arn(ctx, "account-policies"), data)]


@register(
    "iam.server_certificates",
    service="iam",
    scope="global",
    resource_types={"AWS::IAM::ServerCertificate": "the certificate's ARN"},
    permissions=("iam:ListServerCertificates",),
)
def collect_server_certificates(ctx: CollectContext) -> list[Resource]:
    certificates = ctx.paginate("iam", "list_server_certificates", "ServerCertificateMetadataList")
    return [
        ctx.resource(
            "AWS::IAM::ServerCertificate",
            certificate["Arn"],
            {"Expiration": certificate.get("Expiration")},
        )
        for certificate in certificates
    ]
