"""The options a findings page offers in its filter form, and what it opens on."""

from django.db import models

from findings.compliance import _section_key
from findings.models import Finding
from rules.engine import load_catalog
from scans.models import Scan
from securescope.resources import GLOBAL_REGION


class FindingsView(models.TextChoices):
    RULES = "rules", "Grouped by rule"
    FLAT = "flat", "Flat list"
    RESOURCES = "resources", "By resource"


# Triage first: what fails, not muted (the muted filter's default), most severe first, one row
# per rule. A query that names a field keeps its value, "any status" included.
PAGE_DEFAULTS = {"status": Finding.Status.FAIL, "view": FindingsView.RULES, "sort": "severity"}


def finding_filter_choices(*, scan: Scan) -> dict[str, list[str]]:
    """Filter options from the rule catalog (cached in memory) and the scan's regions, rather
    than a DISTINCT over the scan's findings."""
    services, resource_types, sections = set(), set(), set()
    for rule in load_catalog().rules:
        services.add(rule.service)
        resource_types.add(rule.resource_type)
        for framework in ("cis_aws_foundations", "cis_eks"):
            for number in (rule.compliance.get(framework) or {}).get("sections", []):
                sections.add((framework, _section_key(number), number))
    return {
        "service": sorted(services),
        "region": [GLOBAL_REGION, *sorted(scan.regions)],
        "resource_type": sorted(resource_types),
        "section": [f"{framework}:{number}" for framework, _, number in sorted(sections)],
    }
