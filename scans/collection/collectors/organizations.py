"""AWS Organizations: whether the account belongs to an organization, and which.

ARN forms: the organization's own ARN; an account outside any organization uses
`arn:PARTITION:organizations::ACCOUNT:organization/none`.
"""

from botocore.exceptions import ClientError

from scans.collection.aws import error_code
from scans.collection.collectors import register
from scans.collection.context import CollectContext
from securescope.resources import Resource


@register(
    "organizations.organization",
    service="organizations",
    scope="global",
    resource_types={
        "AWS::Organizations::Organization": (
            "the organization's ARN, or `arn:aws:organizations::ACCOUNT:organization/none`"
        ),
    },
    permissions=("organizations:DescribeOrganization",),
)
def collect_organization(ctx: CollectContext) -> list[Resource]:
    try:
        organization = ctx.call("organizations", "describe_organization")["Organization"]
    except ClientError as error:
        if error_code(error) != "AWSOrganizationsNotInUseException":
            raise
        return [
            ctx.resource(
                "AWS::Organizations::Organization",
                f"arn:{ctx.account.partition}:organizations::{ctx.account.account_id}"
                ":organization/none",
                {"InOrganization": False},
            )
        ]
    return [
        ctx.resource(
            "AWS::Organizations::Organization",
            organization["Arn"],
            {**organization, "InOrganization": True},
        )
    ]
