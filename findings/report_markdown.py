"""A scan's report in Markdown, with the HTML report's sections and numbers: summary, top risks,
coverage (what the scan could not see), compliance per framework and section with the
requirement titles, the failing findings by severity then rule (a severity heading counts its
failing findings only), and the passing findings as an appendix of counts per rule.

Streamed one rule at a time like the other exports, and deterministic: the same scan gives the
same bytes.
"""

from collections.abc import Iterator
from typing import Any

from django.db.models import QuerySet

from advice.render import markdown_neutralised
from advice.selectors import AdviceLookup
from findings.compliance import FrameworkScore
from findings.models import Finding
from findings.report_html import failing_groups, report_context
from scans.models import Scan
from securescope.severity import Severity


def md_cell(value: Any) -> str:
    text = value if isinstance(value, str) else str(value)
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def _table(header: tuple[str, ...], rows: list[tuple[Any, ...]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(md_cell(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines) + "\n\n"


def _percent(value: int | None) -> str:
    return f"{value} %" if value is not None else "n/a"


def _summary(context: dict[str, Any]) -> str:
    scan = context["scan"]
    failing = context["failing_counts"]
    counts = ", ".join(f"{s} {failing[s]}" for s in Severity.values)
    muted = "".join(f", {bar.severity} {bar.muted}" for bar in context["bars"] if bar.muted)
    statuses = context["statuses"]
    evaluated = statuses["passed"] + statuses["failed"]
    lines = [
        f"- Scan: `{scan.id}` ({scan.status})",
        f"- Account: {scan.account_label}",
        f"- Regions: {', '.join(context['regions']) or 'none'}",
        f"- Started: {context['started']}, finished: {context['finished'] or 'not yet'}"
        f" ({context['duration']})",
        f"- Rules run: {context['rules_run']}; disabled (not evaluated): "
        f"{', '.join(context['disabled_rules']) or 'none'}",
        f"- Failing findings: {context['failing_total']} ({counts})"
        + (f"; muted, not counted: {context['muted_total']} ({muted[2:]})" if muted else ""),
        f"- Pass rate: {_percent(context['pass_rate'])} of {evaluated} evaluated findings; "
        f"{statuses['not_evaluated']} not evaluated",
    ]
    lines += [
        f"- {score.label}: {_percent(score.percent)} ({score.summary})"
        for score in context["compliance"]
    ]
    return "## Summary\n\n" + "\n".join(lines) + "\n\n"


def _top_risks(context: dict[str, Any]) -> str:
    if not context["top_risks"]:
        return "## Top risks\n\nNo critical or high failing findings.\n\n"
    rows = [
        (risk["severity"], f"`{risk['rule_id']}` {risk['title']}", risk["count"], risk["fix"])
        for risk in context["top_risks"]
    ]
    return "## Top risks\n\n" + _table(("Severity", "Rule", "Failing", "Fix"), rows)


def _coverage(coverage: dict[str, Any]) -> str:
    text = "## Coverage: what the scan could not see\n\n### Permissions\n\n"
    ledger = [(f"`{a}`", "denied") for a in coverage["denied"]]
    ledger += [(f"`{a}`", "unavailable") for a in coverage["unavailable"]]
    text += _table(("IAM action", "Outcome"), ledger) if ledger else "Every call was allowed.\n\n"
    text += "### Not evaluated\n\n"
    rows = [(f"`{r['rule_id']}`", r["reason"], r["count"]) for r in coverage["not_evaluated"]]
    text += (
        _table(("Rule", "Reason", "Findings"), rows) if rows else "Every finding was evaluated.\n\n"
    )
    for title, key, column in (
        ("Region errors", "region_errors", "Error"),
        ("Warnings", "warnings", "Warning"),
    ):
        rows = coverage[key]
        text += f"### {title}\n\n" + (_table(("Region", column), rows) if rows else "None.\n\n")
    return text


def _framework(score: FrameworkScore) -> str:
    secondary = score.findings.percent if score.findings else None
    text = (
        f"### {score.label}: {_percent(score.percent)}\n\n{score.summary}. "
        f"Secondary, resource-weighted: {_percent(secondary)} of evaluated findings pass.\n\n"
    )
    for section in score.sections:
        heading = f"{section.number} {section.title}".strip()
        rows = [
            (
                f"**{r.id}** {r.title}".strip() + (f" (Level {r.level})" if r.level else ""),
                r.status.label + (f": {r.reason}" if r.reason else ""),
                r.failing or "",
                ", ".join(r.rule_ids),
            )
            for r in section.requirements
        ]
        text += f"#### {heading}: {section.summary}\n\n"
        text += _table(("Requirement", "Status", "Failing", "Rules"), rows)
    return text


def _advice(pieces: dict[str, dict[str, Any]]) -> Iterator[str]:
    """The distinct advice of one rule's failing findings, below the rule's table."""
    for piece in pieces.values():
        if piece["source"] == "model":
            origin = f"Remediation advice written by {piece['model']} at {piece['generated_at']}."
        else:
            origin = "Remediation: the rule catalog's curated advice."
        # The advice's own headings sit one level below the rule's.
        body = ("\n" + markdown_neutralised(piece["markdown"])).replace("\n### ", "\n##### ")
        yield f"_{origin}_\n{body}\n"


def export_markdown(scan: Scan, findings: QuerySet[Finding]) -> Iterator[str]:
    context = report_context(scan, findings)
    yield f"# SecureScope scan of account {scan.account_label}\n\n"
    yield _summary(context)
    yield _top_risks(context)
    yield _coverage(context["coverage"])
    if context["compliance"]:
        yield "## Compliance per framework\n\n"
        yield (
            "Scored per requirement: a requirement passes when every evaluated finding of its "
            "rules passes, fails when any fails; not evaluated when none could be; manual when "
            "no rule automates it. Score: passed ÷ evaluated requirements.\n\n"
        )
        for score in context["compliance"]:
            yield _framework(score)
    yield "## Failing findings\n\n"
    advice = AdviceLookup(scan.id)
    for group in failing_groups(findings, context["listed_failing"], context["rules"]):
        if group["opens_severity"]:
            yield f"### {group['severity_label']} ({group['severity_count']} failing)\n\n"
        yield f"#### {group['rule_id']}: {md_cell(group['title'])} ({len(group['rows'])})\n\n"
        if group["fix"]:
            yield f"Fix: {md_cell(group['fix'])}\n\n"
        yield _table(
            ("Region", "Resource type", "Resource hash", "Evidence", "Muted"),
            [
                (
                    row["region"],
                    row["resource_type"],
                    row["resource_hash"],
                    row["evidence"],
                    "muted" if row["muted"] else "",
                )
                for row in group["rows"]
            ],
        )
        pieces: dict[str, dict[str, Any]] = {}
        for evidence in group["evidence"]:
            piece = advice.advice_for(rule_id=group["rule_id"], evidence=evidence)
            pieces.setdefault(piece["markdown"], piece)
        for text in _advice(pieces):
            yield text + "\n"
    if not context["listed_total"]:
        yield "No failing findings.\n\n"
    yield "## Appendix: passing findings per rule\n\n"
    passing = [(f"`{p['rule_id']}`", p["title"], p["count"]) for p in context["passing"]]
    yield _table(("Rule", "Title", "Passing"), passing) if passing else "None.\n"
