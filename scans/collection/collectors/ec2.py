"""EC2: security groups, instances, EBS volumes and the region's EBS default encryption."""

from typing import Any

from scans.collection import inspector_calls, ssm_calls
from scans.collection.collectors import register
from scans.collection.context import CollectContext, CollectionError
from securescope.resources import Resource


@register(
    "ec2.security_groups",
    service="ec2",
    scope="region",
    resource_types={
        "AWS::EC2::SecurityGroup": "`arn:aws:ec2:REGION:ACCOUNT:security-group/sg-...`",
    },
    permissions=("ec2:DescribeSecurityGroups", "ec2:DescribeNetworkInterfaces"),
)
def collect_security_groups(ctx: CollectContext) -> list[Resource]:
    """Security groups, each with `NetworkInterfaceCount`: the network interfaces that use it
    (in `Resource.missing` when they could not be listed). A world-open group attached to
    nothing exposes nothing yet, and the rules say so."""
    groups = ctx.paginate("ec2", "describe_security_groups", "SecurityGroups")
    counts, refusal = _interface_counts(ctx)
    resources = []
    for group in groups:
        data, missing = dict(group), {}
        if refusal:
            missing["NetworkInterfaceCount"] = refusal
        else:
            data["NetworkInterfaceCount"] = counts.get(group["GroupId"], 0)
        resources.append(
            ctx.resource(
                "AWS::EC2::SecurityGroup",
                group.get("SecurityGroupArn")
                or ctx.arn("ec2", f"security-group/{group['GroupId']}"),
                data,
                missing=missing,
            )
        )
    return resources


def _interface_counts(ctx: CollectContext) -> tuple[dict[str, int], str]:
    """Network interfaces per security group id, or why they could not be listed.

    The region's whole listing, which ec2.network_interfaces makes too: the memo shares it.
    """
    try:
        interfaces = ctx.paginate("ec2", "describe_network_interfaces", "NetworkInterfaces")
    except CollectionError as error:
        return {}, error.summary
    counts: dict[str, int] = {}
    for interface in interfaces:
        for group in interface.get("Groups", []):
            counts[group["GroupId"]] = counts.get(group["GroupId"], 0) + 1
    return counts, ""


@register(
    "ec2.instances",
    service="ec2",
    scope="region",
    resource_types={
        "AWS::EC2::Instance": "`arn:aws:ec2:REGION:ACCOUNT:instance/i-...`",
    },
    permissions=(
        "ec2:DescribeInstances",
        "ssm:DescribeInstanceInformation",
        "ssm:DescribeInstancePatchStates",
        "inspector2:BatchGetAccountStatus",
        "inspector2:ListFindingAggregations",
        "inspector2:ListCoverage",
    ),
)
def collect_instances(ctx: CollectContext) -> list[Resource]:
    """Non-terminated instances, each joined with what Systems Manager knows of it.

    `SsmManaged` is the instance's DescribeInstanceInformation entry (PingStatus, AgentVersion,
    IsLatestVersion, ...) or None when SSM does not manage it; `PatchState` is its
    DescribeInstancePatchStates entry, None when unmanaged or never patch-scanned. A failed SSM
    call puts both fields in `Resource.missing` instead, so the SSM rules are not evaluated rather
    than reported as unmanaged. `InspectorFindings` holds the instance's active findings' counts
    by severity when Amazon Inspector scans it, else None with `InspectorScan` saying why
    ("ec2 scanning DISABLED", "not covered").
    """
    instances = [
        instance
        for reservation in ctx.paginate("ec2", "describe_instances", "Reservations")
        for instance in reservation["Instances"]
        if instance.get("State", {}).get("Name") != "terminated"
    ]
    ssm_fields = _ssm_fields(ctx, [instance["InstanceId"] for instance in instances])
    inspector = _inspector_fields(ctx) if instances else None
    resources = []
    for instance in instances:
        fields, missing = ssm_fields[instance["InstanceId"]]
        fields, missing = {**fields}, {**missing}
        if isinstance(inspector, str):
            missing["InspectorFindings"] = inspector
        elif inspector is not None:
            fields.update(inspector(instance["InstanceId"]))
        resources.append(
            ctx.resource(
                "AWS::EC2::Instance",
                ctx.arn("ec2", f"instance/{instance['InstanceId']}"),
                {**instance, **fields},
                missing=missing,
            )
        )
    return resources


def _inspector_fields(ctx: CollectContext):
    """A function giving an instance's Inspector fields, or why Inspector could not be read."""
    try:
        state = inspector_calls.account_resource_state(ctx)
        status = (state.get("ec2") or {}).get("status") or "DISABLED"
        if status != "ENABLED":
            return lambda _: {"InspectorFindings": None, "InspectorScan": f"ec2 scanning {status}"}
        counts, covered = inspector_calls.ec2_instance_findings(ctx)
    except CollectionError as error:
        return error.summary

    def fields(instance_id: str) -> dict[str, Any]:
        if instance_id not in covered:
            return {"InspectorFindings": None, "InspectorScan": "not covered"}
        return {"InspectorFindings": counts.get(instance_id, {}), "InspectorScan": "active"}

    return fields


SsmFields = tuple[dict[str, Any], dict[str, str]]


def _ssm_fields(ctx: CollectContext, instance_ids: list[str]) -> dict[str, SsmFields]:
    """`SsmManaged` and `PatchState`, and the reasons of those that could not be read, by
    instance id.

    The calls and their parameters are exactly those of the ssm.managed_instances collector, so
    the unit's memo answers both collectors with one set of requests.
    """
    if not instance_ids:
        return {}
    try:
        managed = ctx.paginate(
            "ssm",
            "describe_instance_information",
            "InstanceInformationList",
            PaginationConfig={"PageSize": ssm_calls.PAGE_SIZE},
        )
    except CollectionError as error:
        unread = {"SsmManaged": error.summary, "PatchState": error.summary}
        return {instance_id: ({}, unread) for instance_id in instance_ids}
    by_id = {information["InstanceId"]: information for information in managed}
    states, failed = ssm_calls.patch_states(
        ctx, [information["InstanceId"] for information in managed]
    )
    fields: dict[str, SsmFields] = {}
    for instance_id in instance_ids:
        if instance_id in failed:
            fields[instance_id] = (
                {"SsmManaged": by_id[instance_id]},
                {"PatchState": failed[instance_id]},
            )
        else:
            fields[instance_id] = (
                {"SsmManaged": by_id.get(instance_id), "PatchState": states.get(instance_id)},
                {},
            )
    return fields


@register(
    "ec2.volumes",
    service="ec2",
    scope="region",
    resource_types={
        "AWS::EC2::Volume": "`arn:aws:ec2:REGION:ACCOUNT:volume/vol-...`",
    },
    permissions=("ec2:DescribeVolumes",),
)
def collect_volumes(ctx: CollectContext) -> list[Resource]:
    return [
        ctx.resource("AWS::EC2::Volume", ctx.arn("ec2", f"volume/{volume['VolumeId']}"), volume)
        for volume in ctx.paginate("ec2", "describe_volumes", "Volumes")
    ]


@register(
    "ec2.ebs_default_encryption",
    service="ec2",
    scope="region",
    resource_types={
        "AWS::EC2::EbsDefaultEncryption": (
            "`arn:aws:ec2:REGION:ACCOUNT:ebs-default-encryption` (a region's setting)"
        ),
    },
    permissions=("ec2:GetEbsEncryptionByDefault",),
)
def collect_ebs_default_encryption(ctx: CollectContext) -> list[Resource]:
    response = ctx.call("ec2", "get_ebs_encryption_by_default")
    return [
        ctx.resource(
            "AWS::EC2::EbsDefaultEncryption",
            # A region-level setting has no ARN of its own; this form is documented in the README.
            ctx.arn("ec2", "ebs-default-encryption"),
            {
                "EbsEncryptionByDefault": response["EbsEncryptionByDefault"],
                "SseType": response.get("SseType"),
            },
        )
    ]
