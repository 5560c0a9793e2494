"""The CIS section-4 rules' own fix passes them: the filter pattern each rule's CLI step puts
on the log group holds every term the rule requires."""

import shlex

import pytest

from rules.evaluators import REGISTRY
from rules.loading import load_catalog
from securescope.resources import Resource

MONITORING_RULES = [
    rule for rule in load_catalog().rules if rule.evaluator == "cis_metric_filter_alarm"
]


def _cli_pattern(cli: str) -> str:
    words = shlex.split(cli.replace("\\\n", " "))
    return words[words.index("--filter-pattern") + 1]


def test_every_cis_monitoring_item_has_a_rule():
    assert len(MONITORING_RULES) == 15


@pytest.mark.parametrize("rule", MONITORING_RULES, ids=lambda rule: rule.id)
def test_the_curated_filter_pattern_passes_its_rule(rule):
    data = {
        "MonitoredLogGroups": 1,
        "MetricFilterAlarms": [
            {"Pattern": _cli_pattern(rule.remediation.cli), "Alarmed": True, "Subscribed": True}
        ],
    }
    resource = Resource(rule.resource_type, "arn:aws:cloudtrail::123456789012:trails", "", data)
    result = REGISTRY[rule.evaluator](resource, params=rule.params)
    assert result.status == "PASS", result.evidence
