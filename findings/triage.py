"""Reads behind the findings page's three views: the flat list one page at a time (keyset
pagination), one rule's findings, findings grouped by resource, and a selection for bulk
actions.

Keyset pagination continues after the last row shown, through the index that serves the order,
so page 1,000 costs what page 1 does; an OFFSET would walk every row before it.
"""

import base64
import binascii
import json
from dataclasses import dataclass, field
from typing import Any

from django.db.models import BooleanField, Count, F, Func, Min, Q, QuerySet, Value

from findings.models import Finding
from findings.selectors import finding_list
from findings.tallies import ScanCounts
from scans.models import Scan
from securescope.severity import Severity

PAGE_SIZE = 100
RULE_ROWS = 50


class RowCompare(Func):
    """`(a, b, c) > (x, y, z)`: SQL's row comparison, which a B-tree index on (a, b, c) serves
    as a range (PostgreSQL, and SQLite 3.15 and later)."""

    output_field = BooleanField()

    def __init__(self, columns: list[Any], values: list[Any], operator: str) -> None:
        if operator not in ("<", ">"):
            raise ValueError(f"unsupported operator {operator!r}")
        super().__init__(*columns, *(Value(value) for value in values))
        self.operator = operator

    def as_sql(self, compiler, connection, **extra_context):
        parts, params = [], []
        for expression in self.get_source_expressions():
            sql, expression_params = compiler.compile(expression)
            parts.append(sql)
            params.extend(expression_params)
        half = len(parts) // 2
        left, right = ", ".join(parts[:half]), ", ".join(parts[half:])
        return f"({left}) {self.operator} ({right})", params


def cursor_encode(values: list[Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(values).encode()).decode().rstrip("=")


def cursor_decode(text: str) -> list[Any] | None:
    """The values of a cursor, or None for anything that is not one (it is user input)."""
    try:
        values = json.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))
    except (ValueError, binascii.Error):
        return None
    if not isinstance(values, list) or not values:
        return None
    if not all(isinstance(value, str | int) and not isinstance(value, bool) for value in values):
        return None
    return values


def _fits(cursor: list[Any], names: list[str]) -> bool:
    """A cursor for this order: one value per key, the rank a number, the rest text."""
    return len(cursor) == len(names) and all(
        isinstance(value, int) if name == "severity_rank" else isinstance(value, str)
        for value, name in zip(cursor, names, strict=True)
    )


@dataclass
class KeysetPage:
    """One page of findings, and the cursors of the pages on either side."""

    rows: list[Finding]
    count: int
    number: int
    size: int = PAGE_SIZE
    next_cursor: str = ""
    previous_cursor: str = ""

    def __iter__(self):
        return iter(self.rows)

    def __len__(self) -> int:
        return len(self.rows)

    @property
    def num_pages(self) -> int:
        return max(1, -(-self.count // self.size))

    @property
    def has_next(self) -> bool:
        return bool(self.next_cursor)

    @property
    def has_previous(self) -> bool:
        return bool(self.previous_cursor) or self.number > 1

    @property
    def has_other_pages(self) -> bool:
        return self.has_next or self.has_previous

    @property
    def start_index(self) -> int:
        return (self.number - 1) * self.size + 1 if self.rows else 0

    @property
    def end_index(self) -> int:
        return self.start_index + len(self.rows) - 1 if self.rows else 0


def keyset_page(
    findings: QuerySet[Finding],
    *,
    count: int,
    after: list[Any] | None = None,
    before: list[Any] | None = None,
    number: int = 1,
    size: int = PAGE_SIZE,
) -> KeysetPage:
    """The page after (or before) a cursor of `findings` in their order; without a cursor,
    page `number` (an OFFSET, for links made before cursors)."""
    order = [str(key) for key in findings.query.order_by]
    names = [key.lstrip("-") for key in order]
    descending = order[0].startswith("-")
    cursor = before if before is not None else after
    if cursor is not None and not _fits(cursor, names):
        cursor = after = before = None
    if cursor is not None:
        forward = before is None
        operator = ">" if forward != descending else "<"
        selected = findings.filter(RowCompare([F(name) for name in names], cursor, operator))
        if not forward:
            selected = selected.reverse()
        rows = list(selected[: size + 1])
        more = len(rows) > size
        rows = rows[:size]
        if not forward:
            rows.reverse()
    else:
        number = max(1, number)
        rows = list(findings[(number - 1) * size : number * size + 1])
        more = len(rows) > size
        rows = rows[:size]
    number = max(1, number)
    page = KeysetPage(rows=rows, count=count, number=number, size=size)
    if rows:
        first = cursor_encode([getattr(rows[0], name) for name in names])
        last = cursor_encode([getattr(rows[-1], name) for name in names])
        going_back = before is not None
        page.next_cursor = last if (more or going_back) else ""
        page.previous_cursor = first if (number > 1 and (more or not going_back)) else ""
    return page


def page_findings(scan: Scan, filters: dict[str, Any], counts: ScanCounts) -> QuerySet[Finding]:
    """finding_list for the page, with a title search and a compliance section answered by
    the rules' stored titles and mappings: the rows are then found through the rule id's
    index rather than by reading every title and mapping."""
    rule_ids = counts.rule_ids_matching()
    if rule_ids is None:
        return finding_list(scan=scan, **filters, mutes=counts.mutes)
    if filters.get("rule_ids"):
        rule_ids = [rule_id for rule_id in rule_ids if rule_id in filters["rule_ids"]]
    if not rule_ids:
        return Finding.objects.none()
    narrowed = {**filters, "search": "", "section": "", "rule_ids": rule_ids}
    return finding_list(scan=scan, **narrowed, mutes=counts.mutes)


def rule_findings(
    scan: Scan, filters: dict[str, Any], counts: ScanCounts, *, rule_id: str
) -> list[Finding]:
    """The first RULE_ROWS findings of one rule under the page's filters, by resource."""
    narrowed = {**filters, "rule_ids": [rule_id], "sort": ""}
    return list(page_findings(scan, narrowed, counts)[:RULE_ROWS])


@dataclass
class ResourceRow:
    """One resource and the findings of it that match the filters, most severe first."""

    resource_hash: str
    resource_type: str
    region: str
    count: int
    worst: str
    findings: list[Finding] = field(default_factory=list)

    @property
    def key(self) -> str:
        return f"{self.resource_hash}|{self.resource_type}|{self.region}"


RESOURCE_KEY = ("resource_hash", "resource_type", "region")


def resource_page(
    findings: QuerySet[Finding], *, number: int = 1, size: int = PAGE_SIZE
) -> tuple[list[ResourceRow], bool]:
    """Resources with findings under the filters, worst severity first, then the most
    findings; and whether another page follows. Two queries: the page of resources, then
    their findings. COUNT(*), not of a column, so that finding_resource_order serves the
    grouping alone."""
    number = max(1, number)
    grouped = (
        findings.order_by()
        .values(*RESOURCE_KEY)
        .annotate(count=Count("*"), worst=Min(Severity.rank_expression()))
        .order_by("worst", "-count", "resource_type", "region", "resource_hash")
    )
    rows = list(grouped[(number - 1) * size : number * size + 1])
    more = len(rows) > size
    resources = {
        tuple(row[name] for name in RESOURCE_KEY): ResourceRow(
            **{name: row[name] for name in RESOURCE_KEY},
            count=row["count"],
            worst=Severity.values[row["worst"]],
        )
        for row in rows[:size]
    }
    if resources:
        details = (
            findings.filter(resource_hash__in=sorted({key[0] for key in resources}))
            .annotate(severity_rank=Severity.rank_expression())
            .order_by("severity_rank", "rule_id")
            .only("id", "rule_id", "title", "severity", "status", *RESOURCE_KEY)
        )
        for finding in details:
            resource = resources.get(tuple(getattr(finding, name) for name in RESOURCE_KEY))
            if resource is not None:
                resource.findings.append(finding)
    return list(resources.values()), more


def selection_findings(
    scan: Scan,
    filters: dict[str, Any],
    *,
    finding_ids: list[int],
    rule_ids: list[str],
    resources: list[tuple[str, str, str]],
) -> QuerySet[Finding]:
    """The findings a page selection stands for, under the page's filters: the findings
    ticked one by one, every finding of a ticked rule, every finding of a ticked resource."""
    chosen = Q(id__in=finding_ids) if finding_ids else Q(pk__in=[])
    if rule_ids:
        chosen |= Q(rule_id__in=rule_ids)
    for resource_hash, resource_type, region in resources:
        chosen |= Q(resource_hash=resource_hash, resource_type=resource_type, region=region)
    return finding_list(scan=scan, **{**filters, "sort": ""}).filter(chosen)
