"""What a unit's calls found out about the scan's permissions, and its warnings.

Every action is recorded as allowed ("ok"), denied or unavailable; that record becomes the
scan's list of the permissions it had. A refused call raises `Denied` or `Unavailable`, which
collectors catch to report the data they could not read.
"""

import threading
from collections.abc import Callable
from typing import Any

from botocore.exceptions import ClientError
from botocore.parsers import ResponseParserError

from scans.collection.aws import THROTTLING_ERROR_CODES, error_code, is_access_denied

UNAVAILABLE_ERROR_CODES = frozenset(
    {"NotImplemented", "InvalidAction", "UnsupportedOperation", "UnknownOperationException"}
)


class CollectionError(Exception):
    def __init__(self, action: str, reason: str) -> None:
        super().__init__(f"{action}: {reason}")
        self.action = action
        self.reason = reason

    @property
    def summary(self) -> str:
        """What `Resource.missing` and not-evaluated evidence say: the reason, then the action."""
        return f"{self.reason}: {self.action}"


class Denied(CollectionError):
    """The credentials may not make this call."""


class Unavailable(CollectionError):
    """The API does not answer here (not offered in the region, or not implemented by moto)."""


def _is_unavailable(error: Exception) -> bool:
    if isinstance(error, NotImplementedError | ResponseParserError):
        return True
    if isinstance(error, ClientError):
        code = error_code(error)
        message = error.response.get("Error", {}).get("Message", "").lower()
        # AWS always names its errors; a bare HTTP status as the code means nothing behind the
        # endpoint knows the operation (moto's "not yet implemented" 404s and 500s).
        return code in UNAVAILABLE_ERROR_CODES or code.isdigit() or "not yet implemented" in message
    return False


class PermissionLedger:
    def __init__(self) -> None:
        # IAM action -> "ok", "denied" or "unavailable".
        self.permissions: dict[str, str] = {}
        self.warnings: list[str] = []
        self._lock = threading.Lock()

    def record(self, action: str, status: str) -> None:
        with self._lock:
            # "denied" wins: one denied call is enough to list the action as missing.
            if self.permissions.get(action) != "denied":
                self.permissions[action] = status

    def guarded(self, action: str, run: Callable[[], Any]) -> Any:
        """`run()`, with what it found about `action` recorded; a refusal raised as `Denied`
        or `Unavailable`."""
        try:
            result = run()
        except Exception as error:
            if isinstance(error, ClientError) and is_access_denied(error):
                self.record(action, "denied")
                raise Denied(action, f"missing permission ({error_code(error)})") from None
            if _is_unavailable(error):
                self.record(action, "unavailable")
                raise Unavailable(action, "API unavailable") from None
            if isinstance(error, ClientError) and error_code(error) not in THROTTLING_ERROR_CODES:
                # "No such policy", "not enabled"...: AWS authorizes a call before it answers so.
                self.record(action, "ok")
            raise
        self.record(action, "ok")
        return result

    def warn(self, message: str) -> None:
        with self._lock:
            if message not in self.warnings:
                self.warnings.append(message)
