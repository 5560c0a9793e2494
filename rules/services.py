from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from rules.models import RuleSetting
from rules.schema import Catalog
from securescope.models import AuditEvent
from securescope.services import audit_record

SYNCED_FIELDS = ("title", "service", "resource_type", "catalog_severity", "compliance")


@transaction.atomic
def rule_settings_sync(*, catalog: Catalog) -> dict[str, int]:
    """One RuleSetting per catalog rule, with the catalog's metadata; toggles are kept."""
    existing = {setting.rule_id: setting for setting in RuleSetting.objects.select_for_update()}
    created = updated = 0
    for rule in catalog.rules:
        values = {
            "title": rule.title,
            "service": rule.service,
            "resource_type": rule.resource_type,
            "catalog_severity": rule.severity,
            "compliance": rule.compliance,
        }
        setting = existing.get(rule.id)
        if setting is None:
            RuleSetting.objects.create(rule_id=rule.id, **values)
            created += 1
        elif not setting.in_catalog or any(
            getattr(setting, name) != value for name, value in values.items()
        ):
            for name, value in values.items():
                setattr(setting, name, value)
            setting.in_catalog = True
            setting.save(update_fields=[*SYNCED_FIELDS, "in_catalog"])
            updated += 1
    catalog_ids = {rule.id for rule in catalog.rules}
    removed = (
        RuleSetting.objects.filter(in_catalog=True)
        .exclude(rule_id__in=catalog_ids)
        .update(in_catalog=False)
    )
    return {"created": created, "updated": updated, "removed": removed}


@transaction.atomic
def rule_setting_update(
    *,
    setting: RuleSetting,
    user: AbstractBaseUser | None,
    enabled: bool | None = None,
    severity_override: str | None = None,
) -> RuleSetting:
    """Turn a rule on or off or override its severity, recording who did it and when."""
    if enabled is not None:
        setting.enabled = enabled
    if severity_override is not None:
        setting.severity_override = severity_override
    setting.updated_by = user if user and user.is_authenticated else None
    setting.updated_at = timezone.now()
    setting.save(update_fields=["enabled", "severity_override", "updated_by", "updated_at"])
    audit_record(
        actor=user,
        action=AuditEvent.Action.RULE_CHANGED,
        target=setting.rule_id,
        detail={"enabled": setting.enabled, "severity_override": setting.severity_override},
    )
    return setting
