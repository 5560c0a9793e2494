"""The options a findings page offers in its filter form, and what it opens on."""

from django.db import models

from findings.compliance import _section_key
from findings.models import Finding
from rules.loading import load_catalog
from rules.schema import Catalog
from scans.models import Scan
from securescope.frameworks import all_frameworks, mapped_sections
from securescope.resources import GLOBAL_REGION


class FindingsView(models.TextChoices):
    RULES = "rules", "Grouped by rule"
    FLAT = "flat", "Flat list"
    RESOURCES = "resources", "By resource"


# Triage first: what fails, not muted (the muted filter's default), most severe first, one row
# per rule. A query that names a field keeps its value, "any status" included.
PAGE_DEFAULTS = {"status": Finding.Status.FAIL, "view": FindingsView.RULES, "sort": "severity"}


def finding_filter_choices(*, scan: Scan) -> dict[str, list[str]]:
    """Filter options from the rule catalog and the scan's regions, rather than a DISTINCT
    over the scan's findings."""
    return {**_catalog_choices(load_catalog()), "region": [GLOBAL_REGION, *sorted(scan.regions)]}


# The catalog's options and the catalog they were read from: every findings page and export
# asks for them, and they change only when the catalog is parsed again.
_catalog_choices_kept: tuple[Catalog, dict[str, list[str]]] | None = None


def _catalog_choices(catalog: Catalog) -> dict[str, list[str]]:
    global _catalog_choices_kept
    kept = _catalog_choices_kept
    if kept is not None and kept[0] is catalog:
        return kept[1]
    services, resource_types, sections = set(), set(), set()
    versioned_frameworks = [framework.id for framework in all_frameworks() if framework.versioned]
    for rule in catalog.rules:
        services.add(rule.service)
        resource_types.add(rule.resource_type)
        # In the registry's order of frameworks, then section order.
        for order, framework in enumerate(versioned_frameworks):
            for number in mapped_sections(rule.compliance.get(framework)):
                sections.add((order, _section_key(number), framework, number))
    choices = {
        "service": sorted(services),
        "resource_type": sorted(resource_types),
        "section": [f"{framework}:{number}" for _, _, framework, number in sorted(sections)],
    }
    _catalog_choices_kept = (catalog, choices)
    return choices
