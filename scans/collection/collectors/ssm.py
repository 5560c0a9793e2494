"""SSM: which instances are managed nodes, their patch state, and the region's patch roll-up.

A managed instance's InstanceId is the EC2 instance id (or an `mi-` id for a hybrid node), so
patch-hygiene rules join AWS::SSM::ManagedInstance to AWS::EC2::Instance on InstanceId: a running
instance with no managed-instance resource is unmanaged. `PatchState` is None when SSM holds no
patch data for a managed instance (never scanned), which differs from a PatchState in
`Resource.missing` (the call failed, so nothing is known).
"""

from scans.collection import ssm_calls
from scans.collection.collectors import register
from scans.collection.context import CollectContext
from securescope.resources import Resource


@register(
    "ssm.managed_instances",
    service="ssm",
    scope="region",
    resource_types={
        "AWS::SSM::ManagedInstance": "`arn:aws:ssm:REGION:ACCOUNT:managed-instance/i-...`",
    },
    permissions=("ssm:DescribeInstanceInformation", "ssm:DescribeInstancePatchStates"),
)
def collect_managed_instances(ctx: CollectContext) -> list[Resource]:
    instances = ctx.paginate(
        "ssm",
        "describe_instance_information",
        "InstanceInformationList",
        PaginationConfig={"PageSize": ssm_calls.PAGE_SIZE},
    )
    states, failed = ssm_calls.patch_states(ctx, [instance["InstanceId"] for instance in instances])
    resources = []
    for instance in instances:
        instance_id = instance["InstanceId"]
        data = dict(instance)
        missing: dict[str, str] = {}
        if instance_id in failed:
            missing["PatchState"] = failed[instance_id]
        else:
            data["PatchState"] = states.get(instance_id)
        resources.append(
            ctx.resource(
                "AWS::SSM::ManagedInstance",
                ctx.arn("ssm", f"managed-instance/{instance_id}"),
                data,
                missing=missing,
            )
        )
    return resources


@register(
    "ssm.patch_compliance_summary",
    service="ssm",
    scope="region",
    resource_types={
        "AWS::SSM::PatchComplianceSummary": (
            "`arn:aws:ssm:REGION:ACCOUNT:compliance-summary/Patch` (a region's roll-up)"
        ),
    },
    permissions=("ssm:ListComplianceSummaries",),
)
def collect_patch_compliance_summary(ctx: CollectContext) -> list[Resource]:
    items = ctx.paginate(
        "ssm",
        "list_compliance_summaries",
        "ComplianceSummaryItems",
        Filters=[{"Key": "ComplianceType", "Values": ["Patch"], "Type": "EQUAL"}],
        PaginationConfig={"PageSize": ssm_calls.PAGE_SIZE},
    )
    return [
        ctx.resource(
            "AWS::SSM::PatchComplianceSummary",
            # A region-level roll-up has no ARN of its own.
            ctx.arn("ssm", "compliance-summary/Patch"),
            {"ComplianceSummaryItems": items},
        )
    ]
