"""Security Hub: whether the region's hub is enabled, and which standards it runs.

AWS answers DescribeHub with InvalidAccessException when the account has not enabled Security
Hub in the region. That is the answer the rule needs (not enabled), not a failure to collect.
"""

from typing import Any

from botocore.exceptions import ClientError

from scans.collection.aws import error_code
from scans.collection.collectors import register
from scans.collection.context import CollectContext, CollectionError
from securescope.resources import Resource

PAGE_SIZE = 100
NOT_ENABLED_ERROR_CODE = "InvalidAccessException"


@register(
    "securityhub.hub",
    service="securityhub",
    scope="region",
    resource_types={
        "AWS::SecurityHub::Hub": "`arn:aws:securityhub:REGION:ACCOUNT:hub/default`",
    },
    permissions=("securityhub:DescribeHub", "securityhub:GetEnabledStandards"),
)
def collect_hub(ctx: CollectContext) -> list[Resource]:
    # The same ARN whether enabled or not, so both states are findings on one resource.
    arn = ctx.arn("securityhub", "hub/default")
    try:
        hub = ctx.call("securityhub", "describe_hub")
    except ClientError as error:
        if error_code(error) != NOT_ENABLED_ERROR_CODE:
            raise
        return [ctx.resource("AWS::SecurityHub::Hub", arn, {"Enabled": False})]
    data: dict[str, Any] = {
        "Enabled": True,
        **{key: value for key, value in hub.items() if key != "ResponseMetadata"},
    }
    missing: dict[str, str] = {}
    try:
        data["StandardsSubscriptions"] = ctx.paginate(
            "securityhub",
            "get_enabled_standards",
            "StandardsSubscriptions",
            PaginationConfig={"PageSize": PAGE_SIZE},
        )
    except CollectionError as error:
        missing["StandardsSubscriptions"] = error.summary
    return [ctx.resource("AWS::SecurityHub::Hub", arn, data, missing=missing)]
