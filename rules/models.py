from django.conf import settings
from django.db import models

from securescope.severity import Severity


class RuleSetting(models.Model):
    """An installation's say over one catalog rule: on or off, and its severity.

    The rule itself lives in the YAML catalog; its title, service and compliance mapping are
    copied here when the catalog is synced, so the admin can list and filter them.
    """

    rule_id = models.CharField(max_length=64, unique=True)
    title = models.CharField(max_length=255)
    service = models.CharField(max_length=32)
    resource_type = models.CharField(max_length=64)
    catalog_severity = models.CharField(max_length=16, choices=Severity.choices)
    compliance = models.JSONField(default=dict)
    in_catalog = models.BooleanField(default=True)
    enabled = models.BooleanField(default=True)
    severity_override = models.CharField(
        max_length=16, choices=Severity.choices, blank=True, default=""
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    updated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["rule_id"]

    def __str__(self) -> str:
        return self.rule_id

    @property
    def severity(self) -> str:
        return self.severity_override or self.catalog_severity
