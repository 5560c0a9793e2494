"""The read-only IAM policy a scan needs, built from what the collectors declare, and the check
of it that each scan makes when it starts."""

import json
import logging
from collections.abc import Iterable

import boto3
from botocore.exceptions import BotoCoreError, ClientError
from botocore.parsers import ResponseParserError
from botocore.utils import ArnParser, InvalidArnException

from scans.collection.aws import GLOBAL_API_REGION, error_code, new_client
from scans.collection.collectors import required_permissions

logger = logging.getLogger(__name__)

# Made before any collector runs: proving the keys and discovering the regions.
SCAN_START_ACTIONS = ("sts:GetCallerIdentity", "ec2:DescribeRegions")
# Lets the scan check its policy when it starts; without it, missing permissions are found as
# the calls that need them are denied.
POLICY_CHECK_ACTION = "iam:SimulatePrincipalPolicy"
OPTIONAL_ACTIONS = (POLICY_CHECK_ACTION,)


def scan_actions() -> list[str]:
    return sorted({*SCAN_START_ACTIONS, *OPTIONAL_ACTIONS, *required_permissions()})


def policy_document(actions: list[str]) -> str:
    """An IAM policy granting exactly `actions` on every resource, as indented JSON."""
    document = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "SecureScopeReadOnly",
                "Effect": "Allow",
                "Action": sorted(actions),
                "Resource": "*",
            }
        ],
    }
    return json.dumps(document, indent=2)


def policy_principal_arn(caller_arn: str) -> str | None:
    """The IAM user or role whose policies decide the caller's calls, or None when there is none
    to simulate (the root user, a federated user).

    An assumed role's STS ARN leaves out the role's path: for a role with one, the ARN built
    here names no role, and the simulation that uses it fails.
    """
    try:
        arn = ArnParser().parse_arn(caller_arn)
    except InvalidArnException:
        return None
    kind, _, name = arn["resource"].partition("/")
    if arn["service"] == "iam" and kind == "user":
        return caller_arn
    if arn["service"] == "sts" and kind == "assumed-role":
        role_name = name.partition("/")[0]
        return f"arn:{arn['partition']}:iam::{arn['account']}:role/{role_name}"
    return None


def policy_denials(
    *, session: boto3.Session, caller_arn: str, endpoint_url: str = ""
) -> dict[str, str]:
    """{action: "denied"} for each action of the scan that IAM's policy simulator says the
    caller may not make; empty when the check cannot be made.

    Best effort and one attempt, since the form waits for it: a simulation that is itself
    denied, fails or is not offered (moto has none) leaves the record to the calls themselves.
    """
    principal_arn = policy_principal_arn(caller_arn)
    if principal_arn is None:
        logger.info("Policy check skipped: the caller is not an IAM user or role")
        return {}
    iam = new_client(session, "iam", GLOBAL_API_REGION, endpoint_url, total_max_attempts=1)
    pages = iam.get_paginator("simulate_principal_policy").paginate(
        PolicySourceArn=principal_arn, ActionNames=scan_actions()
    )
    denied: dict[str, str] = {}
    try:
        for page in pages:
            for result in page["EvaluationResults"]:
                # A decision that hangs on a condition the simulation has no value for (source
                # IP, MFA...) predicts nothing about the real request.
                if result["EvalDecision"] != "allowed" and not result.get("MissingContextValues"):
                    denied[result["EvalActionName"]] = "denied"
    except ClientError as error:
        logger.info("Policy check skipped: the simulation failed (%s)", error_code(error))
        return {}
    except (BotoCoreError, ResponseParserError, NotImplementedError) as error:
        # ResponseParserError: an answer that is not IAM's XML (a proxy's page, an emulator).
        logger.info("Policy check skipped: the simulation failed (%s)", type(error).__name__)
        return {}
    return dict(sorted(denied.items()))


PERMISSION_PRECEDENCE = {"denied": 2, "ok": 1, "unavailable": 0}


def merged_permissions(per_unit: Iterable[dict[str, str]]) -> dict[str, str]:
    """One status per action over all units: denied anywhere wins, then ok, then unavailable."""
    merged: dict[str, str] = {}
    for permissions in per_unit:
        for action, status in permissions.items():
            if PERMISSION_PRECEDENCE[status] > PERMISSION_PRECEDENCE.get(merged.get(action), -1):
                merged[action] = status
    return dict(sorted(merged.items()))


def scan_permission_record(
    *, found_at_start: dict[str, str], per_unit: Iterable[dict[str, str]]
) -> dict[str, str]:
    """What the units' calls met, over what the policy check found denied at the scan's start.

    A call that went through outranks the check's denial: the simulation weighs neither
    resource policies (a KMS key policy, a bucket policy) nor conditions it has no value for.
    """
    record = merged_permissions(per_unit)
    for action, status in found_at_start.items():
        if record.get(action) != "ok":
            record[action] = status
    return dict(sorted(record.items()))
