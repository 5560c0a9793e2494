"""django-q2 entry points of the findings layer: ids in, one service call."""

from findings.retention import retention_purge


def purge_expired_scans() -> None:
    retention_purge()
