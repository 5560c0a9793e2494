"""ECR repositories and Amazon Inspector against moto, and Inspector's findings and coverage
through botocore's Stubber (moto has neither), with the Inspector API reference's shapes."""

import json

import boto3
import pytest
from botocore.stub import Stubber

from rules.engine import evaluate
from rules.loading import load_catalog
from rules.schema import Catalog
from scans.collection import inspector_calls
from scans.collection.collectors import REGISTRY
from scans.collection.context import CollectContext, Denied
from scans.collection.inventory import AccountContext
from securescope.resources import Resource

ACCOUNT_ID = "123456789012"
REGION = "eu-west-1"
PUBLIC_PULL = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "anyone",
            "Effect": "Allow",
            "Principal": "*",
            "Action": ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"],
        }
    ],
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


def statuses(resources, *rule_ids: str) -> dict[tuple[str, str], str]:
    catalog = Catalog(rules=tuple(r for r in load_catalog().rules if r.id in rule_ids), errors=())
    return {
        (
            evaluation.rule.id,
            evaluation.resource.data.get("repositoryName")
            or evaluation.resource.data.get("InstanceId")
            or evaluation.resource.type,
        ): evaluation.result.status
        for evaluation in evaluate(catalog, resources)
    }


@pytest.fixture
def repositories(aws):
    ecr = boto3.client("ecr", region_name=REGION)
    ecr.create_repository(
        repositoryName="payments-api",
        imageScanningConfiguration={"scanOnPush": True},
        imageTagMutability="IMMUTABLE",
    )
    ecr.create_repository(repositoryName="legacy-web")
    ecr.set_repository_policy(repositoryName="legacy-web", policyText=json.dumps(PUBLIC_PULL))
    ecr.create_repository(repositoryName="web-frontend")
    ecr.put_registry_scanning_configuration(
        scanType="BASIC",
        rules=[
            {
                "scanFrequency": "SCAN_ON_PUSH",
                "repositoryFilters": [{"filter": "web-*", "filterType": "WILDCARD"}],
            }
        ],
    )
    return ecr


def test_repositories_from_collector_to_finding(repositories):
    ctx = new_ctx()
    found = statuses(
        collect("ecr.repositories", ctx),
        "ECR_SCAN_ON_PUSH",
        "ECR_REPO_PUBLIC_POLICY",
        "ECR_TAG_IMMUTABILITY",
    )

    assert found == {
        ("ECR_SCAN_ON_PUSH", "payments-api"): "PASS",
        ("ECR_SCAN_ON_PUSH", "legacy-web"): "FAIL",
        # Its own setting is off, but a registry rule covers it.
        ("ECR_SCAN_ON_PUSH", "web-frontend"): "PASS",
        ("ECR_REPO_PUBLIC_POLICY", "payments-api"): "PASS",
        ("ECR_REPO_PUBLIC_POLICY", "legacy-web"): "FAIL",
        ("ECR_REPO_PUBLIC_POLICY", "web-frontend"): "PASS",
        ("ECR_TAG_IMMUTABILITY", "payments-api"): "PASS",
        ("ECR_TAG_IMMUTABILITY", "legacy-web"): "FAIL",
        ("ECR_TAG_IMMUTABILITY", "web-frontend"): "FAIL",
    }
    assert ctx.api_calls["ecr:GetRegistryScanningConfiguration"] == 1


def test_refused_policy_and_registry_calls_are_noted_missing(repositories, monkeypatch):
    ctx = new_ctx()
    real_call = ctx.call

    def call(service, operation, **params):
        if operation in ("get_repository_policy", "get_registry_scanning_configuration"):
            raise Denied(f"ecr:{operation}", "missing permission (AccessDeniedException)")
        return real_call(service, operation, **params)

    monkeypatch.setattr(ctx, "call", call)
    found = statuses(collect("ecr.repositories", ctx), "ECR_SCAN_ON_PUSH", "ECR_REPO_PUBLIC_POLICY")

    assert found[("ECR_REPO_PUBLIC_POLICY", "legacy-web")] == "NOT_EVALUATED"
    # The repository's own scan-on-push decides without the registry's rules; others wait.
    assert found[("ECR_SCAN_ON_PUSH", "payments-api")] == "PASS"
    assert found[("ECR_SCAN_ON_PUSH", "web-frontend")] == "NOT_EVALUATED"


def test_repository_cap_leaves_policies_uninspected(repositories, settings):
    settings.SCAN_PER_ITEM_CALL_CAP = 1
    ctx = new_ctx()
    resources = collect("ecr.repositories", ctx)
    assert ctx.api_calls["ecr:GetRepositoryPolicy"] == 1
    assert [("Policy" in r.missing) for r in resources] == [False, True, True]


def test_inspector_account_status_from_collector_to_finding(aws):
    boto3.client("inspector2", region_name=REGION).enable(
        resourceTypes=["EC2"], accountIds=[ACCOUNT_ID]
    )
    found = statuses(
        collect("inspector2.account_status"), "INSPECTOR_EC2_SCANNING", "INSPECTOR_ECR_SCANNING"
    )
    assert found == {
        ("INSPECTOR_EC2_SCANNING", "AWS::Inspector2::AccountStatus"): "PASS",
        ("INSPECTOR_ECR_SCANNING", "AWS::Inspector2::AccountStatus"): "FAIL",
    }


def run_instances(count: int) -> list[str]:
    ec2 = boto3.client("ec2", region_name=REGION)
    image = ec2.register_image(Name="base", RootDeviceName="/dev/xvda")["ImageId"]
    reservation = ec2.run_instances(ImageId=image, MinCount=count, MaxCount=count)
    return [instance["InstanceId"] for instance in reservation["Instances"]]


def aggregation(instance_id: str, critical: int, high: int) -> dict:
    return {
        "ec2InstanceAggregation": {
            "instanceId": instance_id,
            "accountId": ACCOUNT_ID,
            "severityCounts": {
                "all": critical + high + 1,
                "critical": critical,
                "high": high,
                "medium": 1,
            },
        }
    }


def covered(instance_id: str) -> dict:
    return {
        "resourceType": "AWS_EC2_INSTANCE",
        "resourceId": instance_id,
        "accountId": ACCOUNT_ID,
        "scanType": "PACKAGE",
        "scanStatus": {"statusCode": "ACTIVE", "reason": "SUCCESSFUL"},
    }


# State requires errorCode and errorMessage; AWS fills them even when nothing went wrong.
ENABLED = {"status": "ENABLED", "errorCode": "ALREADY_ENABLED", "errorMessage": "enabled"}
DISABLED = {"status": "DISABLED", "errorCode": "DISABLE_IN_PROGRESS", "errorMessage": "disabled"}


def test_instance_findings_from_inspector_to_finding(aws):
    vulnerable, clean, unscanned = run_instances(3)
    ctx = new_ctx()
    with Stubber(ctx.client("inspector2")) as inspector:
        inspector.add_response(
            "batch_get_account_status",
            {
                "accounts": [
                    {
                        "accountId": ACCOUNT_ID,
                        "state": ENABLED,
                        "resourceState": {"ec2": ENABLED, "ecr": DISABLED},
                    }
                ],
                "failedAccounts": [],
            },
            {"accountIds": [ACCOUNT_ID]},
        )
        inspector.add_response(
            "list_finding_aggregations",
            {
                "aggregationType": "AWS_EC2_INSTANCE",
                "responses": [aggregation(vulnerable, 1, 4), aggregation(clean, 0, 0)],
            },
            {
                "aggregationType": "AWS_EC2_INSTANCE",
                "maxResults": inspector_calls.AGGREGATION_PAGE_SIZE,
            },
        )
        inspector.add_response(
            "list_coverage",
            {"coveredResources": [covered(vulnerable), covered(clean)]},
        )
        instances = collect("ec2.instances", ctx)
        inspector.assert_no_pending_responses()

    found = statuses(instances, "EC2_INSPECTOR_FINDINGS")
    assert found == {
        ("EC2_INSPECTOR_FINDINGS", vulnerable): "FAIL",
        ("EC2_INSPECTOR_FINDINGS", clean): "PASS",
        # Not scanned by Inspector: no finding is not the same as no vulnerability.
        ("EC2_INSPECTOR_FINDINGS", unscanned): "NOT_EVALUATED",
    }


def test_instances_without_inspector_are_not_evaluated(aws):
    (instance,) = run_instances(1)
    # moto: Inspector never enabled, so its status lists no account.
    instances = collect("ec2.instances")
    assert instances[0].data["InspectorScan"] == "ec2 scanning DISABLED"
    assert statuses(instances, "EC2_INSPECTOR_FINDINGS") == {
        ("EC2_INSPECTOR_FINDINGS", instance): "NOT_EVALUATED"
    }
