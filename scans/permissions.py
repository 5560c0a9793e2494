"""The read-only IAM policy a scan needs, built from what the collectors declare."""

import json
from collections.abc import Iterable

from scans.collectors import required_permissions

# Made before any collector runs: proving the keys and discovering the regions.
SCAN_START_ACTIONS = ("sts:GetCallerIdentity", "ec2:DescribeRegions")


def scan_actions() -> list[str]:
    return sorted({*SCAN_START_ACTIONS, *required_permissions()})


def policy_document(actions: list[str]) -> str:
    """An IAM policy granting exactly `actions` on every resource, as indented JSON."""
    document = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "SecureScopeReadOnly",
                "Effect": "Allow",
                "Action": sorted(actions),
                "Resource": "*",
            }
        ],
    }
    return json.dumps(document, indent=2)


PERMISSION_PRECEDENCE = {"denied": 2, "ok": 1, "unavailable": 0}


def merged_permissions(per_unit: Iterable[dict[str, str]]) -> dict[str, str]:
    """One status per action over all units: denied anywhere wins, then ok, then unavailable."""
    merged: dict[str, str] = {}
    for permissions in per_unit:
        for action, status in permissions.items():
            if PERMISSION_PRECEDENCE[status] > PERMISSION_PRECEDENCE.get(merged.get(action), -1):
                merged[action] = status
    return dict(sorted(merged.items()))
