"""Scan a whole AWS organization: one scan per ACTIVE account, grouped under an OrganizationRun.

The management (or delegated administrator) account's keys list the accounts; each member is
reached by assuming the same named role in it, and the keys' own account is scanned with the
keys themselves. A member whose role cannot be assumed is listed on the run, masked, with the
reason; the others are scanned all the same.
"""

import gc
import logging
import re
from dataclasses import replace

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

from scans.collection.aws import (
    AwsCredentials,
    CredentialsRejected,
    prove_credentials,
)
from scans.collection.organization_accounts import active_account_ids
from scans.lifecycle.services import regions_to_scan, scan_start
from scans.models import OrganizationRun, Scan
from securescope.privacy import account_hash, account_label

logger = logging.getLogger(__name__)

# The role AWS Organizations creates in every account it creates.
DEFAULT_MEMBER_ROLE = "OrganizationAccountAccessRole"
# An IAM role name (no path): AWS allows these characters, 1 to 64 of them.
ROLE_NAME_PATTERN = re.compile(r"^[\w+=,.@-]{1,64}$", re.ASCII)


def member_role_arn(*, partition: str, account_id: str, role_name: str) -> str:
    return f"arn:{partition}:iam::{account_id}:role/{role_name}"


def organization_scan_start(
    *,
    credentials: AwsCredentials,
    role_name: str = DEFAULT_MEMBER_ROLE,
    external_id: str = "",
    regions: list[str] | None = None,
    user: AbstractBaseUser | AnonymousUser | None = None,
    source: str = Scan.Source.WEB,
    executor: str | None = None,
) -> OrganizationRun:
    """List the organization's ACTIVE accounts and start a scan of each, over the same regions.

    Raises CredentialsRejected (nothing stored) when the keys are refused, cannot list the
    accounts, or cannot list their own regions when none are given. Past that point no account
    stops the others: one whose role cannot be assumed is recorded in `not_assumed`.
    """
    if not ROLE_NAME_PATTERN.match(role_name):
        raise CredentialsRejected("A role name is 1 to 64 of A-Z, 0-9 and +=,.@-_ (no path).")
    if credentials.role_arn:
        raise CredentialsRejected(
            "An organization is scanned with its management account's own keys, not a role."
        )
    # The external id is the members' role's; the keys' own account is scanned without one.
    credentials = replace(credentials, external_id="")
    caller, partition, account_ids, regions = _organization_read(credentials, regions)
    starter = user if isinstance(user, AbstractBaseUser) and user.is_authenticated else None
    run = OrganizationRun.objects.create(
        created_by_id=starter.pk if starter else None,
        account_hash=account_hash(caller),
        account_label=account_label(caller),
        role_name=role_name,
        regions=regions,
    )
    not_assumed = []
    try:
        for account_id in account_ids:
            member = credentials
            if account_id != caller:
                member = replace(
                    credentials,
                    role_arn=member_role_arn(
                        partition=partition, account_id=account_id, role_name=role_name
                    ),
                    external_id=external_id,
                )
            try:
                scan_start(
                    credentials=member,
                    regions=regions,
                    user=starter,
                    source=source,
                    executor=executor,
                    organization_run=run,
                )
            except CredentialsRejected as error:
                # Any refusal of AssumeRole or of the role's first call lands here, in words
                # that name no account (scans.collection.aws.prove_credentials).
                not_assumed.append({"account": account_label(account_id), "reason": str(error)})
    finally:
        # The vault going down stops the loop; the accounts started so far run on.
        run.not_assumed = not_assumed
        run.save(update_fields=["not_assumed"])
    logger.info(
        "Organization run %s: %d accounts, %d not assumed",
        run.id,
        len(account_ids),
        len(not_assumed),
    )
    return run


def _organization_read(
    credentials: AwsCredentials, regions: list[str] | None
) -> tuple[str, str, list[str], list[str]]:
    """The caller's account, its partition, the ACTIVE accounts and the regions to scan."""
    try:
        session, identity = prove_credentials(credentials)
        account_ids = active_account_ids(session, credentials.endpoint_url)
        if not account_ids:
            raise CredentialsRejected(
                "AWS Organizations lists no active account for these keys: is this account "
                "part of an organization?"
            )
        regions = regions_to_scan(session, credentials.endpoint_url, regions)
    finally:
        # botocore's sessions hold the keys in reference cycles until they are collected.
        gc.collect()
    return identity.account_id, identity.partition, account_ids, regions
