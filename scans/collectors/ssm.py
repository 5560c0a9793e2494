"""SSM: which instances are managed nodes, their patch state, and the region's patch roll-up.

A managed instance's InstanceId is the EC2 instance id (or an `mi-` id for a hybrid node), so
patch-hygiene rules join AWS::SSM::ManagedInstance to AWS::EC2::Instance on InstanceId: a running
instance with no managed-instance resource is unmanaged. `PatchState` is None when SSM holds no
patch data for a managed instance (never scanned), which differs from a `_missing` PatchState
(the call failed, so nothing is known).
"""

from typing import Any

from scans.collectors import register
from scans.collectors.context import CollectContext, CollectionError
from scans.inventory import Resource

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


@register(
    "ssm.managed_instances",
    service="ssm",
    scope="region",
    resource_types=("AWS::SSM::ManagedInstance",),
    permissions=("ssm:DescribeInstanceInformation", "ssm:DescribeInstancePatchStates"),
)
def collect_managed_instances(ctx: CollectContext) -> list[Resource]:
    instances = ctx.paginate(
        "ssm",
        "describe_instance_information",
        "InstanceInformationList",
        PaginationConfig={"PageSize": PAGE_SIZE},
    )
    states, failed = patch_states(ctx, [instance["InstanceId"] for instance in instances])
    resources = []
    for instance in instances:
        instance_id = instance["InstanceId"]
        if instance_id in failed:
            data = {**instance, "_missing": {"PatchState": failed[instance_id]}}
        else:
            data = {**instance, "PatchState": states.get(instance_id)}
        resources.append(
            ctx.resource(
                "AWS::SSM::ManagedInstance",
                ctx.arn("ssm", f"managed-instance/{instance_id}"),
                data,
            )
        )
    return resources


@register(
    "ssm.patch_compliance_summary",
    service="ssm",
    scope="region",
    resource_types=("AWS::SSM::PatchComplianceSummary",),
    permissions=("ssm:ListComplianceSummaries",),
)
def collect_patch_compliance_summary(ctx: CollectContext) -> list[Resource]:
    items = ctx.paginate(
        "ssm",
        "list_compliance_summaries",
        "ComplianceSummaryItems",
        Filters=[{"Key": "ComplianceType", "Values": ["Patch"], "Type": "EQUAL"}],
        PaginationConfig={"PageSize": PAGE_SIZE},
    )
    return [
        ctx.resource(
            "AWS::SSM::PatchComplianceSummary",
            # A region-level roll-up has no ARN of its own.
            ctx.arn("ssm", "compliance-summary/Patch"),
            {"ComplianceSummaryItems": items},
        )
    ]
