"""IAM account-wide settings (the global part of a scan)."""

import boto3

from scans.aws import GLOBAL_API_REGION, client
from scans.collectors import register
from scans.inventory import GLOBAL_REGION, AccountContext, Resource


@register(
    "iam.account_summary",
    service="iam",
    scope="global",
    permissions=("iam:GetAccountSummary",),
)
def collect_account_summary(
    session: boto3.Session, region: str, account: AccountContext
) -> list[Resource]:
    summary = client(session, "iam", GLOBAL_API_REGION).get_account_summary()["SummaryMap"]
    return [
        Resource(
            type="AWS::IAM::AccountSummary",
            # The root user's ARN stands for the account-level IAM settings.
            arn=f"arn:{account.partition}:iam::{account.account_id}:root",
            region=GLOBAL_REGION,
            data={"SummaryMap": summary},
        )
    ]
