"""django-q2 entry points (and the thread pool's): ids in, one service call."""

from scans.housekeeping import retention_purge, scan_units_reap
from scans.services import scan_unit_run


def run_scan_unit(scan_id: str, region: str) -> None:
    scan_unit_run(scan_id=scan_id, region=region)


def reap_stalled_units() -> int:
    return scan_units_reap()


def purge_expired_scans() -> None:
    retention_purge()
