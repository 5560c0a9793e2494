"""What CIS AWS Foundations section 4 asks of a trail's CloudWatch Logs log group: its metric
filters, whether an alarm watches each filter's metric, and whether that alarm notifies an SNS
topic someone has subscribed to.

Alarms are listed once per region and subscriptions once per topic, through the unit's call memo.
Filter patterns are kept in memory for the evaluators only; no finding stores them.
"""

from typing import Any

from scans.collection.context import CollectContext

# SubscriptionArn of a subscription that does not deliver (yet).
UNCONFIRMED = frozenset({"PendingConfirmation", "Deleted"})


def log_group_of(arn: str) -> tuple[str, str] | None:
    """(region, log group name) of a CloudTrail CloudWatchLogsLogGroupArn; None if malformed.

    The ARN reads arn:PARTITION:logs:REGION:ACCOUNT:log-group:NAME:*.
    """
    parts = arn.split(":")
    if len(parts) < 7 or parts[2] != "logs" or parts[5] != "log-group":
        return None
    return parts[3], parts[6]


def _alarms_by_metric(ctx: CollectContext, region: str) -> dict[tuple[str, str], list[dict]]:
    alarms = ctx.paginate("cloudwatch", "describe_alarms", "MetricAlarms", region=region)
    by_metric: dict[tuple[str, str], list[dict]] = {}
    for alarm in alarms:
        key = (alarm.get("Namespace", ""), alarm.get("MetricName", ""))
        by_metric.setdefault(key, []).append(alarm)
    return by_metric


def _topic_subscribed(ctx: CollectContext, topic_arn: str) -> bool:
    parts = topic_arn.split(":")
    if len(parts) < 6 or parts[2] != "sns":
        return False
    subscriptions = ctx.paginate(
        "sns", "list_subscriptions_by_topic", "Subscriptions", region=parts[3], TopicArn=topic_arn
    )
    return any(item.get("SubscriptionArn") not in UNCONFIRMED for item in subscriptions)


def metric_filter_alarms(ctx: CollectContext, log_group_arn: str) -> list[dict[str, Any]]:
    """Each metric filter of the log group: its pattern, whether an alarm watches its metric,
    and whether one such alarm notifies a subscribed SNS topic."""
    located = log_group_of(log_group_arn)
    if located is None:
        return []
    region, name = located
    filters = ctx.paginate(
        "logs", "describe_metric_filters", "metricFilters", region=region, logGroupName=name
    )
    alarms = _alarms_by_metric(ctx, region) if filters else {}
    results = []
    for metric_filter in filters:
        watching = [
            alarm
            for transformation in metric_filter.get("metricTransformations") or []
            for alarm in alarms.get(
                (transformation.get("metricNamespace", ""), transformation.get("metricName", "")),
                [],
            )
        ]
        topics = sorted(
            {
                action
                for alarm in watching
                for action in alarm.get("AlarmActions") or []
                if action.split(":")[2:3] == ["sns"]
            }
        )
        results.append(
            {
                "Pattern": metric_filter.get("filterPattern", ""),
                "Alarmed": bool(watching),
                "Subscribed": any(_topic_subscribed(ctx, topic) for topic in topics),
            }
        )
    return results
