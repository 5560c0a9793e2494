"""Scan a whole AWS organization: one scan per ACTIVE account, grouped under an OrganizationRun.

The management (or delegated administrator) account's keys list the accounts; each member is
reached by assuming the same named role in it, and the keys' own account is scanned with the
keys themselves. A member whose role cannot be assumed is listed on the run, masked, with the
reason; the others are scanned all the same.

The members' units are queued once every member has been started, one account's unit at a time
(securescope.executor.enqueue_scan_units_round_robin), so the last account listed is scanned
alongside the first. The command line starts the members itself; the web form proves the keys
and lists the accounts in the request, seals the keys in the vault under the run, and leaves
the AssumeRole calls, one per member, to a background task whose progress the run's page shows.
"""

import gc
import logging
import re
import uuid
from dataclasses import replace
from functools import partial

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db import transaction

from scans.collection.aws import (
    AwsCredentials,
    CallerIdentity,
    CredentialsRejected,
    prove_credentials,
)
from scans.collection.organization_accounts import active_account_ids
from scans.collection.vault import (
    VaultEntry,
    VaultUnavailable,
    vault_delete,
    vault_get,
    vault_put,
)
from scans.lifecycle.services import regions_to_scan, scan_start, scan_unit_names
from scans.models import OrganizationRun, Scan
from securescope.executor import enqueue_scan_units_round_robin, enqueue_tasks
from securescope.privacy import account_hash, account_label

logger = logging.getLogger(__name__)

# The role AWS Organizations creates in every account it creates.
DEFAULT_MEMBER_ROLE = "OrganizationAccountAccessRole"
# An IAM role name (no path): AWS allows these characters, 1 to 64 of them.
ROLE_NAME_PATTERN = re.compile(r"^[\w+=,.@-]{1,64}$", re.ASCII)
# Starts the members of a run begun from the web form (scans.tasks).
MEMBERS_START_TASK = "scans.tasks.start_organization_members"
KEYS_GONE_ERROR = (
    "The organization's keys expired or were removed before its accounts could be started."
)


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
    """List the organization's ACTIVE accounts and start a scan of each, over the same regions,
    before returning (the command line's way).

    Raises CredentialsRejected (nothing stored) when the keys are refused, cannot list the
    accounts, or cannot list their own regions when none are given. Past that point no account
    stops the others: one whose role cannot be assumed is recorded in `not_assumed`.
    """
    credentials = _management_credentials(credentials, role_name)
    caller, partition, account_ids, regions = _organization_read(credentials, regions)
    run = _run_create(caller, role_name, regions, user, members_total=len(account_ids))
    _members_start(
        run,
        credentials=credentials,
        external_id=external_id,
        identity=CallerIdentity(caller, partition),
        account_ids=account_ids,
        source=source,
        executor=executor,
    )
    return run


def organization_scan_begin(
    *,
    credentials: AwsCredentials,
    role_name: str = DEFAULT_MEMBER_ROLE,
    external_id: str = "",
    regions: list[str] | None = None,
    user: AbstractBaseUser | AnonymousUser | None = None,
) -> OrganizationRun:
    """Prove the keys and list the accounts now, then start the members in a background task.

    A request makes a few calls whatever the organization's size; the AssumeRole per member
    happens in the task. The keys, with the members' external id, are sealed in the vault under
    the run until the task has started every member. Raises CredentialsRejected or
    VaultUnavailable (nothing stored).
    """
    credentials = _management_credentials(credentials, role_name)
    caller, partition, account_ids, regions = _organization_read(credentials, regions)
    run_id = uuid.uuid4()
    vault_put(
        scan_id=run_id,
        entry=VaultEntry(
            replace(credentials, external_id=external_id), CallerIdentity(caller, partition)
        ),
    )
    try:
        with transaction.atomic():
            run = _run_create(
                caller, role_name, regions, user, members_total=len(account_ids), run_id=run_id
            )
            transaction.on_commit(
                partial(enqueue_tasks, MEMBERS_START_TASK, [(str(run.id),)], cluster="scans")
            )
    except BaseException:
        vault_delete(scan_id=run_id)
        raise
    return run


def organization_members_start(*, run_id: uuid.UUID | str, executor: str | None = None) -> None:
    """The background half of `organization_scan_begin`: list the accounts again (none is
    stored between the request and here) and start each member."""
    run = OrganizationRun.objects.select_related("created_by").get(id=run_id)
    if run.status != OrganizationRun.Status.STARTING:
        return  # a retried task whose first attempt finished, or a start the reaper gave up
    entry = vault_get(scan_id=run_id)
    try:
        if entry is None:
            _run_fail(run, KEYS_GONE_ERROR)
            return
        credentials = replace(entry.credentials, external_id="")
        try:
            caller, partition, account_ids, _ = _organization_read(credentials, run.regions)
        except CredentialsRejected as error:
            _run_fail(run, str(error))
            return
        run.members_total = len(account_ids)
        run.save(update_fields=["members_total"])
        _members_start(
            run,
            credentials=credentials,
            external_id=entry.credentials.external_id,
            identity=CallerIdentity(caller, partition),
            account_ids=account_ids,
            source=Scan.Source.WEB,
            executor=executor,
        )
    except VaultUnavailable as error:
        OrganizationRun.objects.filter(pk=run.pk).update(error=str(error))
    finally:
        vault_delete(scan_id=run_id)


def _management_credentials(credentials: AwsCredentials, role_name: str) -> AwsCredentials:
    if not ROLE_NAME_PATTERN.match(role_name):
        raise CredentialsRejected("A role name is 1 to 64 of A-Z, 0-9 and +=,.@-_ (no path).")
    if credentials.role_arn:
        raise CredentialsRejected(
            "An organization is scanned with its management account's own keys, not a role."
        )
    # The external id is the members' role's; the keys' own account is scanned without one.
    return replace(credentials, external_id="")


def _run_create(
    caller: str,
    role_name: str,
    regions: list[str],
    user: AbstractBaseUser | AnonymousUser | None,
    *,
    members_total: int,
    run_id: uuid.UUID | None = None,
) -> OrganizationRun:
    starter = user if isinstance(user, AbstractBaseUser) and user.is_authenticated else None
    return OrganizationRun.objects.create(
        id=run_id or uuid.uuid4(),
        created_by_id=starter.pk if starter else None,
        status=OrganizationRun.Status.STARTING,
        members_total=members_total,
        account_hash=account_hash(caller),
        account_label=account_label(caller),
        role_name=role_name,
        regions=regions,
    )


def _members_start(
    run: OrganizationRun,
    *,
    credentials: AwsCredentials,
    external_id: str,
    identity: CallerIdentity,
    account_ids: list[str],
    source: str,
    executor: str | None,
) -> None:
    """Start a scan of each account, its units held back, then queue them all interleaved.

    A member the run already has a scan of was started by an attempt that died before it
    queued anything (django-q2 runs the task again): its scan is kept and its units queued.
    """
    not_assumed: list[dict[str, str]] = []
    started: list[Scan] = []
    earlier = {scan.account_hash: scan for scan in run.scans.all()}
    try:
        for done, account_id in enumerate(account_ids, start=1):
            earlier_scan = earlier.get(account_hash(account_id))
            if earlier_scan is not None:
                started.append(earlier_scan)
                continue
            member = credentials
            if account_id != identity.account_id:
                member = replace(
                    credentials,
                    role_arn=member_role_arn(
                        partition=identity.partition,
                        account_id=account_id,
                        role_name=run.role_name,
                    ),
                    external_id=external_id,
                )
            try:
                started.append(
                    scan_start(
                        credentials=member,
                        regions=run.regions,
                        user=run.created_by,
                        source=source,
                        executor=executor,
                        organization_run=run,
                        enqueue_units=False,
                    )
                )
            except CredentialsRejected as error:
                # Any refusal of AssumeRole or of the role's first call lands here, in words
                # that name no account (scans.collection.aws.prove_credentials).
                not_assumed.append({"account": account_label(account_id), "reason": str(error)})
            OrganizationRun.objects.filter(pk=run.pk).update(
                members_done=done, not_assumed=not_assumed
            )
    finally:
        # The vault going down stops the loop; the accounts started so far run on.
        _members_release(run, started=started, not_assumed=not_assumed, executor=executor)
    logger.info(
        "Organization run %s: %d accounts, %d not assumed",
        run.id,
        len(account_ids),
        len(not_assumed),
    )


def _members_release(
    run: OrganizationRun,
    *,
    started: list[Scan],
    not_assumed: list[dict[str, str]],
    executor: str | None,
) -> None:
    """Mark the run started and queue its members' units, unless the reaper gave up on it
    meanwhile (it then failed those units, which must not run)."""
    with transaction.atomic():
        locked = OrganizationRun.objects.select_for_update().get(pk=run.pk)
        if locked.status != OrganizationRun.Status.STARTING:
            return
        run.status = OrganizationRun.Status.STARTED
        run.not_assumed = not_assumed
        run.members_done = len(started) + len(not_assumed)
        run.save(update_fields=["status", "not_assumed", "members_done"])
        units = [(scan.id, scan_unit_names(scan)) for scan in started]
        transaction.on_commit(
            partial(enqueue_scan_units_round_robin, scans=units, executor=executor)
        )


def _run_fail(run: OrganizationRun, error: str) -> None:
    OrganizationRun.objects.filter(pk=run.pk, status=OrganizationRun.Status.STARTING).update(
        status=OrganizationRun.Status.FAILED, error=error
    )
    logger.info("Organization run %s failed to start", run.id)


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
