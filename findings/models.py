from django.db import models


class Severity(models.TextChoices):
    CRITICAL = "critical", "Critical"
    HIGH = "high", "High"
    MEDIUM = "medium", "Medium"
    LOW = "low", "Low"
    INFO = "info", "Informational"

    @classmethod
    def rank(cls, value: str) -> int:
        """0 for the most severe; used for sorting and `--fail-on` thresholds."""
        return list(cls.values).index(value)

    @classmethod
    def at_or_above(cls, value: str) -> list[str]:
        return list(cls.values)[: cls.rank(value) + 1]


class Finding(models.Model):
    """The result of one rule on one resource in one scan. Holds no raw identifier."""

    class Status(models.TextChoices):
        FAIL = "FAIL", "Fail"
        PASS = "PASS", "Pass"
        # The data needed to decide was missing (permission denied, API unavailable): never PASS.
        NOT_EVALUATED = "NOT_EVALUATED", "Not evaluated"

    scan = models.ForeignKey("scans.Scan", on_delete=models.CASCADE, related_name="findings")
    rule_id = models.CharField(max_length=64)
    # Rule metadata as it was when the scan ran, so old scans export as they were.
    title = models.CharField(max_length=255)
    service = models.CharField(max_length=32)
    severity = models.CharField(max_length=16, choices=Severity.choices)
    status = models.CharField(max_length=16, choices=Status.choices)
    region = models.CharField(max_length=32)
    resource_type = models.CharField(max_length=64)
    resource_hash = models.CharField(max_length=64)
    evidence = models.JSONField(default=dict)
    compliance = models.JSONField(default=dict)
    # Stable across scans of one account: rule, resource hash and region.
    fingerprint = models.CharField(max_length=64)

    class Meta:
        ordering = ["rule_id", "region", "resource_type", "resource_hash"]
        indexes = [
            models.Index(fields=["scan", "status", "severity"]),
            models.Index(fields=["scan", "rule_id", "region", "resource_type", "resource_hash"]),
            # The page order within one severity: a severity's rules can sit anywhere in rule id
            # order, so a page of critical findings walked most of a 200,000-finding scan.
            models.Index(
                fields=["scan", "severity", "rule_id", "region", "resource_type", "resource_hash"]
            ),
            models.Index(fields=["fingerprint"]),
        ]
        constraints = [
            models.UniqueConstraint(fields=["scan", "fingerprint"], name="unique_finding_per_scan")
        ]

    def __str__(self) -> str:
        return f"{self.rule_id} {self.status} {self.resource_hash[:12]}"
