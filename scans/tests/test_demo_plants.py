"""The demo account plants a failing and a passing case for the rules moto can represent, so a
demo scan shows each of them both ways."""

from collections import defaultdict

import boto3
import pytest

from rules.engine import evaluate
from rules.exposure.model import exposure_nodes
from rules.loading import load_catalog
from scans.collection.context import CollectContext
from scans.collection.demo import (
    DEMO_ACCESS_KEY_ID,
    DEMO_ACCOUNT_ID,
    DEMO_REGIONS,
    DEMO_SECRET_ACCESS_KEY,
    reset_moto_server,
    seed_account,
)
from scans.collection.inventory import AccountContext
from scans.lifecycle.units import _collect
from securescope.resources import GLOBAL_REGION

PLANTED_BOTH_WAYS = (
    "S3_BUCKET_PUBLIC_READ",
    "S3_BUCKET_PUBLIC_WRITE",
    "S3_ACLS_ENABLED",
    "CLOUDTRAIL_BUCKET_PUBLIC",
    "CLOUDTRAIL_BUCKET_ACCESS_LOGGING",
    "CLOUDTRAIL_CLOUDWATCH_LOGS",
    "EC2_LT_IMDSV2",
    "EC2_LT_HOP_LIMIT",
    "EC2_LT_PUBLIC_IP",
    "EC2_LT_EBS_UNENCRYPTED",
    "EC2_ASG_LC_IMDSV2",
    "EC2_ASG_LC_HOP_LIMIT",
    "EC2_ASG_LC_PUBLIC_IP",
    "EC2_ASG_LAUNCH_CONFIGURATION",
    "EC2_SG_DEFAULT_IN_USE",
    "EKS_NODE_ROLE_OVERPRIVILEGED",
    "EKS_NODE_ROLE_ECR_WRITE",
    "EKS_NODES_PUBLIC",
    "EKS_LOG_RETENTION",
    "ECR_SCAN_ON_PUSH",
    "ECR_REPO_PUBLIC_POLICY",
    "ECR_TAG_IMMUTABILITY",
    "INSPECTOR_EC2_SCANNING",
    "INSPECTOR_ECR_SCANNING",
    # Regional settings: on in the first demo region, off in the second.
    "GUARDDUTY_EKS_AUDIT_LOGS",
    "IAM_USER_DIRECT_POLICIES",
    "IAM_KEY_CREATED_AT_SETUP",
    # A full path and a near miss of each kind (scans/collection/demo_exposure.py).
    "EXPOSURE_ADMIN_PORT_POWERFUL_INSTANCE",
    "EXPOSURE_REACHABLE_INSTANCE_ROLE_IMDSV1",
    "EXPOSURE_LOAD_BALANCER_WEAK_TARGET",
    "EXPOSURE_EKS_ENDPOINT_POWERFUL_CLUSTER",
    "EXPOSURE_REACHABLE_INTERFACE_RISKY_PORT",
    "EC2_INSTANCE_WEARS_ADMIN_ROLE",
)
# Account-wide settings exist once: the demo shows one side, the other is in the rule's cases.
PLANTED_ONE_WAY = {
    "CLOUDTRAIL_S3_DATA_EVENTS_WRITE": "PASS",
    "CLOUDTRAIL_S3_DATA_EVENTS_READ": "FAIL",
    "GUARDDUTY_EKS_RUNTIME": "FAIL",
    "CLOUDWATCH_ALARM_ROOT_USAGE": "PASS",
    "CLOUDWATCH_ALARM_UNAUTHORIZED_API_CALLS": "FAIL",
    # moto loads no AWS managed policies for the demo, so no role can hold AWSSupportAccess
    # and nobody holds AWSCloudShellFullAccess.
    "IAM_SUPPORT_ROLE": "FAIL",
    "IAM_CLOUDSHELL_FULL_ACCESS": "PASS",
    # moto dates every server certificate in 2012 and reports root without MFA.
    "IAM_EXPIRED_SERVER_CERT": "FAIL",
    "IAM_ROOT_HARDWARE_MFA": "FAIL",
    "ACCOUNT_SECURITY_CONTACT": "FAIL",
}


@pytest.fixture(scope="module")
def demo_statuses() -> dict[str, set[str]]:
    """Every status each rule got in two regions and the account-wide unit of the demo."""
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        endpoint = f"http://{host}:{port}"
        reset_moto_server(endpoint)
        seed_account(endpoint, regions=DEMO_REGIONS[:2])
        session = boto3.Session(
            aws_access_key_id=DEMO_ACCESS_KEY_ID, aws_secret_access_key=DEMO_SECRET_ACCESS_KEY
        )
        resources = []
        for region in (*DEMO_REGIONS[:2], GLOBAL_REGION):
            ctx = CollectContext(
                session=session,
                account=AccountContext(DEMO_ACCOUNT_ID),
                region=region,
                endpoint_url=endpoint,
            )
            resources += _collect(ctx).resources
    finally:
        server.stop()
    found: dict[str, set[str]] = defaultdict(set)
    nodes = [
        node
        for region in DEMO_REGIONS[:2]
        for node in exposure_nodes(
            [resource for resource in resources if resource.region == region]
        )
    ]
    for evaluation in evaluate(load_catalog(), [*resources, *nodes]):
        found[evaluation.rule.id].add(evaluation.result.status)
    return found


@pytest.mark.parametrize("rule_id", PLANTED_BOTH_WAYS)
def test_demo_fails_and_passes(demo_statuses, rule_id):
    assert {"FAIL", "PASS"} <= demo_statuses[rule_id]


@pytest.mark.parametrize(("rule_id", "status"), sorted(PLANTED_ONE_WAY.items()))
def test_demo_shows_account_settings(demo_statuses, rule_id, status):
    assert status in demo_statuses[rule_id]
