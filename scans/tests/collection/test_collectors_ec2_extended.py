"""EC2 network, snapshot and image collectors against moto (issue 3)."""

from collections.abc import Callable
from typing import Any

import boto3
import pytest
from botocore import xform_name
from botocore.awsrequest import AWSResponse
from botocore.exceptions import ClientError

from scans.collection.collectors import REGISTRY, ec2_images, ec2_network
from scans.collection.context import CollectContext, Denied, Unavailable
from scans.collection.inventory import AccountContext
from securescope.resources import Resource

REGION = "eu-west-1"
ZONE = "eu-west-1a"
FLOW_LOG_ROLE = "arn:aws:iam::123456789012:role/flow-logs"


def new_ctx() -> CollectContext:
    return CollectContext(
        session=boto3.Session(), account=AccountContext("123456789012"), region=REGION
    )


def collect(name: str, ctx: CollectContext | None = None) -> list[Resource]:
    ctx = ctx or new_ctx()
    resources = REGISTRY[name].collect(ctx)
    # Every action the collector made must be declared, or a least-privilege policy misses it.
    assert set(ctx.permissions) <= set(REGISTRY[name].required_permissions)
    return resources


@pytest.fixture
def ec2(aws) -> Any:
    return boto3.client("ec2", region_name=REGION)


def intercept(ctx: CollectContext, operation: str, answer: Callable[[dict], Any]) -> None:
    """Let `answer` reply to `operation` on the ctx's client, after the ctx counted the call."""

    def handler(model: Any, params: dict, **kwargs: Any) -> Any:
        if model.name == operation:
            return answer(params["body"])
        return None

    ctx.client("ec2").meta.events.register("before-call", handler)


def respond(ctx: CollectContext, operation: str, parsed: dict) -> None:
    intercept(ctx, operation, lambda body: (AWSResponse(None, 200, {}, None), parsed))


def refuse(
    ctx: CollectContext,
    operation: str,
    code: str = "UnauthorizedOperation",
    only: Callable[[dict], bool] = lambda body: True,
) -> None:
    def answer(body: dict) -> None:
        if only(body):
            raise ClientError({"Error": {"Code": code, "Message": "refused"}}, operation)

    intercept(ctx, operation, answer)


def serve_in_pages(ctx: CollectContext, operation: str, result_key: str, items: list) -> list[dict]:
    """Moto ignores MaxResults: page `items` by the request's MaxResults and NextToken.

    Returns the requests' parameters, so a test can see what the collector asked for.
    """
    requests = []

    def answer(body: dict) -> tuple[AWSResponse, dict]:
        requests.append(body)
        size = int(body["MaxResults"])
        start = int(body.get("NextToken", 0))
        page: dict[str, Any] = {result_key: items[start : start + size]}
        if start + size < len(items):
            page["NextToken"] = str(start + size)
        return AWSResponse(None, 200, {}, None), page

    intercept(ctx, operation, answer)
    return requests


def create_vpc_with_flow_log(client: Any) -> tuple[str, str]:
    vpc = client.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    flow_log = client.create_flow_logs(
        ResourceIds=[vpc],
        ResourceType="VPC",
        TrafficType="ALL",
        LogGroupName="flows",
        DeliverLogsPermissionArn=FLOW_LOG_ROLE,
    )["FlowLogIds"][0]
    return vpc, flow_log


def create_snapshot(client: Any, *, public: bool = False) -> str:
    volume = client.create_volume(Size=8, AvailabilityZone=ZONE)["VolumeId"]
    snapshot = client.create_snapshot(VolumeId=volume)["SnapshotId"]
    if public:
        client.modify_snapshot_attribute(
            SnapshotId=snapshot,
            Attribute="createVolumePermission",
            OperationType="add",
            GroupNames=["all"],
        )
    return snapshot


def create_image(client: Any, name: str, *, public: bool = False) -> str:
    image = client.register_image(Name=name, RootDeviceName="/dev/xvda")["ImageId"]
    if public:
        client.modify_image_attribute(ImageId=image, LaunchPermission={"Add": [{"Group": "all"}]})
    return image


def by_id(resources: list[Resource], key: str) -> dict[str, Resource]:
    return {resource.data[key]: resource for resource in resources}


# Network ACLs and VPCs


def test_network_acls_match_moto(ec2):
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    custom = ec2.create_network_acl(VpcId=vpc)["NetworkAcl"]["NetworkAclId"]
    ec2.create_network_acl_entry(
        NetworkAclId=custom,
        RuleNumber=100,
        Protocol="6",
        RuleAction="allow",
        Egress=False,
        CidrBlock="0.0.0.0/0",
        PortRange={"From": 22, "To": 22},
    )

    acls = by_id(collect("ec2.network_acls"), "NetworkAclId")

    created = {acl["NetworkAclId"] for acl in ec2.describe_network_acls()["NetworkAcls"]}
    assert set(acls) == created
    assert len(created) == 3, "the default VPC's and the new VPC's default ACLs, and the custom"
    acl = acls[custom]
    assert acl.type == "AWS::EC2::NetworkAcl"
    assert acl.arn == f"arn:aws:ec2:eu-west-1:123456789012:network-acl/{custom}"
    assert acl.region == REGION
    assert acl.data["IsDefault"] is False
    assert {"RuleNumber": 100, "PortRange": {"From": 22, "To": 22}}.items() <= next(
        entry for entry in acl.data["Entries"] if entry["RuleNumber"] == 100
    ).items()
    assert sum(a.data["IsDefault"] for a in acls.values()) == 2
    assert all(a.data["OwnedByScannedAccount"] for a in acls.values())


def test_vpcs_and_acls_shared_in_by_another_account_are_marked(ec2):
    ctx = new_ctx()
    shared_owner = "210987654321"
    listed = ctx.paginate("ec2", "describe_vpcs", "Vpcs", PaginationConfig={"PageSize": 1000})
    listed[0]["OwnerId"] = shared_owner  # as DescribeVpcs shows a VPC shared through AWS RAM
    vpcs = {r.data["VpcId"]: r for r in collect("ec2.vpcs", ctx)}
    shared = vpcs[listed[0]["VpcId"]]
    assert shared.data["OwnedByScannedAccount"] is False
    assert f":{shared_owner}:vpc/" in shared.arn


def test_flow_logs_are_joined_to_their_vpc_from_one_listing(ec2):
    watched, flow_log = create_vpc_with_flow_log(ec2)
    unwatched = ec2.create_vpc(CidrBlock="10.1.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=unwatched, CidrBlock="10.1.1.0/24")["Subnet"]["SubnetId"]
    # A subnet's flow log does not cover its VPC.
    ec2.create_flow_logs(
        ResourceIds=[subnet],
        ResourceType="Subnet",
        TrafficType="ALL",
        LogGroupName="flows",
        DeliverLogsPermissionArn=FLOW_LOG_ROLE,
    )
    ctx = new_ctx()

    vpcs = by_id(collect("ec2.vpcs", ctx), "VpcId")

    assert set(vpcs) == {vpc["VpcId"] for vpc in ec2.describe_vpcs()["Vpcs"]}
    assert len(vpcs) == 3
    assert [log["FlowLogId"] for log in vpcs[watched].data["FlowLogs"]] == [flow_log]
    assert vpcs[watched].data["FlowLogs"][0]["TrafficType"] == "ALL"
    assert vpcs[unwatched].data["FlowLogs"] == []
    assert all(vpc.missing == {} for vpc in vpcs.values())
    assert vpcs[watched].type == "AWS::EC2::VPC"
    assert vpcs[watched].arn == f"arn:aws:ec2:eu-west-1:123456789012:vpc/{watched}"
    assert ctx.api_calls["ec2:DescribeFlowLogs"] == 1


@pytest.mark.parametrize(
    ("code", "reason"),
    [
        ("UnauthorizedOperation", "missing permission (UnauthorizedOperation)"),
        ("NotImplemented", "API unavailable"),
    ],
)
def test_vpcs_without_flow_logs_say_what_is_missing(ec2, code, reason):
    create_vpc_with_flow_log(ec2)
    ctx = new_ctx()
    refuse(ctx, "DescribeFlowLogs", code)

    vpcs = by_id(collect("ec2.vpcs", ctx), "VpcId")

    assert len(vpcs) == 2
    for vpc in vpcs.values():
        assert vpc.missing == {"FlowLogs": f"{reason}: ec2:DescribeFlowLogs"}
        assert "FlowLogs" not in vpc.data, "an empty list would read as 'no flow logs'"
    assert ctx.permissions["ec2:DescribeVpcs"] == "ok"


def test_flow_log_join_leaves_the_shared_listing_untouched(ec2):
    create_vpc_with_flow_log(ec2)
    ctx = new_ctx()
    collect("ec2.vpcs", ctx)

    listed = ctx.paginate(
        "ec2", "describe_vpcs", "Vpcs", PaginationConfig={"PageSize": ec2_network.PAGE_SIZE}
    )

    assert all("FlowLogs" not in vpc for vpc in listed)


# Snapshots, images and the default EBS key


def test_snapshots_are_public_only_when_shared_with_all(ec2):
    public = create_snapshot(ec2, public=True)
    private = create_snapshot(
        ec2,
    )
    ctx = new_ctx()

    snapshots = by_id(collect("ec2.snapshots", ctx), "SnapshotId")

    assert set(snapshots) == {public, private}
    assert snapshots[public].data["Public"] is True
    assert snapshots[public].data["CreateVolumePermissions"] == [{"Group": "all"}]
    assert snapshots[private].data["Public"] is False
    assert snapshots[private].data["CreateVolumePermissions"] == []
    assert snapshots[private].data["Encrypted"] is False
    assert snapshots[private].type == "AWS::EC2::Snapshot"
    assert snapshots[private].arn == f"arn:aws:ec2:eu-west-1::snapshot/{private}"
    assert ctx.api_calls["ec2:DescribeSnapshotAttribute"] == 2
    assert ctx.warnings == []


def test_images_carry_public_flag_and_launch_permissions(ec2):
    public = create_image(ec2, "public-image", public=True)
    private = create_image(ec2, "private-image")

    images = by_id(collect("ec2.images"), "ImageId")

    assert set(images) == {public, private}
    assert images[public].data["Public"] is True
    assert images[public].data["LaunchPermissions"] == [{"Group": "all"}]
    assert images[private].data["Public"] is False
    assert images[private].data["LaunchPermissions"] == []
    assert images[private].type == "AWS::EC2::Image"
    assert images[private].arn == f"arn:aws:ec2:eu-west-1::image/{private}"


def test_ebs_default_kms_key_is_one_region_level_resource(aws):
    ctx = new_ctx()
    respond(ctx, "GetEbsDefaultKmsKeyId", {"KmsKeyId": "alias/aws/ebs"})

    (key,) = collect("ec2.ebs_default_kms_key", ctx)

    assert key.type == "AWS::EC2::EbsDefaultKmsKey"
    assert key.arn == "arn:aws:ec2:eu-west-1:123456789012:ebs-default-kms-key"
    assert key.data == {"KmsKeyId": "alias/aws/ebs"}


def test_ebs_default_kms_key_unavailable_in_moto_raises(aws):
    # Moto does not implement GetEbsDefaultKmsKeyId; the unit reports its rules not evaluated.
    with pytest.raises(Unavailable):
        collect("ec2.ebs_default_kms_key")


CAPPED = [
    ("ec2.snapshots", "SnapshotId", "CreateVolumePermissions", "DescribeSnapshotAttribute"),
    ("ec2.images", "ImageId", "LaunchPermissions", "DescribeImageAttribute"),
]


def create_three(client: Any, id_key: str) -> list[str]:
    if id_key == "SnapshotId":
        return [create_snapshot(client, public=True) for _ in range(3)]
    return [create_image(client, f"image-{n}", public=True) for n in range(3)]


@pytest.mark.parametrize(("name", "id_key", "field", "operation"), CAPPED)
def test_per_item_cap_warns_and_marks_the_rest_missing(
    ec2, settings, name, id_key, field, operation
):
    settings.SCAN_PER_ITEM_CALL_CAP = 2
    ids = create_three(ec2, id_key)
    ctx = new_ctx()

    resources = collect(name, ctx)

    assert set(by_id(resources, id_key)) == set(ids), "items past the cap are still resources"
    skipped = [r for r in resources if r.missing]
    assert len(skipped) == 1
    assert skipped[0].missing[field] == "not inspected: per-item call cap reached"
    assert field not in skipped[0].data
    assert ctx.api_calls[f"ec2:{operation}"] == 2
    (warning,) = ctx.warnings
    what = "snapshots" if id_key == "SnapshotId" else "images"
    assert warning == f"Only the first 2 of 3 {what} were inspected (cap)."
    assert not any(item_id in warning for item_id in ids)


def test_snapshot_past_the_cap_has_no_public_verdict(ec2, settings):
    settings.SCAN_PER_ITEM_CALL_CAP = 0
    create_snapshot(ec2, public=True)

    (snapshot,) = collect("ec2.snapshots")

    assert "Public" not in snapshot.data
    assert snapshot.missing["Public"] == "not inspected: per-item call cap reached"


@pytest.mark.parametrize(("name", "id_key", "field", "operation"), CAPPED)
def test_denied_attribute_call_marks_items_missing(ec2, name, id_key, field, operation):
    ids = create_three(ec2, id_key)
    ctx = new_ctx()
    refuse(ctx, operation)

    resources = collect(name, ctx)

    assert set(by_id(resources, id_key)) == set(ids)
    reason = f"missing permission (UnauthorizedOperation): ec2:{operation}"
    for resource in resources:
        assert resource.missing[field] == reason
        assert field not in resource.data
    assert ctx.api_calls[f"ec2:{operation}"] == 1, "one refusal is enough"
    assert ctx.permissions[f"ec2:{operation}"] == "denied"


def test_snapshot_deleted_while_scanning_is_left_out(ec2):
    gone = create_snapshot(
        ec2,
    )
    kept = create_snapshot(
        ec2,
    )
    ctx = new_ctx()
    refuse(
        ctx,
        "DescribeSnapshotAttribute",
        "InvalidSnapshot.NotFound",
        only=lambda body: body["SnapshotId"] == gone,
    )

    assert set(by_id(collect("ec2.snapshots", ctx), "SnapshotId")) == {kept}


def test_unexpected_attribute_error_is_not_swallowed(ec2):
    create_snapshot(
        ec2,
    )
    ctx = new_ctx()
    refuse(ctx, "DescribeSnapshotAttribute", "InternalError")

    with pytest.raises(ClientError):
        collect("ec2.snapshots", ctx)


@pytest.mark.parametrize(
    ("name", "operation"),
    [
        ("ec2.network_acls", "DescribeNetworkAcls"),
        ("ec2.vpcs", "DescribeVpcs"),
        ("ec2.snapshots", "DescribeSnapshots"),
        ("ec2.images", "DescribeImages"),
    ],
)
def test_denied_listing_raises(aws, name, operation):
    ctx = new_ctx()
    refuse(ctx, operation)

    with pytest.raises(Denied):
        collect(name, ctx)


# Pagination: moto returns everything in one page, so the pages are served from its listing.


@pytest.fixture
def eleven_of_each(ec2) -> None:
    for _ in range(11):
        create_vpc_with_flow_log(ec2)
    # Moto backs each registered AMI with a snapshot of its own: 11 snapshots as well.
    for n in range(11):
        create_image(ec2, f"image-{n}")


# DescribeSnapshots(OwnerIds=["self"]) and DescribeImages(Owners=["self"]) both send Owner.1.
OWNED = {"Owner.1": "self"}
PAGED = [
    ("ec2.network_acls", ec2_network, "DescribeNetworkAcls", "NetworkAcls", "NetworkAclId", {}),
    ("ec2.vpcs", ec2_network, "DescribeVpcs", "Vpcs", "VpcId", {}),
    ("ec2.vpcs", ec2_network, "DescribeFlowLogs", "FlowLogs", "FlowLogId", {}),
    ("ec2.snapshots", ec2_images, "DescribeSnapshots", "Snapshots", "SnapshotId", OWNED),
    ("ec2.images", ec2_images, "DescribeImages", "Images", "ImageId", OWNED),
]


@pytest.mark.parametrize(("name", "module", "operation", "result_key", "id_key", "sent"), PAGED)
def test_listings_follow_pages(
    ec2, eleven_of_each, monkeypatch, name, module, operation, result_key, id_key, sent
):
    # 5 is the smallest page DescribeVpcs and DescribeNetworkAcls accept.
    monkeypatch.setattr(module, "PAGE_SIZE", 5)
    everything = getattr(ec2, xform_name(operation))()[result_key]
    assert 10 < len(everything) <= 15, "three pages of five"
    ctx = new_ctx()
    requests = serve_in_pages(ctx, operation, result_key, everything)

    resources = collect(name, ctx)

    if operation == "DescribeFlowLogs":
        collected = {log[id_key] for r in resources for log in r.data["FlowLogs"]}
    else:
        collected = {r.data[id_key] for r in resources}
    assert collected == {item[id_key] for item in everything}
    assert ctx.api_calls[f"ec2:{operation}"] == 3
    assert [request["MaxResults"] for request in requests] == [5, 5, 5]
    assert all(sent.items() <= request.items() for request in requests)


def test_page_size_is_the_api_maximum():
    assert ec2_network.PAGE_SIZE == ec2_images.PAGE_SIZE == 1000
