"""Launch templates, Auto Scaling, the region's account-level EC2 settings and the default
security group's interfaces: collectors against moto, and botocore's Stubber (with response
shapes from the EC2 API reference) for the Get calls moto does not implement."""

import boto3
import pytest
from botocore.stub import Stubber

from rules.engine import evaluate
from rules.loading import load_catalog
from rules.schema import Catalog
from scans.collection.collectors import REGISTRY, ec2_launch
from scans.collection.context import CollectContext, Denied, Unavailable
from scans.collection.inventory import AccountContext
from securescope.resources import Resource

ACCOUNT_ID = "123456789012"
REGION = "eu-west-1"
IMAGE = "ami-0123456789abcdef0"
SETTINGS_COLLECTORS = {
    "ec2.instance_metadata_defaults": (
        "get_instance_metadata_defaults",
        "ec2:GetInstanceMetadataDefaults",
    ),
    "ec2.snapshot_block_public_access": (
        "get_snapshot_block_public_access_state",
        "ec2:GetSnapshotBlockPublicAccessState",
    ),
    "ec2.image_block_public_access": (
        "get_image_block_public_access_state",
        "ec2:GetImageBlockPublicAccessState",
    ),
    "ec2.serial_console_access": (
        "get_serial_console_access_status",
        "ec2:GetSerialConsoleAccessStatus",
    ),
}


def new_ctx() -> CollectContext:
    return CollectContext(
        session=boto3.Session(), account=AccountContext(ACCOUNT_ID), region=REGION
    )


def collect(name: str, ctx: CollectContext | None = None) -> list[Resource]:
    ctx = ctx or new_ctx()
    resources = REGISTRY[name].collect(ctx)
    assert set(ctx.permissions) <= set(REGISTRY[name].required_permissions)
    return resources


def statuses(resources: list[Resource], *rule_ids: str) -> dict[tuple[str, str], str]:
    """(rule id, name) -> status."""
    catalog = Catalog(rules=tuple(r for r in load_catalog().rules if r.id in rule_ids), errors=())
    found = {}
    for evaluation in evaluate(catalog, resources):
        data = evaluation.resource.data
        name = (
            data.get("AutoScalingGroupName")
            or data.get("LaunchTemplateName")
            or data.get("LaunchConfigurationName")
            or data.get("GroupId")
        )
        found[evaluation.rule.id, name] = evaluation.result.status
    return found


@pytest.fixture
def launch_setup(aws):
    ec2 = boto3.client("ec2", region_name=REGION)
    ec2.create_launch_template(
        LaunchTemplateName="legacy",
        LaunchTemplateData={
            "ImageId": IMAGE,
            "MetadataOptions": {"HttpTokens": "optional", "HttpPutResponseHopLimit": 2},
            "NetworkInterfaces": [{"DeviceIndex": 0, "AssociatePublicIpAddress": True}],
            "BlockDeviceMappings": [{"DeviceName": "/dev/xvda", "Ebs": {"Encrypted": False}}],
            "UserData": "ZXhwb3J0IFRPS0VOPXNlY3JldA==",
        },
    )
    ec2.create_launch_template(
        LaunchTemplateName="hardened",
        LaunchTemplateData={
            "ImageId": IMAGE,
            "MetadataOptions": {"HttpTokens": "required", "HttpPutResponseHopLimit": 1},
            "BlockDeviceMappings": [{"DeviceName": "/dev/xvda", "Ebs": {"Encrypted": True}}],
        },
    )
    # A newer version that is not the default yet: both are judged.
    ec2.create_launch_template_version(
        LaunchTemplateName="hardened",
        LaunchTemplateData={"ImageId": IMAGE, "MetadataOptions": {"HttpTokens": "optional"}},
    )
    autoscaling = boto3.client("autoscaling", region_name=REGION)
    autoscaling.create_launch_configuration(
        LaunchConfigurationName="old-config",
        ImageId=IMAGE,
        InstanceType="t3.micro",
        AssociatePublicIpAddress=True,
        MetadataOptions={"HttpTokens": "optional", "HttpPutResponseHopLimit": 3},
    )
    autoscaling.create_launch_configuration(
        LaunchConfigurationName="new-config",
        ImageId=IMAGE,
        InstanceType="t3.micro",
        MetadataOptions={"HttpTokens": "required", "HttpPutResponseHopLimit": 1},
    )
    zone = f"{REGION}a"
    autoscaling.create_auto_scaling_group(
        AutoScalingGroupName="old-group",
        LaunchConfigurationName="old-config",
        MinSize=0,
        MaxSize=1,
        AvailabilityZones=[zone],
    )
    autoscaling.create_auto_scaling_group(
        AutoScalingGroupName="new-group",
        LaunchTemplate={"LaunchTemplateName": "hardened", "Version": "$Default"},
        MinSize=0,
        MaxSize=1,
        AvailabilityZones=[zone],
    )


def test_launch_templates_keep_default_and_latest_without_user_data(launch_setup):
    templates = {r.data["LaunchTemplateName"]: r for r in collect("ec2.launch_templates")}

    hardened = templates["hardened"]
    assert hardened.arn.startswith(f"arn:aws:ec2:{REGION}:{ACCOUNT_ID}:launch-template/lt-")
    assert [
        (v["VersionNumber"], v["DefaultVersion"], v["Latest"]) for v in hardened.data["Versions"]
    ] == [
        (1, True, False),
        (2, False, True),
    ]
    (legacy_version,) = templates["legacy"].data["Versions"]
    assert "UserData" not in legacy_version["LaunchTemplateData"]
    # moto has no GetInstanceMetadataDefaults: the templates say why the defaults are unknown.
    assert templates["legacy"].missing == {
        "AccountImdsDefaults": "API unavailable: ec2:GetInstanceMetadataDefaults"
    }


def test_launch_rules_from_collector_to_finding(launch_setup):
    resources = [
        resource
        for name in (
            "ec2.launch_templates",
            "autoscaling.launch_configurations",
            "autoscaling.groups",
        )
        for resource in collect(name)
    ]
    found = statuses(
        resources,
        "EC2_LT_IMDSV2",
        "EC2_LT_HOP_LIMIT",
        "EC2_LT_PUBLIC_IP",
        "EC2_LT_EBS_UNENCRYPTED",
        "EC2_ASG_LC_IMDSV2",
        "EC2_ASG_LC_HOP_LIMIT",
        "EC2_ASG_LC_PUBLIC_IP",
        "EC2_ASG_LAUNCH_CONFIGURATION",
    )

    expected = {
        ("EC2_LT_IMDSV2", "legacy"): "FAIL",
        # Its latest version allows IMDSv1.
        ("EC2_LT_IMDSV2", "hardened"): "FAIL",
        ("EC2_LT_HOP_LIMIT", "legacy"): "FAIL",
        # The latest version leaves the hop limit unset and the account default is unknown.
        ("EC2_LT_HOP_LIMIT", "hardened"): "NOT_EVALUATED",
        ("EC2_LT_PUBLIC_IP", "legacy"): "FAIL",
        ("EC2_LT_PUBLIC_IP", "hardened"): "PASS",
        ("EC2_LT_EBS_UNENCRYPTED", "legacy"): "FAIL",
        ("EC2_LT_EBS_UNENCRYPTED", "hardened"): "PASS",
        ("EC2_ASG_LC_IMDSV2", "old-config"): "FAIL",
        ("EC2_ASG_LC_IMDSV2", "new-config"): "PASS",
        ("EC2_ASG_LC_HOP_LIMIT", "old-config"): "FAIL",
        ("EC2_ASG_LC_HOP_LIMIT", "new-config"): "PASS",
        ("EC2_ASG_LC_PUBLIC_IP", "old-config"): "FAIL",
        ("EC2_ASG_LC_PUBLIC_IP", "new-config"): "PASS",
        ("EC2_ASG_LAUNCH_CONFIGURATION", "old-group"): "FAIL",
        ("EC2_ASG_LAUNCH_CONFIGURATION", "new-group"): "PASS",
    }
    assert found == expected


def test_account_default_decides_unset_metadata_options(launch_setup):
    ctx = new_ctx()
    with Stubber(ctx.client("ec2")) as ec2:
        ec2.add_response(
            "describe_launch_template_versions",
            {
                "LaunchTemplateVersions": [
                    {
                        "LaunchTemplateId": "lt-0123456789abcdef0",
                        "LaunchTemplateName": "inherits",
                        "VersionNumber": 1,
                        "DefaultVersion": True,
                        "LaunchTemplateData": {"ImageId": IMAGE},
                    }
                ]
            },
        )
        ec2.add_response(
            "get_instance_metadata_defaults",
            {"AccountLevel": {"HttpTokens": "required", "HttpPutResponseHopLimit": 2}},
        )
        (template,) = collect("ec2.launch_templates", ctx)

    found = statuses([template], "EC2_LT_IMDSV2", "EC2_LT_HOP_LIMIT")
    assert found == {
        ("EC2_LT_IMDSV2", "inherits"): "PASS",
        ("EC2_LT_HOP_LIMIT", "inherits"): "FAIL",
    }


def test_no_launch_template_makes_no_defaults_call(aws):
    ctx = new_ctx()
    assert collect("ec2.launch_templates", ctx) == []
    assert ctx.api_calls["ec2:GetInstanceMetadataDefaults"] == 0


def test_refused_listing_propagates(aws):
    ctx = new_ctx()
    with Stubber(ctx.client("autoscaling")) as autoscaling:
        autoscaling.add_client_error(
            "describe_launch_configurations", "AccessDenied", http_status_code=403
        )
        with pytest.raises(Denied):
            collect("autoscaling.launch_configurations", ctx)
    assert ctx.permissions["autoscaling:DescribeLaunchConfigurations"] == "denied"


def test_page_sizes_are_within_the_api_limits():
    # DescribeLaunchTemplateVersions MaxResults 1-200; Auto Scaling MaxRecords up to 100.
    assert ec2_launch.VERSION_PAGE_SIZE <= 200
    assert ec2_launch.AUTOSCALING_PAGE_SIZE <= 100


# The region's account-level settings --------------------------------------------------------


@pytest.mark.parametrize("name", sorted(SETTINGS_COLLECTORS))
def test_settings_moto_does_not_answer_are_unavailable(aws, name):
    ctx = new_ctx()
    with pytest.raises(Unavailable):
        collect(name, ctx)
    assert ctx.permissions[SETTINGS_COLLECTORS[name][1]] == "unavailable"


SETTING_ANSWERS = {
    "ec2.instance_metadata_defaults": (
        {
            "AccountLevel": {
                "HttpTokens": "required",
                "HttpPutResponseHopLimit": 2,
                "ManagedBy": "account",
            }
        },
        "EC2_ACCOUNT_IMDS_DEFAULTS",
        "PASS",
    ),
    "ec2.snapshot_block_public_access": (
        {"State": "block-new-sharing", "ManagedBy": "account"},
        "EC2_SNAPSHOT_BPA",
        "FAIL",
    ),
    "ec2.image_block_public_access": (
        {"ImageBlockPublicAccessState": "block-new-sharing", "ManagedBy": "account"},
        "EC2_AMI_BPA",
        "PASS",
    ),
    "ec2.serial_console_access": (
        {"SerialConsoleAccessEnabled": True, "ManagedBy": "account"},
        "EC2_SERIAL_CONSOLE_ACCESS",
        "FAIL",
    ),
}


@pytest.mark.parametrize("name", sorted(SETTING_ANSWERS))
def test_settings_from_answer_to_finding(name):
    answer, rule_id, expected = SETTING_ANSWERS[name]
    ctx = new_ctx()
    with Stubber(ctx.client("ec2")) as ec2:
        ec2.add_response(SETTINGS_COLLECTORS[name][0], answer, {})
        (setting,) = collect(name, ctx)
        ec2.assert_no_pending_responses()

    assert setting.arn.startswith(f"arn:aws:ec2:{REGION}:{ACCOUNT_ID}:")
    (evaluation,) = evaluate(
        Catalog(rules=tuple(r for r in load_catalog().rules if r.id == rule_id), errors=()),
        [setting],
    )
    assert evaluation.result.status == expected


@pytest.mark.parametrize("name", sorted(SETTINGS_COLLECTORS))
def test_denied_setting_is_denied(name):
    ctx = new_ctx()
    with Stubber(ctx.client("ec2")) as ec2:
        ec2.add_client_error(
            SETTINGS_COLLECTORS[name][0], "UnauthorizedOperation", http_status_code=403
        )
        with pytest.raises(Denied):
            collect(name, ctx)


# The default security group's interfaces ----------------------------------------------------


def test_default_group_in_use_from_collector_to_finding(aws):
    ec2 = boto3.client("ec2", region_name=REGION)
    vpc = ec2.create_vpc(CidrBlock="10.1.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.1.0.0/24")["Subnet"]["SubnetId"]
    image = ec2.register_image(Name="base", RootDeviceName="/dev/xvda")["ImageId"]
    # No security group given: the instance lands in the VPC's default group.
    ec2.run_instances(ImageId=image, MinCount=1, MaxCount=1, SubnetId=subnet)
    ctx = new_ctx()
    groups = collect("ec2.security_groups", ctx)

    defaults = {g.data["VpcId"]: g for g in groups if g.data["GroupName"] == "default"}
    assert defaults[vpc].data["NetworkInterfaceCount"] == 1
    # Every group carries its count, so an unattached world-open group is told apart.
    assert all(g.data["NetworkInterfaceCount"] == 0 for g in groups if g.data["VpcId"] != vpc)
    found = statuses(groups, "EC2_SG_DEFAULT_IN_USE")
    assert found[("EC2_SG_DEFAULT_IN_USE", defaults[vpc].data["GroupId"])] == "FAIL"
    # moto's default VPC has an unused default group.
    assert "PASS" in found.values()
    assert ctx.api_calls["ec2:DescribeNetworkInterfaces"] == 1


def test_refused_interfaces_leave_only_the_default_group_rule_undecided(aws):
    ctx = new_ctx()
    real_paginate = ctx.paginate

    def paginate(service, operation, result_key, **params):
        if operation == "describe_network_interfaces":
            raise Denied(
                "ec2:DescribeNetworkInterfaces", "missing permission (UnauthorizedOperation)"
            )
        return real_paginate(service, operation, result_key, **params)

    ctx.paginate = paginate
    groups = collect("ec2.security_groups", ctx)
    (default,) = [g for g in groups if g.data["GroupName"] == "default"]
    assert default.missing == {
        "NetworkInterfaceCount": (
            "missing permission (UnauthorizedOperation): ec2:DescribeNetworkInterfaces"
        )
    }
    found = statuses(groups, "EC2_SG_DEFAULT_IN_USE", "EC2_SG_DEFAULT_RESTRICTS_ALL")
    assert found[("EC2_SG_DEFAULT_IN_USE", default.data["GroupId"])] == "NOT_EVALUATED"
    assert found[("EC2_SG_DEFAULT_RESTRICTS_ALL", default.data["GroupId"])] == "FAIL"
