"""The credential vault: encrypted credentials in a cache, keyed by scan id, with a TTL.

The cache is Redis in production and in-process in the embedded mode. Entries are encrypted with
a key derived from SECRET_KEY, so a dump of Redis shows no key material, and bound to their scan
id, so an entry copied under another scan's key does not decrypt.

`sealed_put` and `sealed_get` keep other short-lived secrets the same way (names and ARNs a user
revealed), each under a key of its own purpose, so one kind of entry never decrypts as another.
"""

import base64
import json
import logging
import threading
import uuid
from dataclasses import dataclass
from functools import cache
from typing import Any

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.core.cache import caches

from scans.collection.aws import AwsCredentials, CallerIdentity

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class VaultEntry:
    credentials: AwsCredentials
    identity: CallerIdentity


class VaultUnavailable(Exception):
    """The vault's cache could not be reached; the message is safe to show."""


VAULT_PURPOSE = b"securescope credential vault"


@cache
def _fernet(secret_key: str, purpose: bytes = VAULT_PURPOSE) -> Fernet:
    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose).derive(
        secret_key.encode()
    )
    return Fernet(base64.urlsafe_b64encode(derived))


def _key(scan_id: uuid.UUID | str) -> str:
    return f"securescope:vault:{scan_id}"


def vault_put(*, scan_id: uuid.UUID | str, entry: VaultEntry) -> None:
    payload = json.dumps(
        {
            "scan_id": str(scan_id),
            "access_key_id": entry.credentials.access_key_id,
            "secret_access_key": entry.credentials.secret_access_key,
            "session_token": entry.credentials.session_token,
            "role_arn": entry.credentials.role_arn,
            "external_id": entry.credentials.external_id,
            "endpoint_url": entry.credentials.endpoint_url,
            # The account id is needed to build ARNs and is kept out of the database.
            "account_id": entry.identity.account_id,
            "partition": entry.identity.partition,
        }
    ).encode()
    token = _fernet(settings.SECRET_KEY).encrypt(payload)
    try:
        caches["vault"].set(_key(scan_id), token, timeout=settings.VAULT_TTL_SECONDS)
    except Exception as error:
        raise VaultUnavailable(
            f"The credential vault is unavailable ({type(error).__name__}); nothing was stored."
        ) from None


def vault_get(*, scan_id: uuid.UUID | str) -> VaultEntry | None:
    """The scan's credentials and account, or None once they were deleted or expired."""
    token = caches["vault"].get(_key(scan_id))
    if token is None:
        return None
    try:
        payload = json.loads(_fernet(settings.SECRET_KEY).decrypt(token))
    except InvalidToken:
        return None
    if payload["scan_id"] != str(scan_id):
        return None
    return VaultEntry(
        credentials=AwsCredentials(
            access_key_id=payload["access_key_id"],
            secret_access_key=payload["secret_access_key"],
            session_token=payload["session_token"],
            role_arn=payload["role_arn"],
            external_id=payload["external_id"],
            endpoint_url=payload["endpoint_url"],
        ),
        identity=CallerIdentity(account_id=payload["account_id"], partition=payload["partition"]),
    )


def vault_delete(*, scan_id: uuid.UUID | str) -> None:
    caches["vault"].delete(_key(scan_id))
    with _watches_lock:
        watching = list(_watches.get(str(scan_id), ()))
    for watch in watching:
        watch.gone.set()


def vault_contains(*, scan_id: uuid.UUID | str) -> bool:
    """Whether the scan still has credentials (a round trip to the vault's cache)."""
    return caches["vault"].has_key(_key(scan_id))


# How often a watch asks the vault: a scan cancelled in another process stops within this.
VAULT_WATCH_SECONDS = 0.25
_watches: dict[str, set["VaultWatch"]] = {}
_watches_lock = threading.Lock()


class VaultWatch:
    """Whether a scan's credentials are gone, answered from memory, for a check before every
    AWS call: a thread of its own asks the vault every VAULT_WATCH_SECONDS, and a delete in this
    process tells it at once. `close()` ends the thread."""

    def __init__(self, *, scan_id: uuid.UUID | str) -> None:
        self.scan_id = str(scan_id)
        self.gone = threading.Event()
        self._closed = threading.Event()
        with _watches_lock:
            _watches.setdefault(self.scan_id, set()).add(self)
        if not vault_contains(scan_id=self.scan_id):
            self.gone.set()
        threading.Thread(target=self._poll, name="vault-watch", daemon=True).start()

    def _poll(self) -> None:
        while not self._closed.wait(VAULT_WATCH_SECONDS) and not self.gone.is_set():
            try:
                gone = not vault_contains(scan_id=self.scan_id)
            except Exception as error:
                # The vault's cache is briefly out of reach: the scan goes on, asked again next.
                logger.warning("Vault watch of scan %s: %s", self.scan_id, type(error).__name__)
                continue
            if gone:
                self.gone.set()

    def __call__(self) -> bool:
        return self.gone.is_set()

    def close(self) -> None:
        self._closed.set()
        with _watches_lock:
            watching = _watches.get(self.scan_id, set())
            watching.discard(self)
            if not watching:
                _watches.pop(self.scan_id, None)


def seal(
    *, cache_key: str, value: Any, purpose: bytes, encoder: type[json.JSONEncoder] | None = None
) -> bytes:
    """`value` (JSON-serializable) encrypted for `purpose` and bound to `cache_key`."""
    payload = json.dumps({"cache_key": cache_key, "value": value}, cls=encoder).encode()
    return _fernet(settings.SECRET_KEY, purpose).encrypt(payload)


def unseal(*, cache_key: str, token: bytes, purpose: bytes, object_hook: Any = None) -> Any | None:
    """What `seal` encrypted for `purpose` under `cache_key`, or None when it does not open."""
    try:
        payload = json.loads(
            _fernet(settings.SECRET_KEY, purpose).decrypt(token), object_hook=object_hook
        )
    except InvalidToken:
        return None
    if payload["cache_key"] != cache_key:
        return None
    return payload["value"]


def sealed_put(*, cache_key: str, value: Any, purpose: bytes, timeout: int) -> None:
    """`value` (JSON-serializable) encrypted for `purpose` and bound to `cache_key`."""
    token = seal(cache_key=cache_key, value=value, purpose=purpose)
    try:
        caches["vault"].set(cache_key, token, timeout=timeout)
    except Exception as error:
        raise VaultUnavailable(
            f"The encrypted cache is unavailable ({type(error).__name__}); nothing was stored."
        ) from None


def sealed_get(*, cache_key: str, purpose: bytes) -> Any | None:
    """What `sealed_put` stored there, or None once it expired, was deleted or does not open."""
    token = caches["vault"].get(cache_key)
    if token is None:
        return None
    return unseal(cache_key=cache_key, token=token, purpose=purpose)


def sealed_delete(*, cache_key: str) -> None:
    caches["vault"].delete(cache_key)


def sealed_exists(*, cache_key: str) -> bool:
    return caches["vault"].has_key(cache_key)
