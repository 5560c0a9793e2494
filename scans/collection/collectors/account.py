"""AWS Account Management: whether a security alternate contact is registered.

Only the fact is kept, never the contact's name, address or phone number. An account without
one answers ResourceNotFoundException: that is the finding, not a failure to collect.

ARN form: `arn:PARTITION:account::ACCOUNT:alternate-contact/security`.
"""

from botocore.exceptions import ClientError

from scans.collection.aws import error_code
from scans.collection.collectors import register
from scans.collection.context import CollectContext
from securescope.resources import Resource

NOT_REGISTERED_CODE = "ResourceNotFoundException"


@register(
    "account.security_contact",
    service="account",
    scope="global",
    resource_types={
        "AWS::Account::SecurityContact": "`arn:aws:account::ACCOUNT:alternate-contact/security`",
    },
    permissions=("account:GetAlternateContact",),
)
def collect_security_contact(ctx: CollectContext) -> list[Resource]:
    try:
        ctx.call("account", "get_alternate_contact", AlternateContactType="SECURITY")
    except ClientError as error:
        if error_code(error) != NOT_REGISTERED_CODE:
            raise
        registered = False
    else:
        registered = True
    arn = (
        f"arn:{ctx.account.partition}:account::{ctx.account.account_id}:alternate-contact/security"
    )
    return [ctx.resource("AWS::Account::SecurityContact", arn, {"Registered": registered})]
