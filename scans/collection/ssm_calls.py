"""SSM calls two collectors make alike (ssm.managed_instances and ec2.instances), so that the
scan's call memo answers the second from the first."""

from typing import Any

from scans.collection.context import CollectContext, CollectionError

PAGE_SIZE = 50
# DescribeInstancePatchStates takes at most 50 instance ids per call.
PATCH_STATE_BATCH = 50


def patch_states(
    ctx: CollectContext, instance_ids: list[str]
) -> tuple[dict[str, dict[str, Any]], dict[str, str]]:
    """Patch state by instance id, and why it is unknown for the ids whose batch failed."""
    states: dict[str, dict[str, Any]] = {}
    failed: dict[str, str] = {}
    for start in range(0, len(instance_ids), PATCH_STATE_BATCH):
        batch = instance_ids[start : start + PATCH_STATE_BATCH]
        try:
            found = ctx.paginate(
                "ssm",
                "describe_instance_patch_states",
                "InstancePatchStates",
                InstanceIds=batch,
                # One page per batch: one state per instance at most.
                PaginationConfig={"PageSize": PATCH_STATE_BATCH},
            )
        except CollectionError as error:
            failed.update(dict.fromkeys(batch, error.summary))
            continue
        states.update((state["InstanceId"], state) for state in found)
    return states, failed
