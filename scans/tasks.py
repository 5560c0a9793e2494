"""django-q2 entry points (and the thread pool's): ids in, one service call."""

from scans.lifecycle.accounts import saved_account_scan_scheduled
from scans.lifecycle.housekeeping import scan_units_reap
from scans.lifecycle.organizations import organization_members_start
from scans.lifecycle.services import scan_demo_launch
from scans.lifecycle.units import scan_unit_run


def run_scan_unit(scan_id: str, region: str) -> None:
    scan_unit_run(scan_id=scan_id, region=region)


def launch_demo_scan(scan_id: str) -> None:
    scan_demo_launch(scan_id=scan_id)


def reap_stalled_units() -> int:
    return scan_units_reap()


def scan_saved_account(account_id: int) -> str:
    """A saved account's schedule (scans/lifecycle/schedules.py) runs this."""
    return saved_account_scan_scheduled(account_id=account_id)


def start_organization_members(run_id: str) -> None:
    """An organization run begun from the web form starts its members here."""
    organization_members_start(run_id=run_id)
