from django.conf import settings
from django.db import models

from securescope.severity import FindingStatus, Severity

# The findings page's order within a scan: most severe first, then the export order.
PAGE_ORDER = (
    models.F("scan"),
    Severity.rank_expression(),
    models.F("rule_id"),
    models.F("region"),
    models.F("resource_type"),
    models.F("resource_hash"),
)


class Finding(models.Model):
    """The result of one rule on one resource in one scan. Holds no raw identifier."""

    Status = FindingStatus

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
    # Failing here and not in the scan the tallies compared with (FindingTally.compared_with),
    # marked when the scan closes: "new since the previous scan" then reads a small index
    # instead of looking each failing finding up in the previous scan.
    is_new = models.BooleanField(default=False, db_default=False)

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
            # The resource view groups a scan's failing findings by resource, most severe first:
            # an index-only scan once autovacuum has passed (migrations 0009 and 0011 ask it to
            # come soon after a scan's findings are written, and after they are marked new).
            models.Index(
                fields=["scan", "status", "resource_hash", "resource_type", "region", "severity"],
                name="finding_resource_order",
            ),
            # Counting a scan's findings by rule, region, status and severity (its tallies when
            # it closes, its pages while it runs) reads this index alone; the id names an example
            # of each rule, the fingerprint answers mutes. Keys, not INCLUDE: SQLite has no
            # included columns.
            models.Index(
                fields=["scan", "rule_id", "region", "status", "severity", "id", "fingerprint"],
                name="finding_tally_order",
            ),
            models.Index(*PAGE_ORDER, name="finding_severity_order"),
            models.Index(
                *PAGE_ORDER, condition=models.Q(is_new=True), name="finding_new_severity_order"
            ),
        ]
        constraints = [
            models.UniqueConstraint(fields=["scan", "fingerprint"], name="unique_finding_per_scan")
        ]
        permissions = [
            ("view_findings", "Can read scans, findings, reports and exports"),
            ("identify_resource", "Can reveal which resource a finding is about"),
            ("view_identifiers", "Can see resource names and ARNs stored encrypted"),
        ]

    def __str__(self) -> str:
        return f"{self.rule_id} {self.status} {self.resource_hash[:12]}"


class Mute(models.Model):
    """Silences one finding fingerprint, or a whole rule, in one account until it expires.

    A muted finding is still stored and shown under the "muted" filter; exports mark it.
    """

    account_hash = models.CharField(max_length=64)
    account_label = models.CharField(max_length=16)
    rule_id = models.CharField(max_length=64)
    # Empty: every finding of the rule in the account.
    fingerprint = models.CharField(max_length=64, blank=True)
    justification = models.TextField()
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="owned_mutes"
    )
    expires_at = models.DateTimeField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["expires_at", "id"]
        indexes = [models.Index(fields=["account_hash", "expires_at"])]

    def __str__(self) -> str:
        scope = f"{self.rule_id} {self.fingerprint[:12]}" if self.fingerprint else self.rule_id
        return f"Mute of {scope} in {self.account_label}"

    @property
    def is_whole_rule(self) -> bool:
        return not self.fingerprint


class ResourceIdentity(models.Model):
    """A scanned resource's ARN and Name tag, encrypted with IDENTIFIER_KEY.

    Written only when RESOURCE_IDENTIFIERS=encrypted, one row per resource of a scan (a resource
    has several findings), read only by holders of findings.view_identifiers. A table of its own
    rather than a column on Finding: the findings table and its exports stay as they are, and the
    mode's data is this table alone.
    """

    scan = models.ForeignKey("scans.Scan", on_delete=models.CASCADE, related_name="+")
    resource_hash = models.CharField(max_length=64)
    # A Fernet token of {"scan", "hash", "arn", "name"}: bound to its row, so a token copied into
    # another row does not open there.
    sealed = models.TextField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["scan", "resource_hash"], name="unique_identity_per_scan"
            )
        ]

    def __str__(self) -> str:
        return f"Identity of {self.resource_hash[:12]}"


class FindingTally(models.Model):
    """A closed scan's findings counted by rule, region, status and severity.

    Written once, in the transaction that closes the scan, so that the overview, the findings
    page's rule groups and counts, and the compliance view read a few hundred rows instead of
    counting a scan's hundreds of thousands of findings on every request.
    """

    scan = models.ForeignKey("scans.Scan", on_delete=models.CASCADE, related_name="tallies")
    rule_id = models.CharField(max_length=64)
    region = models.CharField(max_length=32)
    status = models.CharField(max_length=16, choices=FindingStatus.choices)
    severity = models.CharField(max_length=16, choices=Severity.choices)
    # The rule as the scan stored it, from one of the tallied findings.
    title = models.CharField(max_length=255)
    service = models.CharField(max_length=32)
    resource_type = models.CharField(max_length=64)
    compliance = models.JSONField(default=dict)
    count = models.PositiveIntegerField()
    # Failing findings that did not fail in `compared_with`, the account's previous succeeded
    # scan when this one closed (the same "new" as finding_list's change filter).
    new_count = models.PositiveIntegerField(default=0)
    compared_with = models.UUIDField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["scan", "rule_id", "region", "status", "severity"],
                name="unique_tally_per_scan",
            )
        ]

    def __str__(self) -> str:
        return f"{self.rule_id} {self.region} {self.status}: {self.count}"
