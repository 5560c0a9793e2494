"""Reads: a scan's advice progress, and the advice each failing finding shows or exports."""

from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Q

from advice.models import Advice, ScanAdvice
from advice.prompts import curated_sections
from advice.providers import advice_disabled_reason
from advice.render import curated_markdown
from advice.shape import shape_key
from rules.loading import load_catalog
from rules.schema import Rule


@dataclass(frozen=True)
class AdviceProgress:
    total: int
    pending: int
    from_model: int
    curated: int
    refused: int
    capped: int
    failed: int
    disabled_reason: str | None

    @property
    def finished(self) -> int:
        return self.total - self.pending


def advice_progress(*, scan_id: object) -> AdviceProgress:
    Status = ScanAdvice.Status
    counts = ScanAdvice.objects.filter(scan_id=scan_id).aggregate(
        total=Count("id"),
        pending=Count("id", filter=Q(status=Status.PENDING)),
        from_model=Count("id", filter=Q(status=Status.DONE, advice__source=Advice.Source.MODEL)),
        curated=Count("id", filter=Q(status=Status.DONE, advice__source=Advice.Source.CURATED)),
        refused=Count("id", filter=Q(status=Status.REFUSED)),
        capped=Count("id", filter=Q(status=Status.CAPPED)),
        failed=Count("id", filter=Q(status=Status.FAILED)),
    )
    return AdviceProgress(**counts, disabled_reason=advice_disabled_reason())


def _rules_by_id() -> dict[str, Rule]:
    return {rule.id: rule for rule in load_catalog().rules}


def _curated_record(rule: Rule | None) -> dict[str, Any]:
    # A rule no longer in the catalog has no curated advice left to show.
    return {
        "source": Advice.Source.CURATED.value,
        "model": None,
        "generated_at": None,
        "markdown": curated_markdown(rule) if rule else "",
        "sections": curated_sections(rule) if rule else {},
    }


def advice_record(advice: Advice | None, rule: Rule | None) -> dict[str, Any]:
    """What a failing finding shows and exports: the model's advice if it passed the gate, else
    the catalog's curated advice. Both have the same five sections (advice.prompts.SECTIONS)."""
    if advice is not None and advice.source == Advice.Source.MODEL:
        return {
            "source": Advice.Source.MODEL.value,
            "model": advice.model_id,
            "generated_at": advice.generated_at.isoformat().replace("+00:00", "Z"),
            "markdown": advice.markdown,
            "sections": advice.sections,
        }
    return _curated_record(rule)


class AdviceLookup:
    """The advice of a scan's failing findings, for exports.

    Built once per export (one query), then answers per finding from memory.
    """

    def __init__(self, scan_id: object) -> None:
        self._advice = {
            (item.rule_id, item.shape_key): item.advice
            for item in ScanAdvice.objects.filter(scan_id=scan_id, advice__isnull=False)
            .select_related("advice")
            .only("rule_id", "shape_key", "advice")
        }
        self._rules = _rules_by_id()
        self._curated: dict[str, dict[str, Any]] = {}

    def advice_for(self, *, rule_id: str, evidence: dict[str, Any]) -> dict[str, Any]:
        advice = self._advice.get((rule_id, shape_key(rule_id, evidence))) if self._advice else None
        if advice is not None and advice.source == Advice.Source.MODEL:
            return advice_record(advice, None)
        if rule_id not in self._curated:
            self._curated[rule_id] = _curated_record(self._rules.get(rule_id))
        return self._curated[rule_id]


def finding_advice(
    *, scan_id: object, rule: Rule | None, rule_id: str, evidence: dict[str, Any]
) -> tuple[ScanAdvice | None, dict[str, Any]]:
    """One failing finding's advice item (None: none was planned) and what it shows."""
    item = (
        ScanAdvice.objects.filter(
            scan_id=scan_id, rule_id=rule_id, shape_key=shape_key(rule_id, evidence)
        )
        .select_related("advice")
        .first()
    )
    return item, advice_record(item.advice if item else None, rule)


def scan_advice_list(*, scan_id: object) -> list[ScanAdvice]:
    """The scan's advice items, each with `markdown`: the model's advice if it passed the gate,
    else the catalog's curated advice."""
    items = list(
        ScanAdvice.objects.filter(scan_id=scan_id)
        .select_related("advice")
        .order_by("rule_id", "-findings_count", "id")
    )
    rules = _rules_by_id()
    for item in items:
        item.markdown = advice_record(item.advice, rules.get(item.rule_id))["markdown"]
    return items
