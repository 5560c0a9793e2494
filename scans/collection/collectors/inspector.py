"""Amazon Inspector: which scan kinds are enabled for the account in the region.

ARN form: `arn:PARTITION:inspector2:REGION:ACCOUNT:account-status` (a region's setting).
"""

from scans.collection import inspector_calls
from scans.collection.collectors import register
from scans.collection.context import CollectContext
from securescope.resources import Resource


@register(
    "inspector2.account_status",
    service="inspector2",
    scope="region",
    resource_types={
        "AWS::Inspector2::AccountStatus": (
            "`arn:aws:inspector2:REGION:ACCOUNT:account-status` (a region's setting)"
        ),
    },
    permissions=("inspector2:BatchGetAccountStatus",),
)
def collect_account_status(ctx: CollectContext) -> list[Resource]:
    return [
        ctx.resource(
            "AWS::Inspector2::AccountStatus",
            ctx.arn("inspector2", "account-status"),
            {"ResourceState": inspector_calls.account_resource_state(ctx)},
        )
    ]
