"""A scan's report as one self-contained HTML file: inline CSS, no scripts, no external assets.

It reads as a report and prints to PDF from a browser: summary, top risks, coverage (what the
scan could not see), compliance per framework, the failing findings by severity then rule, and
the passing ones as a count per rule. Django templates render it (autoescaped); the failing
findings stream out one rule at a time, so memory follows the largest rule, not the scan.
Deterministic like the other exports: no generation time, every list in a total order.
"""

import json
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, F, Q, QuerySet
from django.template.loader import render_to_string

from findings.charts import value_bars
from findings.models import Finding
from findings.scan_scores import compliance_scores
from findings.selectors import MutedFilter, finding_list
from rules.loading import load_catalog
from rules.schema import Rule
from scans.models import Scan, ScanRegion
from securescope.severity import Severity

CONTENT_TYPE = "text/html; charset=utf-8"
CHUNK_SIZE = 2000
TOP_RISK_SEVERITIES = (Severity.CRITICAL, Severity.HIGH)
BAR_WIDTH = 320
BAR_HEIGHT = 22


@dataclass(frozen=True)
class SeverityBar:
    severity: str
    label: str
    count: int
    muted: int
    y: int
    width: int


def one_line_fix(rule: Rule | None) -> str:
    """The catalog's one-line fix (`remediation.summary`)."""
    return rule.remediation.summary if rule is not None else ""


def _duration(scan: Scan) -> str:
    if scan.duration is None:
        return "still running"
    minutes, seconds = divmod(round(scan.duration.total_seconds()), 60)
    return f"{minutes} min {seconds} s" if minutes else f"{seconds} s"


def _timestamp(value: Any) -> str:
    return value.isoformat().replace("+00:00", "Z") if value else ""


def _counts(findings: QuerySet[Finding], *fields: str) -> Counter:
    rows = findings.order_by().values(*fields).annotate(count=Count("id"))
    return Counter({tuple(row[name] for name in fields): row["count"] for row in rows})


def _severity_bars(failing: Counter, muted: Counter) -> list[SeverityBar]:
    largest = max(failing.values(), default=0) or 1
    return [
        SeverityBar(
            severity=severity,
            label=Severity(severity).label,
            count=failing[severity],
            muted=muted[severity],
            y=index * (BAR_HEIGHT + 8),
            width=round(BAR_WIDTH * failing[severity] / largest),
        )
        for index, severity in enumerate(Severity.values)
    ]


def scan_coverage(scan: Scan, findings: QuerySet[Finding]) -> dict[str, Any]:
    """What the scan could not see: the permission ledger's denied and unavailable actions,
    the NOT_EVALUATED findings by rule and reason, region errors and warnings."""
    not_evaluated = findings.filter(status=Finding.Status.NOT_EVALUATED).annotate(
        reason=F("evidence__reason")
    )
    reasons = _counts(not_evaluated, "rule_id", "reason")
    units = ScanRegion.objects.filter(scan=scan).order_by("region")
    return {
        "denied": sorted(a for a, s in scan.minimal_permissions.items() if s == "denied"),
        "unavailable": sorted(a for a, s in scan.minimal_permissions.items() if s == "unavailable"),
        "not_evaluated": [
            {"rule_id": rule_id, "reason": reason or "not recorded", "count": count}
            for (rule_id, reason), count in sorted(
                reasons.items(), key=lambda i: (i[0][0], str(i[0][1]))
            )
        ],
        "region_errors": [(unit.region, unit.error) for unit in units if unit.error],
        "warnings": [(unit.region, warning) for unit in units for warning in unit.warnings],
    }


def report_context(scan: Scan, findings: QuerySet[Finding]) -> dict[str, Any]:
    """Everything above the failing findings' tables."""
    rules = {rule.id: rule for rule in load_catalog().rules}
    enabled = load_catalog().with_settings(scan.rule_settings).rules
    active = findings.exclude(Q(muted=True))
    failing = Counter(
        {s: c for (s,), c in _counts(active.filter(status=Finding.Status.FAIL), "severity").items()}
    )
    muted_failing = finding_list(
        scan_id=scan.id, muted=MutedFilter.ONLY, status=Finding.Status.FAIL
    )
    muted = Counter({s: c for (s,), c in _counts(muted_failing, "severity").items()})
    statuses = Counter({s: c for (s,), c in _counts(findings, "status").items()})
    decided = statuses[Finding.Status.PASS] + statuses[Finding.Status.FAIL]
    top = _counts(
        active.filter(status=Finding.Status.FAIL, severity__in=TOP_RISK_SEVERITIES),
        "severity",
        "rule_id",
        "title",
    )
    top_risks = [
        {
            "severity": severity,
            "rule_id": rule_id,
            "title": title,
            "count": count,
            "fix": one_line_fix(rules.get(rule_id)),
        }
        for (severity, rule_id, title), count in sorted(
            top.items(), key=lambda item: (Severity.rank(item[0][0]), -item[1], item[0][1])
        )
    ]
    scores = compliance_scores(scan=scan)
    passing = _counts(findings.filter(status=Finding.Status.PASS), "rule_id", "title")
    failing_rows = _counts(findings.filter(status=Finding.Status.FAIL), "severity")
    listed = Counter({s: c for (s,), c in failing_rows.items()})
    return {
        "scan": scan,
        "duration": _duration(scan),
        "started": _timestamp(scan.created_at),
        "finished": _timestamp(scan.finished_at),
        "regions": sorted(scan.regions),
        "rules_run": len(enabled),
        "disabled_rules": sorted(scan.rule_settings.get("disabled", [])),
        "bars": _severity_bars(failing, muted),
        "chart_height": len(Severity.values) * (BAR_HEIGHT + 8),
        "bar_height": BAR_HEIGHT,
        "failing_total": sum(failing.values()),
        "muted_total": sum(muted.values()),
        "statuses": {
            "passed": statuses[Finding.Status.PASS],
            "failed": statuses[Finding.Status.FAIL],
            "not_evaluated": statuses[Finding.Status.NOT_EVALUATED],
        },
        "pass_rate": round(100 * statuses[Finding.Status.PASS] / decided) if decided else None,
        "compliance": scores,
        "score_chart": value_bars(
            [(score.short_label, score.percent or 0, score) for score in scores], key="percent"
        ),
        "top_risks": top_risks,
        "coverage": scan_coverage(scan, findings),
        "passing": [
            {"rule_id": rule_id, "title": title, "count": count}
            for (rule_id, title), count in sorted(passing.items())
        ],
        "failing_counts": failing,
        # What the failing tables hold: the filters' failing findings, muted ones included
        # when the filters ask for them (each row then says so).
        "listed_failing": listed,
        "listed_total": sum(listed.values()),
        "rules": rules,
    }


def failing_groups(
    findings: QuerySet[Finding], failing: Counter, rules: dict[str, Rule]
) -> Iterator[dict[str, Any]]:
    """The failing findings one (severity, rule) group at a time, in report order."""
    ordered = (
        findings.filter(status=Finding.Status.FAIL)
        .annotate(report_rank=Severity.rank_expression())
        .order_by("report_rank", "rule_id", "region", "resource_type", "resource_hash")
    )
    group: dict[str, Any] | None = None
    severity = None
    for finding in ordered.iterator(chunk_size=CHUNK_SIZE):
        if group is None or (finding.severity, finding.rule_id) != group["key"]:
            if group is not None:
                yield group
            opens_severity = finding.severity != severity
            severity = finding.severity
            group = {
                "key": (finding.severity, finding.rule_id),
                "severity": finding.severity,
                "severity_label": Severity(finding.severity).label,
                "severity_count": failing[finding.severity],
                "opens_severity": opens_severity,
                "rule_id": finding.rule_id,
                "title": finding.title,
                "fix": one_line_fix(rules.get(finding.rule_id)),
                "rows": [],
                "evidence": [],
            }
        group["evidence"].append(finding.evidence)
        group["rows"].append(
            {
                "region": finding.region,
                "resource_type": finding.resource_type,
                "resource_hash": finding.resource_hash,
                "evidence": json.dumps(finding.evidence, sort_keys=True, ensure_ascii=False),
                "muted": bool(getattr(finding, "muted", False)),
            }
        )
    if group is not None:
        yield group


def export_html(scan: Scan, findings: QuerySet[Finding]) -> Iterator[str]:
    context = report_context(scan, findings)
    yield render_to_string("findings/report/head.html", context)
    for group in failing_groups(findings, context["listed_failing"], context["rules"]):
        yield render_to_string("findings/report/rule.html", {"group": group})
    yield render_to_string("findings/report/tail.html", context)
