"""CIS AWS Foundations section 4: a log metric filter, an alarm on its metric and a subscribed
SNS topic for each kind of event, on the log group of a multi-region trail that logs every
management event.

A filter matches when its pattern holds every required term. Patterns are compared without
whitespace or double quotes, so `$.eventName = "CreateTrail"` and `$.eventName=CreateTrail`
are one term; a filter may watch more than CIS asks (a wider pattern still raises the alarm).
"""

import re

from rules.evaluators import Result, evaluator, missing_data
from rules.params import Param, list_of
from securescope.resources import Resource

TERM = Param(str, lambda value: None if value.strip() else "must not be blank")
_IGNORED = re.compile(r'[\s"]')


def _normalized(pattern: str) -> str:
    return _IGNORED.sub("", pattern)


@evaluator(
    "cis_metric_filter_alarm",
    params={"required_terms": list_of(TERM)},
    required=("required_terms",),
)
def cis_metric_filter_alarm(resource: Resource, *, params: dict) -> Result:
    """PASS when a filter holding every required term has an alarm that notifies a topic with
    a confirmed subscription; otherwise FAIL, with how far the best filter got."""
    if (result := missing_data(resource, "MetricFilterAlarms")) is not None:
        return result
    terms = [_normalized(term) for term in params["required_terms"]]
    matching = [
        metric_filter
        for metric_filter in resource.data.get("MetricFilterAlarms") or []
        if all(term in _normalized(metric_filter.get("Pattern", "")) for term in terms)
    ]
    alarmed = [metric_filter for metric_filter in matching if metric_filter.get("Alarmed")]
    subscribed = [metric_filter for metric_filter in alarmed if metric_filter.get("Subscribed")]
    evidence = {
        "monitored_log_groups": resource.data.get("MonitoredLogGroups", 0),
        "matching_filters": len(matching),
        "filters_with_alarm": len(alarmed),
        "alarms_notifying_subscribers": len(subscribed),
    }
    return Result("PASS" if subscribed else "FAIL", evidence)
