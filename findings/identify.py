"""Identify a finding's resource: re-list it with keys the user pastes, match the hash.

The raw identifier lives only in the return value, which the view renders into that one
response: it is never stored, logged or put in the audit log.
"""

from botocore.exceptions import BotoCoreError, ClientError
from django.contrib.auth.models import AbstractBaseUser

from findings.models import Finding
from scans.collection.aws import AwsCredentials, prove_credentials
from scans.collection.collectors import REGISTRY
from scans.collection.context import CollectContext, CollectionError
from scans.collection.inventory import AccountContext
from securescope.models import AuditEvent
from securescope.privacy import account_hash, resource_hash
from securescope.resources import GLOBAL_REGION
from securescope.services import audit_record


class IdentifyFailed(Exception):
    """A message for the user; it carries no identifier."""


def resource_identify(
    *, finding: Finding, credentials: AwsCredentials, user: AbstractBaseUser
) -> str | None:
    """The ARN whose hash is the finding's, or None when the resource is gone.

    Raises scans.collection.aws.CredentialsRejected for bad keys, IdentifyFailed for keys of
    another account or a resource type that cannot be listed.
    """
    session, identity = prove_credentials(credentials)
    if account_hash(identity.account_id) != finding.scan.account_hash:
        raise IdentifyFailed("These keys belong to another account than the scanned one.")
    scope = "global" if finding.region == GLOBAL_REGION else "region"
    collectors = [
        collector
        for collector in REGISTRY.values()
        if collector.scope == scope and finding.resource_type in collector.resource_types
    ]
    if not collectors:
        raise IdentifyFailed(f"SecureScope cannot list {finding.resource_type} resources.")
    ctx = CollectContext(
        session=session,
        endpoint_url=credentials.endpoint_url,
        account=AccountContext(identity.account_id, identity.partition),
        region=finding.region,
    )
    found = None
    for collector in collectors:
        try:
            resources = collector.collect(ctx)
        except CollectionError as error:
            raise IdentifyFailed(
                f"These keys may not list the resource ({error.summary})."
            ) from None
        except (ClientError, BotoCoreError) as error:
            raise IdentifyFailed(f"AWS did not answer ({type(error).__name__}).") from None
        found = next(
            (r.arn for r in resources if resource_hash(r.arn) == finding.resource_hash), None
        )
        if found:
            break
    audit_record(
        actor=user,
        action=AuditEvent.Action.RESOURCE_IDENTIFIED,
        target=f"finding {finding.id}",
        detail={"rule_id": finding.rule_id, "region": finding.region, "found": bool(found)},
    )
    return found
