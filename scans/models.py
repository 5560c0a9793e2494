import uuid
from datetime import timedelta

from django.conf import settings
from django.db import models

from securescope.privacy import account_label
from securescope.resources import GLOBAL_REGION
from securescope.severity import Severity

MASK = "****"


class SavedAccount(models.Model):
    """An account scanned by assuming its role from the base identity: configuration only.

    No secret is kept: the role ARN and external id say which role to assume, and the keys come
    from the host (SCANNER_BASE_IDENTITY) each time. Pages show them masked; the edit form, for
    operators, whole.
    """

    class Schedule(models.TextChoices):
        NONE = "none", "Not scheduled"
        DAILY = "daily", "Daily at a time (UTC)"
        INTERVAL = "interval", "Every N hours"

    label = models.CharField(max_length=100)
    role_arn = models.CharField(max_length=2048)
    external_id = models.CharField(max_length=1224, blank=True)
    # Empty: every region the account has enabled, as DescribeRegions lists them at each scan.
    regions = models.JSONField(default=list, blank=True)
    schedule = models.CharField(max_length=16, choices=Schedule.choices, default=Schedule.NONE)
    daily_at = models.TimeField(null=True, blank=True)
    every_hours = models.PositiveSmallIntegerField(null=True, blank=True)
    # Each account runs at a fixed offset of up to this much after its time, so accounts
    # scheduled alike do not all start together.
    jitter_minutes = models.PositiveSmallIntegerField(default=0)
    enabled = models.BooleanField(default=True)
    # What the last scheduled run did: started a scan, was skipped (and why) or failed (why).
    last_scheduled_at = models.DateTimeField(null=True, blank=True)
    last_scheduled_outcome = models.CharField(max_length=255, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["label", "id"]

    def __str__(self) -> str:
        return self.label

    @property
    def account_label(self) -> str:
        """The role's account, masked (`****1234`)."""
        return account_label(self.role_arn.split(":")[4])

    @property
    def masked_role_arn(self) -> str:
        partition = self.role_arn.split(":")[1]
        return f"arn:{partition}:iam::{self.account_label}:role/{MASK}"

    @property
    def masked_external_id(self) -> str:
        return MASK if self.external_id else ""


class OrganizationRun(models.Model):
    """One scan of an AWS organization: a scan per member account, started together.

    The member scans point here, so pages and exports can roll them up. Accounts whose role
    could not be assumed have no scan: `not_assumed` lists them, masked, with the reason.
    """

    class Status(models.TextChoices):
        # The web form's runs start their members in a background task; the command's at once.
        STARTING = "starting", "Starting"
        STARTED = "started", "Started"
        FAILED = "failed", "Failed to start"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.STARTED)
    # Members the start has gone through (scanned or not assumed), of the ACTIVE accounts.
    members_done = models.PositiveIntegerField(default=0)
    members_total = models.PositiveIntegerField(default=0)
    # Why the start failed, in words that name no account.
    error = models.TextField(blank=True)
    # The management (or delegated administrator) account the member list came from.
    account_hash = models.CharField(max_length=64, db_index=True)
    account_label = models.CharField(max_length=16)
    role_name = models.CharField(max_length=64)
    regions = models.JSONField(default=list)
    # [{"account": masked label, "reason": why the role could not be assumed}], by label.
    not_assumed = models.JSONField(default=list)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Organization of {self.account_label} at {self.created_at:%Y-%m-%d %H:%M}"


class Scan(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        PARTIAL = "partial", "Partial"
        FAILED = "failed", "Failed"
        CANCELLED = "cancelled", "Cancelled"

    TERMINAL_STATUSES = (Status.SUCCEEDED, Status.PARTIAL, Status.FAILED, Status.CANCELLED)

    class Source(models.TextChoices):
        WEB = "web", "Web"
        COMMAND = "command", "Command line"
        DEMO = "demo", "Demo account"
        SAVED_ACCOUNT = "saved_account", "Saved account"
        SCHEDULE = "schedule", "Schedule"

    # A UUID rather than a sequence: scan ids appear in URLs and task arguments.
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    source = models.CharField(max_length=16, choices=Source.choices, default=Source.WEB)
    saved_account = models.ForeignKey(
        SavedAccount, null=True, blank=True, on_delete=models.SET_NULL, related_name="scans"
    )
    # The account id itself is never stored: a keyed hash to group scans, a masked label to show.
    account_hash = models.CharField(max_length=64, db_index=True)
    account_label = models.CharField(max_length=16)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    regions = models.JSONField(default=list)
    severity_counts = models.JSONField(default=dict)
    # {status: {severity: count}}, counted once when the scan finished: the findings pages read
    # their totals here instead of counting a scan's rows on every request.
    finding_counts = models.JSONField(default=dict)
    # The rule configuration at the start ({"disabled": [...], "severity_overrides": {...}}), so
    # every unit evaluates the same one and exports can say which rules were off.
    rule_settings = models.JSONField(default=dict)
    # IAM action -> "ok", "denied" or "unavailable". While the scan runs: the actions its policy
    # check found denied at the start; once it ends, every call's outcome on top of those
    # (scans.collection.permissions.scan_permission_record).
    minimal_permissions = models.JSONField(default=dict)
    error = models.TextField(blank=True)
    # The organization scan this account's scan is part of, if any.
    organization_run = models.ForeignKey(
        OrganizationRun, null=True, blank=True, on_delete=models.SET_NULL, related_name="scans"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        permissions = [("start_scan", "Can start a scan with AWS credentials")]
        indexes = [models.Index(fields=["account_hash", "-created_at"])]

    def __str__(self) -> str:
        return f"Scan of {self.account_label} at {self.created_at:%Y-%m-%d %H:%M}"

    @property
    def is_finished(self) -> bool:
        return self.status in self.TERMINAL_STATUSES

    @property
    def duration(self) -> timedelta | None:
        return self.finished_at - self.created_at if self.finished_at else None

    @property
    def denied_actions(self) -> list[str]:
        return sorted(a for a, status in self.minimal_permissions.items() if status == "denied")

    @property
    def failing_counts(self) -> list[tuple[str, int]]:
        """Failing findings per severity, most severe first (JSON columns keep no key order)."""
        return [(severity, self.severity_counts.get(severity, 0)) for severity in Severity.values]


class ScanRegion(models.Model):
    """One unit of work: a region of a scan, or the account-wide ("global") part."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        # Collected and evaluated, but some collectors failed: their resource types are
        # NOT_EVALUATED and `error` lists them.
        PARTIAL = "partial", "Partial"
        FAILED = "failed", "Failed"
        CANCELLED = "cancelled", "Cancelled"

    TERMINAL_STATUSES = (Status.SUCCEEDED, Status.PARTIAL, Status.FAILED, Status.CANCELLED)

    scan = models.ForeignKey(Scan, on_delete=models.CASCADE, related_name="scan_regions")
    region = models.CharField(max_length=32)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    # Grow as each collector of the unit ends, so the progress table moves within a region.
    resources_collected = models.PositiveIntegerField(default=0)
    collectors_total = models.PositiveSmallIntegerField(default=0)
    collectors_done = models.PositiveSmallIntegerField(default=0)
    findings_count = models.PositiveIntegerField(default=0)
    failed_count = models.PositiveIntegerField(default=0)
    warnings = models.JSONField(default=list)
    permissions = models.JSONField(default=dict)
    # API operation -> number of requests, pages included.
    api_calls = models.JSONField(default=dict)
    # Seconds per phase: "collect" (AWS calls), "evaluate_and_store" (rules and findings), and
    # "write" (the findings' database writes within it); read by bench/scan.py.
    timings = models.JSONField(default=dict)
    error = models.TextField(blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["region"]
        constraints = [
            models.UniqueConstraint(fields=["scan", "region"], name="unique_region_per_scan")
        ]

    def __str__(self) -> str:
        return f"{self.region} of {self.scan_id}"

    @property
    def is_global(self) -> bool:
        return self.region == GLOBAL_REGION
