"""django-q2 entry points of the findings layer: ids in, one service call."""

from dataclasses import asdict

from findings.retention import retention_purge


def purge_expired_scans() -> dict[str, int] | None:
    """Scans and findings deleted (the admin shows it as the schedule's last result)."""
    purged = retention_purge()
    return None if purged is None else asdict(purged)
