"""CloudTrail: the account's trails and a roll-up that answers "is the account covered?".

Trails are listed from us-east-1 with shadow trails included: a multi-region trail shows up in
every region, so one listing finds all of them wherever their home region is (single-region
trails homed elsewhere are the only ones it misses). Status and event selectors are read in the
trail's home region, where they are always answered.

ARN forms: trails use their TrailARN; the account roll-up uses
`arn:PARTITION:cloudtrail::ACCOUNT:trails`.
"""

from typing import Any

from botocore.exceptions import ClientError
from django.conf import settings

from scans.aws import error_code
from scans.collectors import register
from scans.collectors.context import CollectContext, Denied, Unavailable
from scans.inventory import Resource


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
    }


@register(
    "cloudtrail.trails",
    service="cloudtrail",
    scope="global",
    resource_types=("AWS::CloudTrail::Trail", "AWS::CloudTrail::AccountTrails"),
    permissions=(
        "cloudtrail:DescribeTrails",
        "cloudtrail:GetTrailStatus",
        "cloudtrail:GetEventSelectors",
    ),
)
def collect_trails(ctx: CollectContext) -> list[Resource]:
    trails = ctx.call("cloudtrail", "describe_trails", includeShadowTrails=True)["trailList"]
    unique = list({trail["TrailARN"]: trail for trail in trails}.values())
    resources = []
    for trail in ctx.capped(unique, cap=settings.SCAN_PER_ITEM_CALL_CAP, what="trails"):
        arn = trail["TrailARN"]
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
        }
        if missing:
            data["_missing"] = missing
        resources.append(ctx.resource("AWS::CloudTrail::Trail", arn, data))
    resources.append(
        ctx.resource(
            "AWS::CloudTrail::AccountTrails",
            f"arn:{ctx.account.partition}:cloudtrail::{ctx.account.account_id}:trails",
            {"Trails": [_summary(resource.data) for resource in resources]},
        )
    )
    return resources
