"""What an IAM role's policies let its holder do, read once per scan and role.

A region unit needs it for the instance profiles its instances wear (the exposure model's
credential blast radius); IAM is global and several regions share roles, so one unit of the
scan reads each role and the others reuse its answer through the scan-wide call memo.
"""

from typing import Any

from botocore.exceptions import ClientError

from scans.collection.aws import GLOBAL_API_REGION, error_code
from scans.collection.context import CollectContext
from scans.collection.iam_policies import (
    IAM_ESCALATION_ACTIONS,
    as_list,
    policy_allows_any,
    policy_document,
    policy_grants_full_admin,
)

ROLE_READ_PERMISSIONS = (
    "iam:ListAttachedRolePolicies",
    "iam:ListRolePolicies",
    "iam:GetRolePolicy",
    "iam:GetPolicy",
    "iam:GetPolicyVersion",
)
# Reading every object of every bucket, and decrypting with every key: the role's data reach.
S3_READ_ACTIONS = ("s3:GetObject",)
KMS_DECRYPT_ACTIONS = ("kms:Decrypt",)


def _iam_call(ctx: CollectContext, operation: str, **params: Any) -> Any:
    return ctx.call("iam", operation, region=GLOBAL_API_REGION, **params)


def allows_on_every_resource(document: Any, actions: tuple[str, ...]) -> bool:
    """Whether an unconditioned Allow grants one of `actions` on `*` (every bucket, every key)."""
    for statement in as_list(policy_document(document).get("Statement")):
        if statement.get("Effect") != "Allow" or statement.get("Condition"):
            continue
        resources = [str(item) for item in as_list(statement.get("Resource"))]
        if not ({"*", "arn:aws:s3:::*", "arn:aws:s3:::*/*"} & set(resources)):
            continue
        if policy_allows_any({"Statement": [statement]}, actions):
            return True
    return False


def role_documents(ctx: CollectContext, role_arn: str) -> list[dict[str, Any]] | None:
    """The policy documents of the role (inline and attached), or None when it is gone; read by
    one unit of the scan per role, whoever asks (an instance profile or an EKS node group).
    Raises CollectionError when a call was refused."""
    key = ("iam-role-documents", role_arn)
    return ctx.memo.once(key, lambda: ctx.memo.once_per_scan(key, lambda: _read(ctx, role_arn)))


def role_power(ctx: CollectContext, role_arn: str) -> dict[str, Any] | None:
    """`AdminEquivalent`, `IamEscalation`, `S3ReadAll`, `KmsDecryptAll` and `PolicyCount` of
    the role, or None when it is gone. Raises CollectionError when a call was refused."""
    documents = role_documents(ctx, role_arn)
    if documents is None:
        return None
    return {
        "AdminEquivalent": any(policy_grants_full_admin(document) for document in documents),
        "IamEscalation": any(policy_allows_any(d, IAM_ESCALATION_ACTIONS) for d in documents),
        "S3ReadAll": any(allows_on_every_resource(d, S3_READ_ACTIONS) for d in documents),
        "KmsDecryptAll": any(allows_on_every_resource(d, KMS_DECRYPT_ACTIONS) for d in documents),
        "PolicyCount": len(documents),
    }


def _read(ctx: CollectContext, role_arn: str) -> list[dict[str, Any]] | None:
    role_name = role_arn.rsplit("/", 1)[-1]
    try:
        attached = _iam_call(ctx, "list_attached_role_policies", RoleName=role_name, MaxItems=1000)
        inline = _iam_call(ctx, "list_role_policies", RoleName=role_name, MaxItems=1000)
        documents = [
            policy_document(
                _iam_call(ctx, "get_role_policy", RoleName=role_name, PolicyName=name)[
                    "PolicyDocument"
                ]
            )
            for name in inline.get("PolicyNames", [])
        ]
        for policy in attached.get("AttachedPolicies", []):
            version = _iam_call(ctx, "get_policy", PolicyArn=policy["PolicyArn"])["Policy"][
                "DefaultVersionId"
            ]
            documents.append(
                policy_document(
                    _iam_call(
                        ctx, "get_policy_version", PolicyArn=policy["PolicyArn"], VersionId=version
                    )["PolicyVersion"]["Document"]
                )
            )
    except ClientError as error:
        if error_code(error) == "NoSuchEntity":
            return None
        raise
    return documents
