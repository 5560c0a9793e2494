"""Saved accounts: their configuration, Test connection, and their scans from the base identity.

A saved account holds no secret. Each use takes the host's credentials (the base identity,
SCANNER_BASE_IDENTITY=ambient), assumes the account's role with them and goes on with the role's
short-lived keys only: those are what a scan keeps in the vault, as pasted keys are.
"""

import logging
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db import transaction
from django.utils import timezone

from scans.collection.aws import (
    AwsCredentials,
    BaseIdentityUnavailable,
    CredentialsRejected,
    ambient_credentials,
    assumed_role_credentials,
    prove_credentials,
)
from scans.collection.vault import VaultUnavailable
from scans.lifecycle.schedules import saved_account_schedule_sync
from scans.lifecycle.selectors import saved_account_scan_running
from scans.lifecycle.services import AccountScanRunning, scan_start, sessions_released
from scans.models import SavedAccount, Scan
from securescope.models import AuditEvent
from securescope.privacy import account_label
from securescope.services import audit_record

logger = logging.getLogger(__name__)

User = AbstractBaseUser | AnonymousUser | None


@dataclass(frozen=True)
class ConnectionResult:
    """What Test connection found; `message` is safe to show (no identifier, no AWS text)."""

    succeeded: bool
    message: str
    account_label: str = ""


@transaction.atomic
def saved_account_create(*, user: User, **fields: Any) -> SavedAccount:
    account = SavedAccount.objects.create(
        created_by_id=user.pk if user is not None and user.is_authenticated else None, **fields
    )
    saved_account_schedule_sync(account=account)
    return account


@transaction.atomic
def saved_account_update(*, account: SavedAccount, **fields: Any) -> SavedAccount:
    for name, value in fields.items():
        setattr(account, name, value)
    account.save(update_fields=[*fields, "updated_at"])
    saved_account_schedule_sync(account=account)
    return account


def _role_credentials(account: SavedAccount) -> AwsCredentials:
    return assumed_role_credentials(
        ambient_credentials(), role_arn=account.role_arn, external_id=account.external_id
    )


def _audit_base_identity(*, user: User, target: str, detail: dict[str, Any]) -> None:
    # Ids and words only: never the role ARN, the external id or an account id.
    audit_record(
        actor=user, action=AuditEvent.Action.BASE_IDENTITY_USED, target=target, detail=detail
    )


def saved_account_connection_test(*, account: SavedAccount, user: User) -> ConnectionResult:
    """Assume the account's role from the base identity and ask GetCallerIdentity with it."""
    try:
        _, identity = prove_credentials(_role_credentials(account))
    except BaseIdentityUnavailable as error:
        return ConnectionResult(succeeded=False, message=str(error))
    except CredentialsRejected as error:
        _audit_base_identity(
            user=user,
            target=f"saved account {account.pk}",
            detail={"purpose": "test connection", "succeeded": False},
        )
        return ConnectionResult(succeeded=False, message=str(error))
    finally:
        sessions_released()
    _audit_base_identity(
        user=user,
        target=f"saved account {account.pk}",
        detail={"purpose": "test connection", "succeeded": True},
    )
    label = account_label(identity.account_id)
    return ConnectionResult(
        succeeded=True,
        message=f"Connected: the role was assumed and AWS answered as account {label}.",
        account_label=label,
    )


def saved_account_scan_start(
    *, account: SavedAccount, user: User = None, source: str = Scan.Source.SAVED_ACCOUNT
) -> Scan:
    """Scan the account with its role's keys, assumed now from the base identity.

    Raises AccountScanRunning before touching AWS when a scan of it runs (and again, under the
    account's row lock, should one have started meanwhile), CredentialsRejected (the base
    identity is off or missing, or the role refused it) or VaultUnavailable.
    """
    if saved_account_scan_running(account_id=account.pk):
        raise AccountScanRunning("A scan of this account is still running.")
    try:
        credentials = _role_credentials(account)
    finally:
        sessions_released()
    scan = scan_start(
        credentials=credentials,
        regions=account.regions or None,
        user=user if user is not None and user.is_authenticated else None,
        source=source,
        saved_account=account,
    )
    _audit_base_identity(
        user=user,
        target=f"scan {scan.id}",
        detail={"purpose": "scan", "saved_account": account.pk, "source": source},
    )
    return scan


def saved_account_scan_scheduled(*, account_id: int) -> str:
    """One scheduled run: start a scan of the account, or say why not. The outcome is kept on
    the account (its page shows it) and returned (django-q2 keeps it with the task)."""
    account = SavedAccount.objects.filter(pk=account_id).first()
    if account is None:
        return "skipped: the account no longer exists"
    if not account.enabled:
        outcome = "skipped: the account is disabled"
    else:
        try:
            scan = saved_account_scan_start(account=account, source=Scan.Source.SCHEDULE)
        except AccountScanRunning:
            outcome = "skipped: a scan of this account was still running"
        except (CredentialsRejected, VaultUnavailable) as error:
            outcome = f"failed: {error}"
        else:
            outcome = f"started scan {scan.id}"
    SavedAccount.objects.filter(pk=account_id).update(
        last_scheduled_at=timezone.now(), last_scheduled_outcome=outcome[:255]
    )
    logger.info("Saved account %s, scheduled run: %s", account_id, outcome)
    return outcome
