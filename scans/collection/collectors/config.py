"""AWS Config: the region's recorders, their status and delivery channels, as one setting.

The recorder list decides most of the answer (no recorder means not recording), so only that
call is the collector's listing; a refused status or delivery-channel call is recorded under
`Resource.missing` and leaves the rest usable.
"""

from typing import Any

from scans.collection.collectors import register
from scans.collection.context import CollectContext, CollectionError
from securescope.resources import Resource

# Field in the resource's data, operation, key of the list in the response.
_DETAILS = (
    ("RecorderStatus", "describe_configuration_recorder_status", "ConfigurationRecordersStatus"),
    ("DeliveryChannels", "describe_delivery_channels", "DeliveryChannels"),
)


@register(
    "config.regional_setup",
    service="config",
    scope="region",
    resource_types={
        "AWS::Config::RegionalSetup": "`arn:aws:config:REGION:ACCOUNT:configuration-recorders`",
    },
    permissions=(
        "config:DescribeConfigurationRecorders",
        "config:DescribeConfigurationRecorderStatus",
        "config:DescribeDeliveryChannels",
    ),
)
def collect_regional_setup(ctx: CollectContext) -> list[Resource]:
    recorders = ctx.call("config", "describe_configuration_recorders")
    data: dict[str, Any] = {"ConfigurationRecorders": recorders["ConfigurationRecorders"]}
    missing: dict[str, str] = {}
    for field, operation, key in _DETAILS:
        try:
            data[field] = ctx.call("config", operation)[key]
        except CollectionError as error:
            missing[field] = error.summary
    return [
        ctx.resource(
            "AWS::Config::RegionalSetup",
            ctx.arn("config", "configuration-recorders"),
            data,
            missing=missing,
        )
    ]
