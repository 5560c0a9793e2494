"""django-q2 entry points (and the thread pool's): ids in, one service call."""

from scans.services import scan_unit_run


def run_scan_unit(scan_id: str, region: str) -> None:
    scan_unit_run(scan_id=scan_id, region=region)
