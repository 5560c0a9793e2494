"""Geometry of the pages' charts, which templates draw as inline SVG: no script, no library, no
asset from elsewhere. Each chart is a viewBox of fixed units that CSS scales to its column, so a
phone shows the whole chart rather than a scrollbar; every mark carries its number as text or a
<title>, and the bars link to the findings they count.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from findings.compliance import RequirementStatus, StatusCounts
from securescope.severity import Severity

# Width of a chart's drawing area in viewBox units, after the labels' column (as wide as its
# longest label needs, at about 7 units a character, up to LABEL_WIDTH).
BAR_AREA = 300
LABEL_WIDTH = 200
CHARACTER_WIDTH = 7
ROW_HEIGHT = 26
BAR_HEIGHT = 18
TREND_HEIGHT = 120
TREND_LEFT = 34
TREND_BOTTOM = 22
# A requirement's status and the finding status its drill-down link filters on.
REQUIREMENT_PARTS = (
    (RequirementStatus.PASS, "PASS"),
    (RequirementStatus.FAIL, "FAIL"),
    (RequirementStatus.NOT_EVALUATED, "NOT_EVALUATED"),
    (RequirementStatus.MANUAL, ""),
)


@dataclass(frozen=True)
class Segment:
    key: str
    label: str
    count: int
    x: float
    width: float
    # The finding status a link to the findings filters on ("" for none).
    status: str = ""


@dataclass
class BarRow:
    label: str
    y: int
    segments: list[Segment] = field(default_factory=list)
    value: Any = None
    item: Any = None
    start: int = LABEL_WIDTH

    @property
    def text_y(self) -> int:
        return self.y + BAR_HEIGHT - 5

    @property
    def end(self) -> float:
        return self.start + sum(segment.width for segment in self.segments)


@dataclass
class BarChart:
    rows: list[BarRow]
    label_width: int = LABEL_WIDTH
    bar_height: int = BAR_HEIGHT

    @property
    def height(self) -> int:
        return max(len(self.rows), 1) * ROW_HEIGHT

    @property
    def width(self) -> int:
        return self.label_width + BAR_AREA + 80


def label_width(labels: Iterable[str]) -> int:
    return min(LABEL_WIDTH, CHARACTER_WIDTH * max((len(label) for label in labels), default=0) + 10)


def stacked(
    parts: Iterable[tuple[str, str, int, str]], *, scale: float, start: int = LABEL_WIDTH
) -> list[Segment]:
    """(key, label, count, status) parts laid end to end from `start`, `scale` units per count."""
    segments, x = [], float(start)
    for key, label, count, status in parts:
        if count:
            width = round(count * scale, 2)
            segments.append(Segment(key, label, count, round(x, 2), width, status))
            x += width
    return segments


def requirement_bars(sections: Sequence[StatusCounts], labels: Sequence[str]) -> BarChart:
    """One bar per section: its requirements by status, each part as long as its count."""
    largest = max((len(section.requirements) for section in sections), default=0) or 1
    rows = []
    for index, (section, label) in enumerate(zip(sections, labels, strict=True)):
        counts = section.counts
        parts = [(s.value, s.label, counts[s], finding) for s, finding in REQUIREMENT_PARTS]
        rows.append(
            BarRow(
                label,
                index * ROW_HEIGHT,
                stacked(parts, scale=BAR_AREA / largest),
                value=section.percent,
                item=section,
            )
        )
    return BarChart(rows)


def value_bars(values: Sequence[tuple[str, int, Any]], *, key: str = "") -> BarChart:
    """One plain bar per (label, value, item), as long as its share of the largest value;
    `key` colours them (a severity, "percent")."""
    largest = max((value for _, value, _ in values), default=0) or 1
    start = label_width(label for label, _, _ in values)
    rows = [
        BarRow(
            label,
            index * ROW_HEIGHT,
            stacked([(key or label, label, value, "")], scale=BAR_AREA / largest, start=start),
            value=value,
            item=item,
            start=start,
        )
        for index, (label, value, item) in enumerate(values)
    ]
    return BarChart(rows, label_width=start)


@dataclass
class TrendColumn:
    when: datetime
    x: float
    width: float
    total: int
    # (severity, count, y, height), the most severe on top.
    stacks: list[tuple[str, int, float, float]]
    item: Any = None


@dataclass
class TrendChart:
    columns: list[TrendColumn]
    largest: int
    height: int = TREND_HEIGHT
    left: int = TREND_LEFT
    bottom: int = TREND_BOTTOM

    @property
    def width(self) -> int:
        return TREND_LEFT + BAR_AREA + 10

    @property
    def base(self) -> int:
        return TREND_HEIGHT - TREND_BOTTOM

    @property
    def axis_end(self) -> int:
        return TREND_LEFT + BAR_AREA


def severity_trend(points: Sequence[tuple[Any, datetime, dict[str, int]]]) -> TrendChart:
    """One column per (item, time, failing by severity), oldest first, severities stacked."""
    largest = max((sum(counts.values()) for _, _, counts in points), default=0) or 1
    drawable = TREND_HEIGHT - TREND_BOTTOM - 8
    slot = BAR_AREA / max(len(points), 1)
    columns = []
    for index, (item, when, counts) in enumerate(points):
        stacks, y = [], float(TREND_HEIGHT - TREND_BOTTOM)
        for severity in reversed(Severity.values):
            count = counts.get(severity, 0)
            if count:
                height = round(drawable * count / largest, 2)
                y = round(y - height, 2)
                stacks.append((severity, count, y, height))
        columns.append(
            TrendColumn(
                when=when,
                x=round(TREND_LEFT + index * slot + slot * 0.15, 2),
                width=round(slot * 0.7, 2),
                total=sum(counts.values()),
                stacks=stacks,
                item=item,
            )
        )
    return TrendChart(columns, largest)


def section_chart(sections: Sequence[Any]) -> BarChart:
    """A framework's sections ("1 Identity and Access Management"), one bar each."""
    return requirement_bars(
        sections, [f"{s.number} {s.title}".strip() if s.title else s.number for s in sections]
    )


def region_charts(units: Sequence[Any], failing: dict[str, int]) -> dict[str, BarChart]:
    """The scan page's two charts: each unit's duration in seconds, and its failing findings."""
    durations = [
        (unit.region, round((unit.finished_at - unit.started_at).total_seconds()), unit.region)
        for unit in units
        if unit.started_at and unit.finished_at
    ]
    return {
        "duration": value_bars(durations),
        "failing": value_bars(
            [(unit.region, failing.get(unit.region, 0), unit.region) for unit in units]
        ),
    }
