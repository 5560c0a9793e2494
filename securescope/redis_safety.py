"""Redis as SecureScope uses it: reached with credentials, and read back as bytes only.

Django's Redis cache pickles what it stores and unpickles what it reads, so anyone who can write
to that Redis runs code in the web and worker processes. The vault and the call memo store
Fernet tokens, which are bytes: `BytesOnlySerializer` stores bytes as they are and hands bytes
back, never unpickling anything. `redis_url_problem` says why a `REDIS_URL` is refused.
"""

import ipaddress
from urllib.parse import urlsplit

LOOPBACK_NAMES = {"localhost", "localhost.localdomain"}


class BytesOnlySerializer:
    """The Redis cache's serializer for caches that hold only encrypted tokens."""

    def dumps(self, obj: object) -> bytes:
        if not isinstance(obj, bytes):
            # Refused here rather than pickled: a value that is not an encrypted token has no
            # business in the shared Redis.
            raise TypeError(f"only bytes are stored in this cache, not {type(obj).__name__}")
        return obj

    def loads(self, data: bytes) -> bytes:
        return bytes(data)


def _is_loopback(host: str) -> bool:
    if host.lower() in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def redis_url_problem(url: str, *, allow_no_auth: bool = False) -> str | None:
    """Why SecureScope refuses to use this Redis, or None.

    A Redis without credentials lets anyone who reaches it read the encrypted vault and queue
    tasks; one off this host must be reached over TLS (`rediss://`) so its password and the
    tokens do not cross the network in clear. `allow_no_auth` lets a loopback Redis go without
    a password, for a throwaway test instance only.
    """
    parts = urlsplit(url)
    if parts.scheme not in ("redis", "rediss", "unix"):
        return f"REDIS_URL must start with redis://, rediss:// or unix://, not {parts.scheme}://."
    host = parts.hostname or ""
    local = parts.scheme == "unix" or _is_loopback(host)
    if not local and parts.scheme != "rediss":
        return (
            "REDIS_URL points at another host without TLS: use rediss://USER:PASSWORD@HOST:PORT/DB "
            "(the Redis server started with --tls-port)."
        )
    if parts.password:
        return None
    if allow_no_auth and local:
        return None
    # The URL itself stays out of the message: it would end up in logs.
    return (
        "REDIS_URL has no password: anyone who can write to that Redis can read the task queue "
        "and plant values. Give Redis a password or an ACL user (requirepass, or ACL SETUSER "
        "securescope on >PASSWORD ~* +@all) and put it in the URL: "
        "redis://securescope:PASSWORD@127.0.0.1:6379/0 (rediss:// off this host)."
    )
