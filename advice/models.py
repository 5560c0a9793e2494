from django.db import models


class Advice(models.Model):
    """Remediation advice for one kind of failure, written once per model.

    The key is (rule, evidence shape, model id): a thousand security groups open on port 22 share
    one row, across scans too. `source` says whether the model's answer passed the quality gate
    or the curated remediation stands in for it; a curated row is cached as well, so a model that
    fails a shape is not asked again for it.
    """

    class Source(models.TextChoices):
        MODEL = "model", "Model"
        CURATED = "curated", "Curated"

    rule_id = models.CharField(max_length=64)
    shape_key = models.CharField(max_length=64)
    model_id = models.CharField(max_length=200)
    source = models.CharField(max_length=16, choices=Source.choices)
    markdown = models.TextField()
    # The model's answer by section (advice.prompts.SECTIONS) when source = model. A curated row
    # keeps none: what it shows is the catalog's advice as the catalog says it now.
    sections = models.JSONField(default=dict, blank=True)
    # Why the model's answer was not used (source = curated); never holds model output.
    rejected_reason = models.CharField(max_length=255, blank=True)
    generated_at = models.DateTimeField()
    completion_tokens = models.PositiveIntegerField(default=0)
    generation_seconds = models.FloatField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["rule_id", "shape_key", "model_id"], name="unique_advice_per_shape"
            )
        ]

    def __str__(self) -> str:
        return f"{self.rule_id} {self.shape_key[:12]} ({self.source}, {self.model_id})"


class ScanAdvice(models.Model):
    """One distinct failing (rule, evidence shape) pair of a scan, and where its advice stands."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        DONE = "done", "Done"
        # Not sent to a model: a prompt that still held an identifier (sanitizer), or the
        # scan's cap was reached. The finding shows the curated remediation.
        REFUSED = "refused", "Refused by the sanitizer"
        CAPPED = "capped", "Over the per-scan cap"
        FAILED = "failed", "Failed"

    scan = models.ForeignKey("scans.Scan", on_delete=models.CASCADE, related_name="advice_items")
    rule_id = models.CharField(max_length=64)
    shape_key = models.CharField(max_length=64)
    # The normalized evidence the prompt is built from (already redacted, like findings').
    shape = models.JSONField(default=dict)
    findings_count = models.PositiveIntegerField(default=0)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    advice = models.ForeignKey(Advice, null=True, on_delete=models.SET_NULL, related_name="+")
    error = models.CharField(max_length=255, blank=True)
    # This item asked the model (not the cache): what the per-scan cap counts.
    generated = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["scan", "rule_id", "shape_key"], name="unique_advice_item_per_scan"
            )
        ]

    def __str__(self) -> str:
        return f"{self.rule_id} {self.shape_key[:12]} {self.status}"
