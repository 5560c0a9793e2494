"""An AWS organization in moto: member accounts with a role to assume, one that refuses it."""

import json
import time
import uuid
from dataclasses import dataclass

from scans.models import OrganizationRun
from testing.aws import moto_user_keys

MANAGEMENT_ACCOUNT = "123456789012"
MEMBER_ROLE = "OrganizationAccountAccessRole"


@dataclass(frozen=True)
class Organization:
    keys: dict[str, str]
    management: str
    # ACTIVE members whose role the management keys may assume (moto creates the role, with
    # full rights, in each account create_account makes, as AWS does).
    members: list[str]
    # ACTIVE members whose role the management keys may not assume (moto answers AccessDenied).
    refused: list[str]
    # Members that are closed (SUSPENDED): not to be scanned.
    closed: list[str]


def moto_organization(monkeypatch, *, members: int = 2, refused: int = 1) -> Organization:
    """An organization of the moto account with `members` reachable accounts, `refused` ones
    and a closed one; returns the management user's keys, with moto's authorisation on.

    The management user's policy denies sts:AssumeRole into the refused accounts and into its
    own account (which must be scanned with the keys themselves, never through a role).
    """
    import boto3

    client = boto3.client("organizations", region_name="us-east-1")
    client.create_organization(FeatureSet="ALL")

    def account(index: int) -> str:
        status = client.create_account(AccountName=f"member-{index}", Email=f"m{index}@example.com")
        return status["CreateAccountStatus"]["AccountId"]

    reachable = [account(index) for index in range(members)]
    denied = [account(members + index) for index in range(refused)]
    closed = account(members + refused)
    client.close_account(AccountId=closed)
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Action": "*", "Resource": "*"},
            {
                "Effect": "Deny",
                "Action": "sts:AssumeRole",
                "Resource": [
                    f"arn:aws:iam::{account_id}:role/*"
                    for account_id in [*denied, MANAGEMENT_ACCOUNT]
                ],
            },
        ],
    }
    keys = moto_user_keys(monkeypatch, user_name="management", policy=json.dumps(policy))
    return Organization(keys, MANAGEMENT_ACCOUNT, sorted(reachable), sorted(denied), [closed])


def organization_started(*, run_id: uuid.UUID | str, timeout: float = 60) -> OrganizationRun:
    """The run once its background start has ended (started or failed)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        run = OrganizationRun.objects.get(id=run_id)
        if run.status != OrganizationRun.Status.STARTING:
            return run
        time.sleep(0.1)
    raise TimeoutError(f"organization run {run_id} did not start within {timeout:.0f} s")
