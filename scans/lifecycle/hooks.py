"""What the scan lifecycle needs from the layers above it, and what it tells them.

The lifecycle writes a unit's results and closes scans, but findings and advice sit above it
and it imports neither. Findings register the store that keeps results (`findings_port_register`
from their AppConfig), and anything that reacts to a scan ending connects to `scan_closed`.
"""

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any, Protocol

from django.core.exceptions import ImproperlyConfigured
from django.dispatch import Signal

from rules.engine import Evaluation


@dataclass
class StoreResult:
    stored: int = 0
    failed: int = 0
    # Time spent in the database writes alone, for the scan's timings (bench/scan.py reads it).
    write_seconds: float = 0.0


@dataclass(frozen=True)
class FailingFinding:
    rule_id: str
    severity: str
    evidence: dict[str, Any]


class FindingsPort(Protocol):
    def store(self, *, scan_id: object, evaluations: Iterable[Evaluation]) -> StoreResult:
        """Write one unit's evaluations; called inside the unit's transaction."""

    def counts(self, *, scan_id: object) -> dict[str, dict[str, int]]:
        """The scan's stored findings by status and severity, every pair present."""

    def failing(self, *, scan_id: object) -> Iterator[FailingFinding]:
        """The scan's failing findings, for whoever plans work on them."""


_port: FindingsPort | None = None


def findings_port_register(port: FindingsPort) -> None:
    global _port
    _port = port


def findings_port() -> FindingsPort:
    if _port is None:
        raise ImproperlyConfigured("no findings store registered: is the findings app installed?")
    return _port


# Sent inside the transaction that closes a scan (every unit ended, or a cancel), with
# `scan_id` and `status`: whoever sees the scan closed also sees what the receivers wrote.
scan_closed = Signal()
