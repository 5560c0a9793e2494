"""EC2 instance rules end to end: instances launched in moto, collected, then evaluated.

moto does not implement SSM DescribeInstanceInformation, so there the SSM rules must come out
NOT_EVALUATED; the SSM join itself is checked against botocore's Stubber.
"""

from datetime import UTC, datetime

import boto3
from botocore.stub import Stubber

from rules.engine import evaluate
from rules.loading import load_catalog
from rules.schema import Catalog
from scans.collection import ssm_calls
from scans.collection.collectors import REGISTRY
from scans.collection.context import CollectContext
from scans.collection.inventory import AccountContext
from securescope.resources import Resource
from testing.aws import AUDITOR_POLICY, moto_user_keys

ACCOUNT_ID = "123456789012"
REGION = "eu-west-1"
RULE_IDS = {
    "EC2_IMDSV2_REQUIRED",
    "EC2_IMDS_HOP_LIMIT",
    "EC2_PUBLIC_IPV4",
    "EC2_INTERNET_FACING_WITH_PROFILE",
    "EC2_INSTANCE_PROFILE_ATTACHED",
    "EC2_DETAILED_MONITORING",
    "EC2_STOPPED_TOO_LONG",
    "EC2_INSTANCE_TOO_OLD",
    "EC2_PARAVIRTUAL",
    "EC2_SSM_MANAGED",
    "EC2_SSM_AGENT_OUTDATED",
    "EC2_PATCH_NONCOMPLIANT",
    "EC2_PATCH_SCAN_STALE",
}
SSM_RULES = ("EC2_SSM_MANAGED", "EC2_SSM_AGENT_OUTDATED", "EC2_PATCH_NONCOMPLIANT")


def instance_rules() -> Catalog:
    rules = tuple(rule for rule in load_catalog().rules if rule.source == "ec2_instances.yaml")
    assert {rule.id for rule in rules} == RULE_IDS
    return Catalog(rules=rules, errors=())


def make_ctx(session: boto3.Session | None = None) -> CollectContext:
    return CollectContext(
        session=session or boto3.Session(), account=AccountContext(ACCOUNT_ID), region=REGION
    )


def collect(ctx: CollectContext, name: str) -> list[Resource]:
    resources = REGISTRY[name].collect(ctx)
    # Every action the collector made is one it declares, so the permission list stays true.
    assert set(ctx.permissions) <= set(REGISTRY[name].required_permissions)
    return resources


def statuses(resources: list[Resource], names: dict[str, str]) -> dict[tuple[str, str], str]:
    """(rule id, instance role) -> status; a rule that does not apply has no entry."""
    return {
        (evaluation.rule.id, names[evaluation.resource.data["InstanceId"]]): (
            evaluation.result.status
        )
        for evaluation in evaluate(instance_rules(), resources)
    }


def launch_fleet() -> dict[str, str]:
    """Four instances, by role: hardened, exposed (public, hop 2), bare, parked (stopped)."""
    ec2 = boto3.client("ec2", region_name=REGION)
    iam = boto3.client("iam", region_name=REGION)
    iam.create_role(RoleName="web", AssumeRolePolicyDocument="{}")
    iam.create_instance_profile(InstanceProfileName="web-profile")
    iam.add_role_to_instance_profile(InstanceProfileName="web-profile", RoleName="web")
    image = ec2.register_image(Name="base-image", RootDeviceName="/dev/xvda")["ImageId"]
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.1.0/24")["Subnet"]["SubnetId"]
    launch = {"ImageId": image, "MinCount": 1, "MaxCount": 1}
    profile = {"IamInstanceProfile": {"Name": "web-profile"}}

    def run(**options) -> str:
        return ec2.run_instances(**launch, **options)["Instances"][0]["InstanceId"]

    ids = {
        "hardened": run(
            SubnetId=subnet,
            MetadataOptions={"HttpTokens": "required", "HttpPutResponseHopLimit": 1},
            Monitoring={"Enabled": True},
            **profile,
        ),
        "exposed": run(
            NetworkInterfaces=[
                {"DeviceIndex": 0, "SubnetId": subnet, "AssociatePublicIpAddress": True}
            ],
            MetadataOptions={"HttpTokens": "required", "HttpPutResponseHopLimit": 2},
            **profile,
        ),
        "bare": run(SubnetId=subnet),
        "parked": run(SubnetId=subnet, MetadataOptions={"HttpPutResponseHopLimit": 3}),
    }
    ec2.stop_instances(InstanceIds=[ids["parked"]])
    return ids


def test_instances_collected_from_moto_are_evaluated(aws):
    ids = launch_fleet()
    ctx = make_ctx()
    resources = collect(ctx, "ec2.instances")

    found = statuses(resources, {instance_id: role for role, instance_id in ids.items()})

    # moto renders no VirtualizationType and has no SSM inventory: unknown, never a PASS.
    unknown = "NOT_EVALUATED"
    expected = {}
    for role in ("hardened", "exposed", "bare"):
        expected |= {
            ("EC2_INSTANCE_TOO_OLD", role): "PASS",
            ("EC2_PARAVIRTUAL", role): unknown,
            ("EC2_PATCH_SCAN_STALE", role): unknown,
            **{(rule_id, role): unknown for rule_id in SSM_RULES},
        }
    expected |= {
        # IMDSv2 is judged on every instance, stopped ones too: they start as configured.
        ("EC2_IMDSV2_REQUIRED", "hardened"): "PASS",
        ("EC2_IMDSV2_REQUIRED", "exposed"): "PASS",
        ("EC2_IMDSV2_REQUIRED", "bare"): "FAIL",
        ("EC2_IMDSV2_REQUIRED", "parked"): "FAIL",
        ("EC2_IMDS_HOP_LIMIT", "hardened"): "PASS",
        ("EC2_PUBLIC_IPV4", "hardened"): "PASS",
        ("EC2_INTERNET_FACING_WITH_PROFILE", "hardened"): "PASS",
        ("EC2_INSTANCE_PROFILE_ATTACHED", "hardened"): "PASS",
        ("EC2_DETAILED_MONITORING", "hardened"): "PASS",
        ("EC2_IMDS_HOP_LIMIT", "exposed"): "FAIL",
        ("EC2_PUBLIC_IPV4", "exposed"): "FAIL",
        ("EC2_INTERNET_FACING_WITH_PROFILE", "exposed"): "FAIL",
        ("EC2_INSTANCE_PROFILE_ATTACHED", "exposed"): "PASS",
        ("EC2_DETAILED_MONITORING", "exposed"): "FAIL",
        ("EC2_IMDS_HOP_LIMIT", "bare"): "PASS",
        ("EC2_PUBLIC_IPV4", "bare"): "PASS",
        ("EC2_INTERNET_FACING_WITH_PROFILE", "bare"): "PASS",
        ("EC2_INSTANCE_PROFILE_ATTACHED", "bare"): "FAIL",
        ("EC2_DETAILED_MONITORING", "bare"): "FAIL",
        # Stopped: no public address to judge, not running for age or SSM reachability.
        ("EC2_IMDS_HOP_LIMIT", "parked"): "FAIL",
        ("EC2_INSTANCE_PROFILE_ATTACHED", "parked"): "FAIL",
        ("EC2_DETAILED_MONITORING", "parked"): "FAIL",
        ("EC2_STOPPED_TOO_LONG", "parked"): "PASS",
        ("EC2_PARAVIRTUAL", "parked"): unknown,
        ("EC2_SSM_AGENT_OUTDATED", "parked"): unknown,
        ("EC2_PATCH_NONCOMPLIANT", "parked"): unknown,
    }
    assert found == expected
    assert ctx.permissions["ssm:DescribeInstanceInformation"] == "unavailable"
    (bare,) = (r for r in resources if r.data["InstanceId"] == ids["bare"])
    reason = "API unavailable: ssm:DescribeInstanceInformation"
    assert bare.missing == {"SsmManaged": reason, "PatchState": reason}


def test_denied_ssm_leaves_the_ssm_rules_not_evaluated(aws, monkeypatch):
    ids = launch_fleet()
    keys = moto_user_keys(monkeypatch, user_name="auditor", policy=AUDITOR_POLICY)
    session = boto3.Session(
        aws_access_key_id=keys["access_key_id"], aws_secret_access_key=keys["secret_access_key"]
    )
    ctx = make_ctx(session)

    found = statuses(
        collect(ctx, "ec2.instances"), {instance_id: role for role, instance_id in ids.items()}
    )

    assert ctx.permissions["ssm:DescribeInstanceInformation"] == "denied"
    assert found["EC2_IMDS_HOP_LIMIT", "exposed"] == "FAIL", "EC2 data is still judged"
    for rule_id in (*SSM_RULES, "EC2_PATCH_SCAN_STALE"):
        assert found[rule_id, "hardened"] == "NOT_EVALUATED"


def instance_information(instance_id: str, **fields) -> dict:
    return {
        "InstanceId": instance_id,
        "PingStatus": "Online",
        "LastPingDateTime": datetime.now(UTC),
        "AgentVersion": "3.2.582.0",
        "IsLatestVersion": True,
        "PlatformType": "Linux",
        **fields,
    }


def test_ssm_join_shares_its_calls_with_the_ssm_collector(aws):
    ids = launch_fleet()
    managed = ids["hardened"]
    ctx = make_ctx()
    now = datetime.now(UTC)
    with Stubber(ctx.client("ssm")) as stub:
        # One response each: a second identical request would find the stub empty and fail.
        stub.add_response(
            "describe_instance_information",
            {"InstanceInformationList": [instance_information(managed, IsLatestVersion=False)]},
            {"MaxResults": ssm_calls.PAGE_SIZE},
        )
        stub.add_response(
            "describe_instance_patch_states",
            {
                "InstancePatchStates": [
                    {
                        "InstanceId": managed,
                        "PatchGroup": "web",
                        "BaselineId": "pb-0123456789abcdef0",
                        "Operation": "Scan",
                        "OperationStartTime": now,
                        "OperationEndTime": now,
                        "MissingCount": 2,
                    }
                ]
            },
            {"InstanceIds": [managed], "MaxResults": ssm_calls.PATCH_STATE_BATCH},
        )
        instances = collect(ctx, "ec2.instances")
        # Same unit, so the same memo (the permission check of `collect` is per collector).
        managed_nodes = REGISTRY["ssm.managed_instances"].collect(ctx)
        stub.assert_no_pending_responses()

    assert [node.data["InstanceId"] for node in managed_nodes] == [managed]
    by_id = {resource.data["InstanceId"]: resource for resource in instances}
    assert by_id[managed].data["SsmManaged"]["PingStatus"] == "Online"
    assert by_id[managed].data["PatchState"]["MissingCount"] == 2
    assert by_id[ids["bare"]].data["SsmManaged"] is None
    assert by_id[ids["bare"]].missing == {}

    found = statuses(instances, {instance_id: role for role, instance_id in ids.items()})
    ssm_rules = {
        key: status for key, status in found.items() if "_SSM_" in key[0] or "_PATCH_" in key[0]
    }
    assert ssm_rules == {
        ("EC2_SSM_MANAGED", "hardened"): "PASS",
        ("EC2_SSM_AGENT_OUTDATED", "hardened"): "FAIL",
        ("EC2_PATCH_NONCOMPLIANT", "hardened"): "FAIL",
        ("EC2_PATCH_SCAN_STALE", "hardened"): "PASS",
        # Unmanaged: only EC2_SSM_MANAGED speaks, and only for running instances.
        ("EC2_SSM_MANAGED", "exposed"): "FAIL",
        ("EC2_SSM_MANAGED", "bare"): "FAIL",
    }


def test_denied_patch_batch_marks_only_patch_state_missing(aws):
    ids = launch_fleet()
    managed = ids["hardened"]
    ctx = make_ctx()
    with Stubber(ctx.client("ssm")) as stub:
        stub.add_response(
            "describe_instance_information",
            {"InstanceInformationList": [instance_information(managed)]},
            {"MaxResults": ssm_calls.PAGE_SIZE},
        )
        stub.add_client_error(
            "describe_instance_patch_states",
            service_error_code="AccessDeniedException",
            http_status_code=400,
        )
        instances = collect(ctx, "ec2.instances")

    instance = next(r for r in instances if r.data["InstanceId"] == managed)
    assert instance.data["SsmManaged"]["PingStatus"] == "Online"
    assert set(instance.missing) == {"PatchState"}
    found = statuses(instances, {r.data["InstanceId"]: r.data["InstanceId"] for r in instances})
    assert found["EC2_SSM_MANAGED", managed] == "PASS"
    assert found["EC2_PATCH_NONCOMPLIANT", managed] == "NOT_EVALUATED"
    assert found["EC2_PATCH_SCAN_STALE", managed] == "NOT_EVALUATED"
