"""Resource identities: an ARN and its Name tag, and the optional encrypted store of them.

By default (RESOURCE_IDENTIFIERS=none) nothing here writes: identities exist only in memory and,
revealed for a while, in the encrypted cache (findings.reveal). With RESOURCE_IDENTIFIERS=encrypted
each scan also stores its resources' identities encrypted with IDENTIFIER_KEY, a key that is not
derived from SECRET_KEY; they are shown to holders of findings.view_identifiers, each time audited.
"""

import json
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.contrib.auth.models import AbstractUser, AnonymousUser

from findings.models import ResourceIdentity
from securescope.models import AuditEvent
from securescope.privacy import resource_hash
from securescope.resources import Resource
from securescope.services import audit_record

VIEW_PERMISSION = "findings.view_identifiers"
# A resource's Name tag is at most 256 characters in AWS; anything longer is not one.
NAME_MAX_LENGTH = 256


@dataclass(frozen=True)
class Identity:
    arn: str
    name: str = ""


def name_tag(data: Mapping[str, Any]) -> str:
    """The `Name` tag in a boto3 shape: EC2's `Tags` list of Key/Value pairs, or EKS's `tags`
    mapping; empty when the resource has none."""
    tags = data.get("Tags")
    if isinstance(tags, list):
        for tag in tags:
            if isinstance(tag, dict) and tag.get("Key") == "Name":
                return str(tag.get("Value", ""))[:NAME_MAX_LENGTH]
    tags = data.get("tags")
    if isinstance(tags, dict):
        return str(tags.get("Name", ""))[:NAME_MAX_LENGTH]
    return ""


def identifiers_encrypted() -> bool:
    return settings.RESOURCE_IDENTIFIERS == "encrypted"


def _cipher() -> MultiFernet:
    return MultiFernet([Fernet(key) for key in settings.IDENTIFIER_KEY])


def identities_store(*, scan_id: uuid.UUID | str, resources: Iterable[Resource]) -> int:
    """Store the resources' identities encrypted (RESOURCE_IDENTIFIERS=encrypted only).

    Called inside the transaction that stores a unit's findings, with the resources that have
    findings; returns how many identities were written.
    """
    if not identifiers_encrypted():
        return 0
    cipher = _cipher()
    rows = {}
    for resource in resources:
        hashed = resource_hash(resource.arn)
        if hashed in rows:
            continue
        sealed = {
            "scan": str(scan_id),
            "hash": hashed,
            "arn": resource.arn,
            "name": name_tag(resource.data),
        }
        rows[hashed] = ResourceIdentity(
            scan_id=scan_id,
            resource_hash=hashed,
            sealed=cipher.encrypt(json.dumps(sealed).encode()).decode(),
        )
    ResourceIdentity.objects.bulk_create(rows.values(), ignore_conflicts=True)
    return len(rows)


def _opened(row: ResourceIdentity, cipher: MultiFernet) -> Identity | None:
    try:
        sealed = json.loads(cipher.decrypt(row.sealed.encode()))
    except InvalidToken:
        return None  # encrypted with a key no longer configured
    if sealed["scan"] != str(row.scan_id) or sealed["hash"] != row.resource_hash:
        return None  # a token moved from another row
    return Identity(arn=sealed["arn"], name=sealed["name"])


def stored_identities(
    *,
    scan_id: uuid.UUID | str,
    user: AbstractUser | AnonymousUser,
    hashes: Iterable[str] | None,
    where: str,
) -> dict[str, Identity]:
    """The stored identities of `hashes` (every one of the scan when None) that `user` may see.

    Empty unless the mode is on and the user holds findings.view_identifiers. Every read that
    shows something is audited: how many, and where (never which).
    """
    if not identifiers_encrypted() or not user.has_perm(VIEW_PERMISSION):
        return {}
    rows = ResourceIdentity.objects.filter(scan_id=scan_id)
    if hashes is not None:
        rows = rows.filter(resource_hash__in=set(hashes))
    cipher = _cipher()
    found = {}
    for row in rows.iterator(chunk_size=2000):
        identity = _opened(row, cipher)
        if identity is not None:
            found[row.resource_hash] = identity
    if found:
        audit_record(
            actor=user,
            action=AuditEvent.Action.IDENTIFIERS_VIEWED,
            target=f"scan {scan_id}",
            detail={"shown": len(found), "where": where},
        )
    return found
