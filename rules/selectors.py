from dataclasses import dataclass
from typing import Any

from django.db import models

from rules.loading import load_catalog
from rules.models import RuleSetting
from rules.schema import Rule
from securescope.frameworks import UNMAPPED_KEY
from securescope.severity import Severity


def rule_settings_snapshot() -> dict[str, Any]:
    """What a scan records at its start, so every unit evaluates the same configuration."""
    settings = RuleSetting.objects.filter(in_catalog=True)
    return {
        "disabled": sorted(settings.filter(enabled=False).values_list("rule_id", flat=True)),
        "severity_overrides": dict(
            settings.exclude(severity_override="")
            .order_by("rule_id")
            .values_list("rule_id", "severity_override")
        ),
    }


@dataclass(frozen=True)
class CatalogEntry:
    """A catalog rule as this installation runs it: on or off, and at which severity."""

    rule: Rule
    enabled: bool = True
    severity_override: str = ""

    @property
    def severity(self) -> str:
        return self.severity_override or self.rule.severity

    @property
    def frameworks(self) -> list[str]:
        return [name for name in self.rule.compliance if name != UNMAPPED_KEY]


class RuleState(models.TextChoices):
    ENABLED = "enabled", "Enabled"
    DISABLED = "disabled", "Disabled"


def rule_catalog_list(
    *, service: str = "", severity: str = "", framework: str = "", state: str = "", text: str = ""
) -> list[CatalogEntry]:
    """The catalog's rules with this installation's settings, most severe first, narrowed to
    the given service, effective severity, framework (or UNMAPPED_KEY for rules none maps),
    state and words of the id, title, rationale or resource type. One query."""
    settings = {
        setting.rule_id: setting
        for setting in RuleSetting.objects.filter(in_catalog=True).only(
            "rule_id", "enabled", "severity_override"
        )
    }
    entries = []
    for rule in load_catalog().rules:
        setting = settings.get(rule.id)
        entry = (
            CatalogEntry(rule, setting.enabled, setting.severity_override)
            if setting is not None
            else CatalogEntry(rule)
        )
        if _matches(entry, service, severity, framework, state, text):
            entries.append(entry)
    return sorted(entries, key=lambda entry: (Severity.rank(entry.severity), entry.rule.id))


def _matches(
    entry: CatalogEntry, service: str, severity: str, framework: str, state: str, text: str
) -> bool:
    rule = entry.rule
    if service and rule.service != service:
        return False
    if severity and entry.severity != severity:
        return False
    if framework == UNMAPPED_KEY and entry.frameworks:
        return False
    if framework and framework != UNMAPPED_KEY and framework not in entry.frameworks:
        return False
    if state and entry.enabled != (state == RuleState.ENABLED):
        return False
    haystack = " ".join((rule.id, rule.title, rule.rationale, rule.resource_type)).casefold()
    return all(word in haystack for word in text.casefold().split())


def rule_services() -> list[str]:
    return sorted({rule.service for rule in load_catalog().rules})
