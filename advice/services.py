"""Writes: which failing shapes of a scan need advice, and writing one piece of advice."""

import logging
import time
from collections import Counter
from functools import cache
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from advice.models import Advice, ScanAdvice
from advice.prompts import advice_messages, advice_schema
from advice.providers import AdviceProvider, ProviderError, advice_disabled_reason, advice_provider
from advice.quality import AdviceRejected, advice_checked
from advice.render import curated_markdown, sections_markdown
from advice.sanitizer import PromptRefused
from advice.shape import evidence_shape, shape_key
from rules.loading import load_catalog
from rules.schema import Rule
from scans.lifecycle.hooks import findings_port
from scans.models import Scan
from securescope.executor import enqueue_tasks
from securescope.ratelimit import TokenBucket
from securescope.severity import Severity

logger = logging.getLogger(__name__)

ADVICE_TASK = "advice.tasks.run_advice_item"


def advice_plan_on_scan_closed(*, scan_id: object, status: str, **_signal: object) -> None:
    """scan_closed receiver: a scan that ran to its end gets advice; a cancelled one none."""
    if status != Scan.Status.CANCELLED:
        advice_plan_for_scan(scan_id=scan_id)


def advice_plan_for_scan(*, scan_id: object) -> list[int]:
    """Record the scan's distinct failing (rule, evidence shape) pairs and queue their advice.

    Called when a scan finalizes. Nothing is recorded while advice is disabled: the scan page
    then says why. Items are queued most severe first, so the per-scan cap cuts the least
    severe.
    """
    if advice_disabled_reason():
        return []
    shapes: dict[tuple[str, str], dict[str, Any]] = {}
    severity_ranks: dict[tuple[str, str], int] = {}
    counts: Counter[tuple[str, str]] = Counter()
    for finding in findings_port().failing(scan_id=scan_id):
        key = (finding.rule_id, shape_key(finding.rule_id, finding.evidence))
        counts[key] += 1
        if key not in shapes:
            shapes[key] = evidence_shape(finding.evidence)
            severity_ranks[key] = Severity.rank(finding.severity)
    ordered = sorted(shapes, key=lambda key: (severity_ranks[key], key))
    ScanAdvice.objects.bulk_create(
        [
            ScanAdvice(
                scan_id=scan_id,
                rule_id=rule_id,
                shape_key=key,
                shape=shapes[(rule_id, key)],
                findings_count=counts[(rule_id, key)],
            )
            for rule_id, key in ordered
        ],
        ignore_conflicts=True,  # a finalization that runs twice plans once
    )
    pending = {
        (rule_id, key): item_id
        for rule_id, key, item_id in ScanAdvice.objects.filter(
            scan_id=scan_id, status=ScanAdvice.Status.PENDING
        ).values_list("rule_id", "shape_key", "id")
    }
    item_ids = [pending[key] for key in ordered if key in pending]
    transaction.on_commit(
        lambda: enqueue_tasks(ADVICE_TASK, [(item_id,) for item_id in item_ids], cluster="advice")
    )
    return item_ids


@cache
def _generation_pace(per_minute: float) -> TokenBucket:
    # Per advice worker process; the default is one worker (the `advice` cluster).
    return TokenBucket(rate=per_minute / 60, burst=1)


def _finish(
    item: ScanAdvice,
    status: str,
    *,
    advice: Advice | None = None,
    error: str = "",
    generated: bool = False,
) -> None:
    item.status, item.advice, item.error, item.generated = status, advice, error[:255], generated
    item.save(update_fields=["status", "advice", "error", "generated"])


def _advice_written(*, rule: Rule, item: ScanAdvice, provider: AdviceProvider) -> Advice:
    """Ask the model once for this shape and keep what the quality gate lets through."""
    messages = advice_messages(rule=rule, shape=item.shape)  # refused before any pacing
    _generation_pace(settings.ADVICE_REQUESTS_PER_MINUTE).acquire()
    generation = provider.generate(messages, schema=advice_schema())
    fields: dict[str, Any] = {
        "generated_at": timezone.now(),
        "completion_tokens": generation.completion_tokens,
        "generation_seconds": generation.seconds,
    }
    try:
        sections = advice_checked(generation.text, curated_cli=rule.remediation.cli)
        fields.update(
            source=Advice.Source.MODEL, markdown=sections_markdown(sections), sections=sections
        )
    except AdviceRejected as rejected:
        logger.info("Advice for %s rejected by the quality gate: %s", rule.id, rejected)
        fields.update(
            source=Advice.Source.CURATED,
            markdown=curated_markdown(rule),
            rejected_reason=str(rejected)[:255],
        )
    try:
        with transaction.atomic():  # a savepoint, so a lost race leaves any outer block usable
            return Advice.objects.create(
                rule_id=rule.id, shape_key=item.shape_key, model_id=provider.model_id, **fields
            )
    except IntegrityError:
        # Another worker wrote the same shape meanwhile; its answer is as good as ours.
        return Advice.objects.get(
            rule_id=rule.id, shape_key=item.shape_key, model_id=provider.model_id
        )


def advice_item_run(*, item_id: int) -> None:
    """Give one (rule, evidence shape) of a scan its advice: cached, generated, or curated."""
    item = ScanAdvice.objects.get(id=item_id)
    if item.status != ScanAdvice.Status.PENDING:
        return  # a retried task whose first attempt finished
    rule = next((rule for rule in load_catalog().rules if rule.id == item.rule_id), None)
    if rule is None:
        _finish(item, ScanAdvice.Status.FAILED, error="The rule is no longer in the catalog.")
        return
    try:
        provider = advice_provider()
        cached = Advice.objects.filter(
            rule_id=item.rule_id, shape_key=item.shape_key, model_id=provider.model_id
        ).first()
        if cached:
            _finish(item, ScanAdvice.Status.DONE, advice=cached)
            return
        generations = ScanAdvice.objects.filter(scan_id=item.scan_id, generated=True).count()
        if generations >= settings.ADVICE_PER_SCAN_CAP:
            _finish(item, ScanAdvice.Status.CAPPED)
            return
        advice = _advice_written(rule=rule, item=item, provider=provider)
        _finish(item, ScanAdvice.Status.DONE, advice=advice, generated=True)
    except PromptRefused as refused:
        _finish(item, ScanAdvice.Status.REFUSED, error=str(refused))
    except ProviderError as error:
        logger.warning("Advice for %s failed: %s", item.rule_id, error)
        _finish(item, ScanAdvice.Status.FAILED, error=str(error))


def advice_wait(*, scan_id: object, timeout: float, poll_interval: float = 0.5) -> int:
    """Block until the scan's advice is written or `timeout` passes; returns items pending."""
    deadline = time.monotonic() + timeout
    while True:
        pending = ScanAdvice.objects.filter(
            scan_id=scan_id, status=ScanAdvice.Status.PENDING
        ).count()
        if not pending or time.monotonic() > deadline:
            return pending
        time.sleep(poll_interval)


def advice_unreferenced_delete() -> int:
    """Drop cached advice that no scan's item points at any more (after old scans are purged)."""
    deleted, _ = Advice.objects.exclude(
        id__in=ScanAdvice.objects.filter(advice__isnull=False).values("advice_id")
    ).delete()
    return deleted
