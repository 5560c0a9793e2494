"""IAM collectors to findings against moto: policies in force, and instance-profile roles.

moto loads the AWS managed policies (AdministratorAccess) only when told before it starts.
"""

import json

import boto3
import pytest

from rules.engine import evaluate
from rules.loading import load_catalog
from rules.schema import Catalog
from scans.collection.collectors import REGISTRY
from scans.collection.context import CollectContext
from scans.collection.inventory import AccountContext
from securescope.resources import Resource
from testing.aws import EC2_TRUST

pytestmark = [pytest.mark.moto, pytest.mark.slow]

ACCOUNT_ID = "123456789012"
ADMINISTRATOR_ACCESS = "arn:aws:iam::aws:policy/AdministratorAccess"


def allow(action: str, resource: str = "*") -> str:
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": action, "Resource": resource}],
        }
    )


@pytest.fixture
def iam(monkeypatch, request):
    # Read when moto builds the IAM backend, so it must be set before the mock starts.
    monkeypatch.setenv("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")
    request.getfixturevalue("aws")
    return boto3.client("iam", region_name="us-east-1")


def make_ctx() -> CollectContext:
    return CollectContext(
        session=boto3.Session(), account=AccountContext(ACCOUNT_ID), region="global"
    )


def collect(ctx: CollectContext, name: str) -> list[Resource]:
    resources = REGISTRY[name].collect(ctx)
    assert set(ctx.permissions) <= set(REGISTRY[name].required_permissions)
    return resources


def statuses(resources: list[Resource], *rule_ids: str) -> dict[tuple[str, str], str]:
    """(rule id, resource ARN) -> status."""
    rules = tuple(rule for rule in load_catalog().rules if rule.id in rule_ids)
    assert {rule.id for rule in rules} == set(rule_ids)
    return {
        (evaluation.rule.id, evaluation.resource.arn): evaluation.result.status
        for evaluation in evaluate(Catalog(rules=rules, errors=()), resources)
    }


def test_full_admin_policies_in_force_fail_and_others_pass(iam):
    iam.create_user(UserName="alice")
    iam.attach_user_policy(UserName="alice", PolicyArn=ADMINISTRATOR_ACCESS)
    iam.create_user(UserName="bob")
    iam.put_user_policy(UserName="bob", PolicyName="everything", PolicyDocument=allow("*"))
    everything = iam.create_policy(PolicyName="everything", PolicyDocument=allow("*"))
    iam.create_policy(PolicyName="never-attached", PolicyDocument=allow("*"))
    reader = iam.create_policy(PolicyName="reader", PolicyDocument=allow("s3:Get*"))
    iam.create_group(GroupName="ops")
    iam.attach_group_policy(GroupName="ops", PolicyArn=everything["Policy"]["Arn"])
    iam.put_group_policy(GroupName="ops", PolicyName="logs", PolicyDocument=allow("logs:Get*"))
    iam.create_role(RoleName="app", AssumeRolePolicyDocument=EC2_TRUST)
    iam.attach_role_policy(RoleName="app", PolicyArn=reader["Policy"]["Arn"])
    # NotAction on "*" grants everything but the listed actions: still full admin.
    not_action = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}],
        }
    )
    iam.put_role_policy(RoleName="app", PolicyName="almost", PolicyDocument=not_action)
    iam.create_role(RoleName="batch", AssumeRolePolicyDocument=EC2_TRUST)
    iam.put_role_policy(RoleName="batch", PolicyName="queue", PolicyDocument=allow("sqs:*"))

    resources = collect(make_ctx(), "iam.policies")

    arn = f"arn:aws:iam::{ACCOUNT_ID}"
    rule = "IAM_FULL_ADMIN_POLICY"
    assert statuses(resources, rule) == {
        (rule, ADMINISTRATOR_ACCESS): "FAIL",
        (rule, f"{arn}:policy/everything"): "FAIL",
        (rule, f"{arn}:policy/reader"): "PASS",
        (rule, f"{arn}:user/bob"): "FAIL",
        (rule, f"{arn}:group/ops"): "PASS",
        (rule, f"{arn}:role/app"): "FAIL",
        (rule, f"{arn}:role/batch"): "PASS",
    }, "unattached policies and principals without inline policies are not resources"
    kinds = {resource.arn: resource.data["PolicyType"] for resource in resources}
    assert kinds[ADMINISTRATOR_ACCESS] == "aws_managed"
    assert kinds[f"{arn}:policy/everything"] == "customer_managed"
    assert kinds[f"{arn}:user/bob"] == "inline"
    rules = Catalog(rules=tuple(r for r in load_catalog().rules if r.id == rule), errors=())
    evidence = str([evaluation.result.evidence for evaluation in evaluate(rules, resources)])
    for name in ("alice", "bob", "ops", "app", "batch", "everything", "reader", ACCOUNT_ID):
        assert name not in evidence


def test_policy_and_role_listings_are_shared_by_the_iam_collectors(iam):
    iam.create_role(RoleName="web", AssumeRolePolicyDocument=EC2_TRUST)
    iam.create_instance_profile(InstanceProfileName="web-profile")
    iam.add_role_to_instance_profile(InstanceProfileName="web-profile", RoleName="web")
    iam.attach_role_policy(RoleName="web", PolicyArn=ADMINISTRATOR_ACCESS)
    ctx = make_ctx()

    collect(ctx, "iam.instance_profile_roles")
    collect(ctx, "iam.policies")

    # Roles, managed policies, users and groups: each listing once for the unit.
    assert ctx.api_calls["iam:GetAccountAuthorizationDetails"] == 4


def test_instance_profile_roles_from_moto_to_admin_and_privesc_statuses(iam):
    def profile_role(name: str) -> None:
        iam.create_role(RoleName=name, AssumeRolePolicyDocument=EC2_TRUST)
        iam.create_instance_profile(InstanceProfileName=f"{name}-profile")
        iam.add_role_to_instance_profile(InstanceProfileName=f"{name}-profile", RoleName=name)

    profile_role("admin")
    iam.attach_role_policy(RoleName="admin", PolicyArn=ADMINISTRATOR_ACCESS)
    profile_role("custom-admin")
    everything = iam.create_policy(PolicyName="everything", PolicyDocument=allow("*"))
    iam.attach_role_policy(RoleName="custom-admin", PolicyArn=everything["Policy"]["Arn"])
    profile_role("passer")
    iam.put_role_policy(RoleName="passer", PolicyName="pass", PolicyDocument=allow("iam:PassRole"))
    profile_role("reader")
    reader = iam.create_policy(PolicyName="reader", PolicyDocument=allow("s3:Get*"))
    iam.attach_role_policy(RoleName="reader", PolicyArn=reader["Policy"]["Arn"])
    # A role no instance can wear is not an instance-profile role, admin or not.
    iam.create_role(RoleName="no-profile", AssumeRolePolicyDocument=EC2_TRUST)
    iam.attach_role_policy(RoleName="no-profile", PolicyArn=ADMINISTRATOR_ACCESS)

    resources = collect(make_ctx(), "iam.instance_profile_roles")

    found = statuses(resources, "EC2_INSTANCE_ROLE_ADMIN", "EC2_INSTANCE_ROLE_PRIVESC")
    by_role = {(rule_id, arn.rsplit("/", 1)[1]): status for (rule_id, arn), status in found.items()}
    assert by_role == {
        ("EC2_INSTANCE_ROLE_ADMIN", "admin"): "FAIL",
        ("EC2_INSTANCE_ROLE_PRIVESC", "admin"): "FAIL",
        ("EC2_INSTANCE_ROLE_ADMIN", "custom-admin"): "FAIL",
        ("EC2_INSTANCE_ROLE_PRIVESC", "custom-admin"): "FAIL",
        ("EC2_INSTANCE_ROLE_ADMIN", "passer"): "PASS",
        ("EC2_INSTANCE_ROLE_PRIVESC", "passer"): "FAIL",
        ("EC2_INSTANCE_ROLE_ADMIN", "reader"): "PASS",
        ("EC2_INSTANCE_ROLE_PRIVESC", "reader"): "PASS",
    }
