"""CloudTrail: the account's trails and a roll-up that answers "is the account covered?".

`ListTrails` names every trail of the account with its home region, whichever region it is
asked in; each trail is then described, and its status and event selectors read, in its home
region, where they are always answered. A multi-region trail is listed once, so it is counted
once, not once per region it logs.

Each trail also carries `S3DataEvents` (whether its selectors log S3 object reads and writes
of every bucket) and `TrailBucket`: what decides whether its log bucket is public, and whether
that bucket has server access logging, read with the same calls as the s3.buckets collector
(`scans/collection/s3_calls.py`). A bucket the account does not own leaves `TrailBucket` None.

The roll-up also carries `MetricFilterAlarms`: the metric filters of the log groups of the trails
CIS section 4 judges (multi-region, logging every management event, delivering to CloudWatch
Logs), each with whether an alarm watches it and notifies a subscribed topic
(`scans/collection/metric_alarms.py`).

ARN forms: trails use their TrailARN; the account roll-up uses
`arn:PARTITION:cloudtrail::ACCOUNT:trails`.
"""

import re
from typing import Any

from botocore.exceptions import ClientError
from django.conf import settings

from scans.collection import metric_alarms, s3_calls
from scans.collection.aws import error_code
from scans.collection.collectors import register
from scans.collection.context import CollectContext, Denied, Unavailable
from securescope.resources import Resource

S3_OBJECT = "AWS::S3::Object"


def _sub_call(
    ctx: CollectContext,
    operation: str,
    trail: dict[str, Any],
    missing: dict[str, str],
    field: str,
    **params: Any,
) -> dict[str, Any] | None:
    try:
        response = ctx.call("cloudtrail", operation, region=trail.get("HomeRegion"), **params)
    except (Denied, Unavailable) as error:
        missing[field] = error.summary
        return None
    except ClientError as error:
        # An organization trail seen from a member account, or a trail deleted meanwhile.
        if error_code(error) != "TrailNotFoundException":
            raise
        missing[field] = f"trail not found: {operation}"
        return None
    return {key: value for key, value in response.items() if key != "ResponseMetadata"}


def logs_all_management_events(selectors: dict[str, Any] | None) -> bool | None:
    """Read and write management events logged; None when the selectors could not be read."""
    if selectors is None:
        return None
    for selector in selectors.get("EventSelectors") or []:
        if selector.get("IncludeManagementEvents") and selector.get("ReadWriteType") == "All":
            return True
    for selector in selectors.get("AdvancedEventSelectors") or []:
        fields = {item.get("Field"): item for item in selector.get("FieldSelectors", [])}
        category = fields.get("eventCategory", {})
        # A readOnly field selector narrows the selector to reads or to writes only.
        if category.get("Equals") == ["Management"] and "readOnly" not in fields:
            return True
    return False


def _all_buckets(values: list[str]) -> bool:
    # "arn:aws:s3" (or "arn:aws:s3:::") selects the objects of every bucket, current and future.
    return any(re.fullmatch(r"arn:[\w-]+:s3(:::)?", value) for value in values)


def s3_data_events(selectors: dict[str, Any] | None) -> dict[str, bool] | None:
    """Whether the selectors log S3 object-level reads and writes for every bucket; None when
    they could not be read. Selectors narrowed to some buckets or events do not count."""
    if selectors is None:
        return None
    logged = {"read": False, "write": False}
    for selector in selectors.get("EventSelectors") or []:
        covered = any(
            resource.get("Type") == S3_OBJECT and _all_buckets(resource.get("Values") or [])
            for resource in selector.get("DataResources") or []
        )
        read_write = selector.get("ReadWriteType", "All")
        if covered:
            logged["read"] |= read_write in ("All", "ReadOnly")
            logged["write"] |= read_write in ("All", "WriteOnly")
    for selector in selectors.get("AdvancedEventSelectors") or []:
        fields = {item.get("Field"): item for item in selector.get("FieldSelectors", [])}
        if (
            fields.get("eventCategory", {}).get("Equals") != ["Data"]
            or fields.get("resources.type", {}).get("Equals") != [S3_OBJECT]
            or set(fields) - {"eventCategory", "resources.type", "readOnly"}
        ):
            continue
        read_only = fields.get("readOnly", {}).get("Equals")
        logged["read"] |= read_only in (None, ["true"])
        logged["write"] |= read_only in (None, ["false"])
    return logged


def _summary(data: dict[str, Any]) -> dict[str, Any]:
    status = data.get("Status")
    return {
        "HomeRegion": data.get("HomeRegion"),
        "IsMultiRegionTrail": bool(data.get("IsMultiRegionTrail")),
        "IsOrganizationTrail": bool(data.get("IsOrganizationTrail")),
        "LogFileValidationEnabled": bool(data.get("LogFileValidationEnabled")),
        "KmsKeyIdPresent": bool(data.get("KmsKeyId")),
        "IsLogging": status.get("IsLogging") if status is not None else None,
        "LogsAllManagementEvents": data.get("LogsAllManagementEvents"),
        "S3DataEvents": data.get("S3DataEvents"),
    }


@register(
    "cloudtrail.trails",
    service="cloudtrail",
    scope="global",
    resource_types={
        "AWS::CloudTrail::Trail": "the trail's ARN",
        "AWS::CloudTrail::AccountTrails": (
            "`arn:aws:cloudtrail::ACCOUNT:trails` (the account's trails together)"
        ),
    },
    permissions=(
        "cloudtrail:ListTrails",
        "cloudtrail:DescribeTrails",
        "cloudtrail:GetTrailStatus",
        "cloudtrail:GetEventSelectors",
        "s3:ListAllMyBuckets",
        "s3:GetBucketLocation",
        "s3:GetBucketPolicy",
        "s3:GetBucketPolicyStatus",
        "s3:GetBucketPublicAccessBlock",
        "s3:GetAccountPublicAccessBlock",
        "s3:GetBucketAcl",
        "s3:GetBucketOwnershipControls",
        "s3:GetBucketLogging",
        "logs:DescribeMetricFilters",
        "cloudwatch:DescribeAlarms",
        "sns:ListSubscriptionsByTopic",
    ),
)
def collect_trails(ctx: CollectContext) -> list[Resource]:
    home_regions = {
        trail["TrailARN"]: trail["HomeRegion"]
        for trail in ctx.paginate("cloudtrail", "list_trails", "Trails")
    }
    arns = ctx.capped(sorted(home_regions), cap=settings.SCAN_PER_ITEM_CALL_CAP, what="trails")
    resources = []
    for arn, trail in _described_in_home_regions(ctx, arns, home_regions).items():
        missing: dict[str, str] = {}
        status = _sub_call(ctx, "get_trail_status", trail, missing, "Status", Name=arn)
        selectors = _sub_call(
            ctx, "get_event_selectors", trail, missing, "EventSelectors", TrailName=arn
        )
        data = {
            **trail,
            "Status": status,
            "EventSelectors": (selectors or {}).get("EventSelectors", []),
            "AdvancedEventSelectors": (selectors or {}).get("AdvancedEventSelectors", []),
            "LogsAllManagementEvents": logs_all_management_events(selectors),
            "S3DataEvents": s3_data_events(selectors),
            "TrailBucket": _trail_bucket(ctx, trail.get("S3BucketName"), missing),
        }
        resources.append(ctx.resource("AWS::CloudTrail::Trail", arn, data, missing=missing))
    monitoring_missing: dict[str, str] = {}
    monitored = [resource.data for resource in resources if _monitored(resource.data)]
    try:
        alarms = [
            metric_filter
            for trail in monitored
            for metric_filter in metric_alarms.metric_filter_alarms(
                ctx, trail["CloudWatchLogsLogGroupArn"]
            )
        ]
    except (Denied, Unavailable) as error:
        monitoring_missing["MetricFilterAlarms"] = error.summary
        alarms = []
    resources.append(
        ctx.resource(
            "AWS::CloudTrail::AccountTrails",
            f"arn:{ctx.account.partition}:cloudtrail::{ctx.account.account_id}:trails",
            {
                "Trails": [_summary(resource.data) for resource in resources],
                "MonitoredLogGroups": len(monitored),
                "MetricFilterAlarms": alarms,
            },
            missing=monitoring_missing,
        )
    )
    return resources


def _monitored(trail: dict[str, Any]) -> bool:
    """A trail whose log group CIS section 4 judges: multi-region, logging every management
    event, and delivering to CloudWatch Logs."""
    return bool(
        trail.get("IsMultiRegionTrail")
        and (trail.get("Status") or {}).get("IsLogging")
        and trail.get("LogsAllManagementEvents")
        and trail.get("CloudWatchLogsLogGroupArn")
    )


def _described_in_home_regions(
    ctx: CollectContext, arns: list[str], home_regions: dict[str, str]
) -> dict[str, dict[str, Any]]:
    """Each trail's settings by ARN, from one DescribeTrails per home region.

    A trail deleted since the listing is left out. A refused DescribeTrails refuses the whole
    collector, as a refused listing does: its rules then say why they were not evaluated.
    """
    described: dict[str, dict[str, Any]] = {}
    for region in sorted({home_regions[arn] for arn in arns}):
        homed_here = [arn for arn in arns if home_regions[arn] == region]
        response = ctx.call(
            "cloudtrail", "describe_trails", region=region, trailNameList=homed_here
        )
        # Only the trails asked for: moto ignores trailNameList and adds the shadow trails.
        by_arn = {trail["TrailARN"]: trail for trail in response["trailList"]}
        described.update({arn: by_arn[arn] for arn in homed_here if arn in by_arn})
    return {arn: described[arn] for arn in arns if arn in described}


def _trail_bucket(
    ctx: CollectContext, name: str | None, missing: dict[str, str]
) -> dict[str, Any] | None:
    """What decides whether the trail's log bucket is public, and its access logging; None when
    the bucket is not the account's own (an organization or a log-archive account holds it),
    which its rules report as not evaluated."""
    if not name:
        return None
    try:
        owned = {bucket["Name"] for bucket in ctx.paginate("s3", "list_buckets", "Buckets")}
    except (Denied, Unavailable) as error:
        missing["TrailBucket"] = error.summary
        return None
    if name not in owned:
        return None
    bucket_missing: dict[str, str] = {}
    try:
        region, _ = s3_calls.bucket_region(ctx, name, bucket_missing)
        bucket = s3_calls.exposure_fields(ctx, name, region, bucket_missing)
        logging = s3_calls.bucket_call(
            ctx, "get_bucket_logging", name, region, bucket_missing, "LoggingEnabled"
        )
    except s3_calls.BucketGone:
        return None
    bucket["LoggingEnabled"] = bool((logging or {}).get("LoggingEnabled"))
    missing.update({f"TrailBucket.{field}": reason for field, reason in bucket_missing.items()})
    return bucket
