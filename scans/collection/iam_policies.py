"""What an IAM policy document allows, as the collectors of IAM roles judge it: the instance-
profile and policy collectors (iam.py) and the EKS node-role reading (eks_nodegroups.py)."""

import fnmatch
import json
import urllib.parse
from typing import Any

# ECR actions that change images or repositories: a node needs none of them to pull.
ECR_WRITE_ACTIONS = (
    "ecr:PutImage",
    "ecr:InitiateLayerUpload",
    "ecr:UploadLayerPart",
    "ecr:CompleteLayerUpload",
    "ecr:BatchDeleteImage",
    "ecr:DeleteRepository",
    "ecr:CreateRepository",
    "ecr:SetRepositoryPolicy",
    "ecr:DeleteRepositoryPolicy",
    "ecr:PutLifecyclePolicy",
    "ecr:PutImageTagMutability",
    "ecr:ReplicateImage",
)
# IAM actions that let a principal give itself (or a resource it controls) more power.
IAM_ESCALATION_ACTIONS = (
    "iam:PassRole",
    "iam:CreatePolicyVersion",
    "iam:SetDefaultPolicyVersion",
    "iam:AttachRolePolicy",
    "iam:AttachUserPolicy",
    "iam:PutRolePolicy",
    "iam:PutUserPolicy",
    "iam:CreateAccessKey",
    "iam:UpdateAssumeRolePolicy",
    "iam:CreateRole",
)


def policy_document(document: Any) -> dict[str, Any]:
    """A policy document as a dict; IAM may hand it over URL-encoded JSON text."""
    if isinstance(document, str):
        return json.loads(urllib.parse.unquote(document))
    return document


def as_list(value: Any) -> list:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _unconditioned_allows(document: Any) -> list[dict[str, Any]]:
    return [
        statement
        for statement in as_list(policy_document(document).get("Statement"))
        if statement.get("Effect") == "Allow" and not statement.get("Condition")
    ]


def policy_grants_full_admin(document: Any) -> bool:
    """Whether one statement allows every action on every resource without a condition.

    Allow with NotAction on `*` counts too: it grants everything but a short list. Deny
    statements elsewhere in the document are not subtracted, so this errs towards reporting.
    """
    for statement in _unconditioned_allows(document):
        if "*" not in as_list(statement.get("Resource")):
            continue
        if "NotAction" in statement:
            return True
        if {"*", "*:*"} & set(as_list(statement.get("Action"))):
            return True
    return False


def policy_allows_any(document: Any, actions: tuple[str, ...]) -> bool:
    """Whether an unconditioned Allow statement covers one of `actions` (wildcards in the
    statement's actions count; NotAction counts as everything it does not name)."""
    wanted = [action.lower() for action in actions]
    for statement in _unconditioned_allows(document):
        if "NotAction" in statement:
            excluded = [str(pattern).lower() for pattern in as_list(statement["NotAction"])]
            if any(
                not any(fnmatch.fnmatchcase(action, pattern) for pattern in excluded)
                for action in wanted
            ):
                return True
            continue
        patterns = [str(pattern).lower() for pattern in as_list(statement.get("Action"))]
        if any(fnmatch.fnmatchcase(action, pattern) for action in wanted for pattern in patterns):
            return True
    return False
