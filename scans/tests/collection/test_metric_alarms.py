"""The CIS section-4 data on the trails roll-up: a multi-region trail's log group, its metric
filters, the alarms on their metrics and the topics' subscriptions, read with moto and judged by
the monitoring rules."""

import boto3
import pytest

from rules.engine import evaluate
from rules.loading import load_catalog
from scans.collection.collectors import REGISTRY
from scans.collection.context import CollectContext, Denied
from scans.collection.inventory import AccountContext
from scans.collection.metric_alarms import log_group_of

ACCOUNT_ID = "123456789012"
REGION = "eu-west-1"
ROOT_PATTERN = (
    '{ $.userIdentity.type = "Root" && $.userIdentity.invokedBy NOT EXISTS && '
    '$.eventType != "AwsServiceEvent" }'
)
LOG_GROUP = "trail-events"


def make_ctx() -> CollectContext:
    return CollectContext(
        session=boto3.Session(), account=AccountContext(ACCOUNT_ID), region="global"
    )


def roll_up(ctx: CollectContext | None = None):
    resources = REGISTRY["cloudtrail.trails"].collect(ctx or make_ctx())
    return next(r for r in resources if r.type == "AWS::CloudTrail::AccountTrails")


def statuses(resource) -> dict[str, str]:
    return {
        evaluation.rule.id: evaluation.result.status
        for evaluation in evaluate(load_catalog(), [resource])
        if evaluation.rule.evaluator == "cis_metric_filter_alarm"
    }


@pytest.fixture
def monitored_trail(aws) -> str:
    """A logging multi-region trail delivering to a CloudWatch Logs group; returns the group ARN."""
    boto3.client("s3", region_name="us-east-1").create_bucket(Bucket="trail-logs")
    logs = boto3.client("logs", region_name=REGION)
    logs.create_log_group(logGroupName=LOG_GROUP)
    group_arn = f"arn:aws:logs:{REGION}:{ACCOUNT_ID}:log-group:{LOG_GROUP}:*"
    cloudtrail = boto3.client("cloudtrail", region_name=REGION)
    cloudtrail.create_trail(
        Name="main",
        S3BucketName="trail-logs",
        IsMultiRegionTrail=True,
        CloudWatchLogsLogGroupArn=group_arn,
        CloudWatchLogsRoleArn=f"arn:aws:iam::{ACCOUNT_ID}:role/trail-to-logs",
    )
    cloudtrail.start_logging(Name="main")
    cloudtrail.put_event_selectors(
        TrailName="main",
        EventSelectors=[{"ReadWriteType": "All", "IncludeManagementEvents": True}],
    )
    return group_arn


def watch(pattern: str, *, subscribe: bool) -> None:
    boto3.client("logs", region_name=REGION).put_metric_filter(
        logGroupName=LOG_GROUP,
        filterName="root-usage",
        filterPattern=pattern,
        metricTransformations=[
            {"metricName": "RootUsage", "metricNamespace": "CISBenchmark", "metricValue": "1"}
        ],
    )
    sns = boto3.client("sns", region_name=REGION)
    topic = sns.create_topic(Name="security-alerts")["TopicArn"]
    if subscribe:
        queue = boto3.client("sqs", region_name=REGION).create_queue(QueueName="alerts")
        queue_arn = f"arn:aws:sqs:{REGION}:{ACCOUNT_ID}:alerts"
        assert queue["QueueUrl"]
        sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn)
    boto3.client("cloudwatch", region_name=REGION).put_metric_alarm(
        AlarmName="root-usage",
        MetricName="RootUsage",
        Namespace="CISBenchmark",
        Statistic="Sum",
        Period=300,
        Threshold=1,
        ComparisonOperator="GreaterThanOrEqualToThreshold",
        EvaluationPeriods=1,
        AlarmActions=[topic],
    )


def test_a_subscribed_alarm_on_the_root_filter_passes_that_rule_only(monitored_trail):
    watch(ROOT_PATTERN, subscribe=True)

    account = roll_up()

    assert account.data["MonitoredLogGroups"] == 1
    assert account.data["MetricFilterAlarms"] == [
        {"Pattern": ROOT_PATTERN, "Alarmed": True, "Subscribed": True}
    ]
    found = statuses(account)
    assert found.pop("CLOUDWATCH_ALARM_ROOT_USAGE") == "PASS"
    assert set(found.values()) == {"FAIL"}
    assert len(found) == 14


def test_an_alarm_nobody_subscribed_to_fails(monitored_trail):
    watch(ROOT_PATTERN, subscribe=False)

    account = roll_up()

    assert account.data["MetricFilterAlarms"][0]["Subscribed"] is False
    assert statuses(account)["CLOUDWATCH_ALARM_ROOT_USAGE"] == "FAIL"


def test_a_trail_without_a_log_group_monitors_nothing(aws):
    boto3.client("s3", region_name="us-east-1").create_bucket(Bucket="trail-logs")
    cloudtrail = boto3.client("cloudtrail", region_name=REGION)
    cloudtrail.create_trail(Name="main", S3BucketName="trail-logs", IsMultiRegionTrail=True)
    cloudtrail.start_logging(Name="main")

    account = roll_up()

    assert (account.data["MonitoredLogGroups"], account.data["MetricFilterAlarms"]) == (0, [])
    assert set(statuses(account).values()) == {"FAIL"}


def test_denied_metric_filters_leave_the_rules_not_evaluated(monitored_trail, monkeypatch):
    ctx = make_ctx()
    original = ctx.paginate

    def paginate(service, operation, *args, **kwargs):
        if operation == "describe_metric_filters":
            raise Denied("logs:DescribeMetricFilters", "missing permission")
        return original(service, operation, *args, **kwargs)

    monkeypatch.setattr(ctx, "paginate", paginate)
    account = roll_up(ctx)

    assert "MetricFilterAlarms" in account.missing
    assert set(statuses(account).values()) == {"NOT_EVALUATED"}


def test_log_group_of_reads_region_and_name():
    arn = f"arn:aws:logs:{REGION}:{ACCOUNT_ID}:log-group:{LOG_GROUP}:*"
    assert log_group_of(arn) == (REGION, LOG_GROUP)
    assert log_group_of("not-an-arn") is None
