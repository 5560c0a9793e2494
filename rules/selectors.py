from typing import Any

from rules.models import RuleSetting


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
