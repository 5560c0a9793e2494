"""The member accounts of an AWS organization, as its management account (or a delegated
administrator) lists them."""

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from scans.collection.aws import (
    GLOBAL_API_REGION,
    CredentialsRejected,
    error_code,
    is_access_denied,
    new_client,
)

# Suspended accounts and accounts being closed cannot be scanned; AWS lists them all the same.
ACTIVE = "ACTIVE"
NOT_IN_ORGANIZATION = "AWSOrganizationsNotInUseException"


def active_account_ids(session: boto3.Session, endpoint_url: str = "") -> list[str]:
    """The ids of the organization's ACTIVE accounts, sorted. Raises CredentialsRejected, whose
    message names no account."""
    client = new_client(session, "organizations", GLOBAL_API_REGION, endpoint_url)
    try:
        accounts = [
            account
            for page in client.get_paginator("list_accounts").paginate()
            for account in page["Accounts"]
        ]
    except ClientError as error:
        code = error_code(error)
        if code == NOT_IN_ORGANIZATION:
            message = "This account is not part of an organization."
        elif is_access_denied(error):
            message = (
                "These keys may not list the organization's accounts: use the management "
                "account or a delegated administrator, with organizations:ListAccounts."
            )
        else:
            message = "AWS refused to list the organization's accounts."
        raise CredentialsRejected(f"{message} ({code})") from None
    except BotoCoreError as error:
        raise CredentialsRejected(
            f"Could not reach AWS Organizations ({type(error).__name__})."
        ) from None
    return sorted(account["Id"] for account in accounts if _state(account) == ACTIVE)


def _state(account: dict) -> str:
    """`State`, which replaced `Status` (retired in September 2026); older answers, moto's
    among them, carry only `Status`."""
    return account.get("State") or account.get("Status", "")
