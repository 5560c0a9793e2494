"""Reveal a whole scan: the names and ARNs of its resources, for one session, for a while.

An operator pastes read-only keys once. SecureScope proves them, refuses keys of another account,
lists the scan's resource types in its regions with the collectors a scan runs, and matches each
resource's hash against the scan's findings. The map hash -> (ARN, Name tag) lives only in the
encrypted cache (the vault's encryption, under a key of its own purpose), keyed by the user's
session and the scan, for REVEAL_TTL_SECONDS. The keys never leave the scope of the listing; the
audit log records how many resources were revealed, never which.
"""

import hashlib
import logging
import time
import uuid
from collections import defaultdict
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime

from botocore.exceptions import BotoCoreError, ClientError
from django.conf import settings
from django.contrib.auth.models import AbstractUser, AnonymousUser
from django.contrib.sessions.backends.base import SessionBase

from findings.identifiers import Identity, name_tag, stored_identities
from findings.identify import IdentifyFailed
from findings.models import Finding
from scans.collection.aws import AwsCredentials, error_code, prove_credentials
from scans.collection.collectors import Collector, Scope, collectors_for
from scans.collection.context import COLLECTOR_THREADS, CollectContext, CollectionError
from scans.collection.inventory import AccountContext
from scans.collection.vault import sealed_delete, sealed_exists, sealed_get, sealed_put
from scans.models import Scan
from securescope.models import AuditEvent
from securescope.privacy import account_hash, resource_hash
from securescope.resources import GLOBAL_REGION
from securescope.services import audit_record

logger = logging.getLogger(__name__)

REVEAL_PERMISSION = "findings.identify_resource"
REVEAL_PURPOSE = b"securescope resource reveal"
# Scans revealed in a session (id -> expiry time), so the scan page can say until when without
# opening the entry, and signing out can drop every entry.
SESSION_REVEALED_SCANS = "revealed_scans"


@dataclass(frozen=True)
class Listing:
    """What one listing found: identities of the scan's resources only, keyed by hash."""

    identities: dict[str, Identity]
    resources: int
    # Per collector and region that could not list, why: action names and error codes only.
    problems: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Reveal:
    identities: dict[str, Identity]
    expires_at: datetime


@dataclass(frozen=True)
class RevealResult:
    revealed: int
    resources: int
    problems: list[str]
    expires_at: datetime | None


def _scan_scope(scan_id: uuid.UUID) -> tuple[dict[str, set[str]], set[str]]:
    """The resource types the scan found in each region, and its resources' hashes."""
    findings = Finding.objects.filter(scan_id=scan_id).order_by()
    types: dict[str, set[str]] = defaultdict(set)
    for region, resource_type in findings.values_list("region", "resource_type").distinct():
        types[region].add(resource_type)
    hashes = set(findings.values_list("resource_hash", flat=True).distinct())
    return types, hashes


def _collectors(region: str, types: set[str]) -> list[Collector]:
    scope: Scope = "global" if region == GLOBAL_REGION else "region"
    return [c for c in collectors_for(scope) if types.intersection(c.resource_types)]


def resources_list(*, scan: Scan, credentials: AwsCredentials) -> Listing:
    """List the scan's resource types in its regions with these keys; match the scan's hashes.

    Raises CredentialsRejected for bad keys and IdentifyFailed for keys of another account or a
    scan with nothing SecureScope can list. A collector that cannot list in a region is a
    problem of the listing, not an error: the rest is still revealed.
    """
    if not scan.is_finished:
        raise IdentifyFailed("Resources can be revealed once the scan has finished.")
    session, identity = prove_credentials(credentials)
    if account_hash(identity.account_id) != scan.account_hash:
        raise IdentifyFailed("These keys belong to another account than the scanned one.")
    types_by_region, hashes = _scan_scope(scan.id)
    account = AccountContext(identity.account_id, identity.partition)
    jobs = [
        (region, collector)
        for region, types in sorted(types_by_region.items())
        for collector in _collectors(region, types)
    ]
    if not jobs:
        raise IdentifyFailed("SecureScope cannot list any resource type of this scan.")
    # One context per region, as a scan unit has: its collectors share its memoized calls.
    contexts = {
        region: CollectContext(
            session=session,
            endpoint_url=credentials.endpoint_url,
            account=account,
            region=region,
        )
        for region in types_by_region
    }
    identities: dict[str, Identity] = {}
    problems: list[str] = []
    with ThreadPoolExecutor(max_workers=COLLECTOR_THREADS) as pool:
        futures = [
            (region, collector, pool.submit(collector.collect, contexts[region]))
            for region, collector in jobs
        ]
        for region, collector, future in futures:
            where = f"{collector.name} in {region}"
            try:
                resources = future.result()
            except CollectionError as error:
                problems.append(f"{where}: {error.summary}")
                continue
            except ClientError as error:
                problems.append(f"{where}: AWS error {error_code(error)}")
                continue
            except BotoCoreError as error:
                problems.append(f"{where}: {type(error).__name__}")
                continue
            except Exception as error:
                # The type only: a message may quote what the collector was reading.
                logger.error("Reveal: collector %s raised %s", collector.name, type(error).__name__)
                problems.append(f"{where}: internal error ({type(error).__name__})")
                continue
            for resource in resources:
                hashed = resource_hash(resource.arn)
                if hashed in hashes and hashed not in identities:
                    identities[hashed] = Identity(arn=resource.arn, name=name_tag(resource.data))
    return Listing(identities=identities, resources=len(hashes), problems=problems)


def reveal_cache_key(session_key: str, scan_id: uuid.UUID | str) -> str:
    """Where a session's reveal of a scan is cached; the session key itself is not in it."""
    session = hashlib.sha256(session_key.encode()).hexdigest()[:32]
    return f"securescope:reveal:{session}:{scan_id}"


def _session_key(session: SessionBase) -> str:
    """The session's key; a session never saved is saved first, so it has one."""
    if not session.session_key:
        session.save()
    return str(session.session_key)


def scan_reveal(
    *,
    scan: Scan,
    credentials: AwsCredentials,
    user: AbstractUser | AnonymousUser,
    session: SessionBase,
) -> RevealResult:
    """List with the pasted keys, then keep what matched in the encrypted cache for `session`.

    Raises CredentialsRejected, IdentifyFailed (see resources_list) or VaultUnavailable.
    """
    listing = resources_list(scan=scan, credentials=credentials)
    expires_at = None
    if listing.identities:
        expires = time.time() + settings.REVEAL_TTL_SECONDS
        sealed_put(
            cache_key=reveal_cache_key(_session_key(session), scan.id),
            value={
                "expires": expires,
                "identities": {h: [i.arn, i.name] for h, i in listing.identities.items()},
            },
            purpose=REVEAL_PURPOSE,
            timeout=settings.REVEAL_TTL_SECONDS,
        )
        session[SESSION_REVEALED_SCANS] = {
            **session.get(SESSION_REVEALED_SCANS, {}),
            str(scan.id): expires,
        }
        expires_at = datetime.fromtimestamp(expires, tz=UTC)
    audit_record(
        actor=user,
        action=AuditEvent.Action.RESOURCES_REVEALED,
        target=f"scan {scan.id}",
        detail={
            "revealed": len(listing.identities),
            "resources": listing.resources,
            "not_listed": len(listing.problems),
        },
    )
    return RevealResult(
        revealed=len(listing.identities),
        resources=listing.resources,
        problems=listing.problems,
        expires_at=expires_at,
    )


def reveal_get(*, session: SessionBase, scan_id: uuid.UUID | str) -> Reveal | None:
    """The session's reveal of the scan, or None: never made, forgotten or past its TTL."""
    if str(scan_id) not in session.get(SESSION_REVEALED_SCANS, {}) or not session.session_key:
        return None
    value = sealed_get(
        cache_key=reveal_cache_key(session.session_key, scan_id), purpose=REVEAL_PURPOSE
    )
    # The cache expires the entry; the time inside it guards a cache that kept it longer.
    if value is None or value["expires"] <= time.time():
        return None
    return Reveal(
        identities={
            h: Identity(arn=arn, name=name) for h, (arn, name) in value["identities"].items()
        },
        expires_at=datetime.fromtimestamp(value["expires"], tz=UTC),
    )


def reveal_expiry(*, session: SessionBase, scan_id: uuid.UUID | str) -> datetime | None:
    """Until when the session's reveal of the scan lasts, or None; opens nothing."""
    expires = session.get(SESSION_REVEALED_SCANS, {}).get(str(scan_id))
    if expires is None or expires <= time.time() or not session.session_key:
        return None
    if not sealed_exists(cache_key=reveal_cache_key(session.session_key, scan_id)):
        return None
    return datetime.fromtimestamp(expires, tz=UTC)


def reveal_forget(*, session: SessionBase, scan_id: uuid.UUID | str) -> None:
    if session.session_key:
        sealed_delete(cache_key=reveal_cache_key(session.session_key, scan_id))
    revealed = session.get(SESSION_REVEALED_SCANS, {})
    if str(scan_id) in revealed:
        session[SESSION_REVEALED_SCANS] = {k: v for k, v in revealed.items() if k != str(scan_id)}


def reveals_forget_all(*, session: SessionBase) -> None:
    """Drop every reveal of the session (when its user signs out)."""
    for scan_id in list(session.get(SESSION_REVEALED_SCANS, {})):
        reveal_forget(session=session, scan_id=scan_id)


def reveals_forget_on_sign_out(sender: object, request: object, **kwargs: object) -> None:
    """user_logged_out receiver: Django sends it before it empties the session."""
    session = getattr(request, "session", None)
    if session is not None:
        reveals_forget_all(session=session)


def scan_identities(
    *,
    scan: Scan,
    session: SessionBase,
    user: AbstractUser | AnonymousUser,
    hashes: Iterable[str] | None,
    where: str,
) -> dict[str, Identity]:
    """What a page of `scan` may show next to the hashes: the session's reveal while it lasts
    (and while the user may still reveal), else identities stored encrypted that the user may
    see (findings.identifiers, audited there). `hashes` None: every resource of the scan."""
    # The session first: a page of a scan nobody revealed asks nothing more (no permission query).
    revealed = reveal_get(session=session, scan_id=scan.id)
    if revealed is not None and user.has_perm(REVEAL_PERMISSION):
        return revealed.identities
    return stored_identities(scan_id=scan.id, user=user, hashes=hashes, where=where)
