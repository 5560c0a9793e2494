"""What two scans of one account can honestly be compared on.

A rule that was off in either scan, or whose severity an override changed between them, has
findings in one scan and none (or others) in the other for reasons that are not the account's:
its failures are "not compared", never "resolved" or "new". Likewise a region whose unit did
not succeed in either scan (failed, cancelled, or not scanned at all), and the account-wide
resource types when the account-wide unit did not succeed.
"""

from dataclasses import dataclass, field
from functools import cache

from django.db.models import Q

from scans.collection.collectors import collectors_for
from scans.models import Scan, ScanRegion
from securescope.resources import GLOBAL_REGION


@cache
def account_wide_types() -> frozenset[str]:
    """Resource types the account-wide unit collects, whatever region their findings name."""
    return frozenset(
        resource_type
        for collector in collectors_for("global")
        for resource_type in collector.resource_types
    )


@dataclass(frozen=True)
class Comparison:
    """Rules and regions left out of a comparison, each with the reason shown to people."""

    rules: dict[str, str] = field(default_factory=dict)
    regions: dict[str, str] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.rules or self.regions)

    def excluded(self) -> Q | None:
        """Findings outside the comparison, as a condition; None when nothing is left out."""
        conditions = []
        if self.rules:
            conditions.append(Q(rule_id__in=sorted(self.rules)))
        regional = sorted(region for region in self.regions if region != GLOBAL_REGION)
        if regional:
            conditions.append(
                Q(region__in=regional) & ~Q(resource_type__in=sorted(account_wide_types()))
            )
        if GLOBAL_REGION in self.regions:
            conditions.append(Q(resource_type__in=sorted(account_wide_types())))
        if not conditions:
            return None
        excluded = conditions[0]
        for condition in conditions[1:]:
            excluded |= condition
        return excluded

    def excluded_region(self, *, region: str, resource_type: str) -> str | None:
        """The left-out region (or account-wide unit) a finding belongs to, if any."""
        unit = GLOBAL_REGION if resource_type in account_wide_types() else region
        return unit if unit in self.regions else None

    def excludes(self, *, rule_id: str, region: str, resource_type: str) -> bool:
        """The same test as `excluded()`, for counts already read."""
        return rule_id in self.rules or bool(
            self.excluded_region(region=region, resource_type=resource_type)
        )


def _when(scan: Scan) -> str:
    return f"{scan.created_at:%Y-%m-%d %H:%M} UTC"


def _rule_reasons(base: Scan, head: Scan) -> dict[str, str]:
    reasons: dict[str, str] = {}
    for scan in (base, head):
        for rule_id in scan.rule_settings.get("disabled", []):
            reasons.setdefault(rule_id, f"disabled in the scan of {_when(scan)}")
    base_overrides = base.rule_settings.get("severity_overrides", {})
    head_overrides = head.rule_settings.get("severity_overrides", {})
    for rule_id in sorted(set(base_overrides) | set(head_overrides)):
        if base_overrides.get(rule_id) != head_overrides.get(rule_id):
            reasons.setdefault(rule_id, "severity overridden in one of the scans")
    return reasons


def _region_reasons(base: Scan, head: Scan) -> dict[str, str]:
    reasons: dict[str, str] = {}
    incomplete = [scan for scan in (base, head) if scan.status != Scan.Status.SUCCEEDED]
    if incomplete:
        by_id = {scan.id: scan for scan in incomplete}
        units = (
            ScanRegion.objects.filter(scan_id__in=list(by_id))
            .exclude(status=ScanRegion.Status.SUCCEEDED)
            .order_by("region")
            .values_list("scan_id", "region", "status")
        )
        for scan_id, region, status in units:
            state = "did not finish" if status in ("pending", "running") else status
            reasons.setdefault(region, f"{state} in the scan of {_when(by_id[scan_id])}")
    if base.regions and head.regions:
        for scan, other in ((base, head), (head, base)):
            for region in sorted(set(other.regions) - set(scan.regions)):
                reasons.setdefault(region, f"not scanned in the scan of {_when(scan)}")
    return reasons


def scan_comparison(*, base: Scan, head: Scan) -> Comparison:
    """What a comparison of `base` with `head` leaves out; reads units only of scans that did
    not succeed."""
    return Comparison(rules=_rule_reasons(base, head), regions=_region_reasons(base, head))
