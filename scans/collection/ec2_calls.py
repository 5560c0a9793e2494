"""EC2 calls two collectors make alike (ec2.instance_metadata_defaults and
ec2.launch_templates), so that the unit's call memo answers the second from the first."""

from typing import Any

from scans.collection.context import CollectContext


def instance_metadata_defaults(ctx: CollectContext) -> dict[str, Any]:
    """The region's account-level IMDS defaults for new instances (`AccountLevel`: HttpTokens,
    HttpPutResponseHopLimit, HttpEndpoint, InstanceMetadataTags, ManagedBy...); an empty dict
    when nothing was ever set. Raises Denied or Unavailable when refused."""
    response = ctx.call("ec2", "get_instance_metadata_defaults")
    return response.get("AccountLevel") or {}
