"""The charts' geometry: bars as long as their share, parts end to end, trend stacks."""

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

from findings.charts import (
    BAR_AREA,
    LABEL_WIDTH,
    region_charts,
    requirement_bars,
    severity_trend,
    stacked,
    value_bars,
)
from findings.compliance import RequirementResult, SectionScore

NOW = datetime(2026, 12, 1, tzinfo=UTC)


def test_parts_lie_end_to_end_and_empty_parts_draw_nothing():
    parts = stacked(
        [("PASS", "pass", 3, "PASS"), ("FAIL", "fail", 0, "FAIL"), ("MANUAL", "manual", 1, "")],
        scale=10,
    )
    assert [(p.key, p.x, p.width) for p in parts] == [
        ("PASS", LABEL_WIDTH, 30),
        ("MANUAL", LABEL_WIDTH + 30, 10),
    ]


def test_value_bars_scale_to_the_largest():
    chart = value_bars([("high", 4, "high"), ("low", 1, "low"), ("info", 0, "info")])
    assert [row.segments[0].width if row.segments else 0 for row in chart.rows] == [
        BAR_AREA,
        BAR_AREA / 4,
        0,
    ]
    assert [row.y for row in chart.rows] == [0, 26, 52]


def test_requirement_bars_count_each_status_of_a_section():
    section = SectionScore(
        [
            RequirementResult("1.1", "", 1),
            RequirementResult(
                "1.2", "", 1, rule_ids=["R"], counts={"PASS": 2, "FAIL": 1, "NOT_EVALUATED": 0}
            ),
            RequirementResult(
                "1.3", "", 1, rule_ids=["S"], counts={"PASS": 5, "FAIL": 0, "NOT_EVALUATED": 0}
            ),
        ],
        number="1",
        title="Identity",
    )
    (row,) = requirement_bars([section], ["1 Identity"]).rows
    assert [(part.key, part.count, part.status) for part in row.segments] == [
        ("PASS", 1, "PASS"),
        ("FAIL", 1, "FAIL"),
        ("MANUAL", 1, ""),
    ]
    assert row.value == 50


def test_trend_stacks_severities_with_the_most_severe_on_top():
    chart = severity_trend(
        [("a", NOW - timedelta(days=1), {"critical": 1, "low": 3}), ("b", NOW, {"high": 2})]
    )
    first, second = chart.columns
    assert chart.largest == 4
    assert [severity for severity, *_ in first.stacks] == ["low", "critical"]
    low, critical = first.stacks
    assert critical[2] + critical[3] == low[2], "critical sits right on top of low"
    assert first.x < second.x
    assert (first.total, second.total) == (4, 2)


def test_region_charts_leave_out_units_that_never_ran():
    units = [
        SimpleNamespace(
            region="eu-west-1", started_at=NOW, finished_at=NOW + timedelta(seconds=42)
        ),
        SimpleNamespace(region="us-east-1", started_at=None, finished_at=None),
    ]
    charts = region_charts(units, {"eu-west-1": 3})
    assert [(row.label, row.value) for row in charts["duration"].rows] == [("eu-west-1", 42)]
    assert [(row.label, row.value) for row in charts["failing"].rows] == [
        ("eu-west-1", 3),
        ("us-east-1", 0),
    ]
