"""The demo account plants a failing and a passing case for the rules moto can represent, so a
demo scan shows each of them both ways."""

from collections import defaultdict

import boto3
import pytest

from rules.engine import evaluate
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
from scans.lifecycle.services import _collect
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
)
# Account-wide settings exist once: the demo shows one side, the other is in the rule's cases.
PLANTED_ONE_WAY = {
    "CLOUDTRAIL_S3_DATA_EVENTS_WRITE": "PASS",
    "CLOUDTRAIL_S3_DATA_EVENTS_READ": "FAIL",
    "GUARDDUTY_EKS_RUNTIME": "FAIL",
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
    for evaluation in evaluate(load_catalog(), resources):
        found[evaluation.rule.id].add(evaluation.result.status)
    return found


@pytest.mark.parametrize("rule_id", PLANTED_BOTH_WAYS)
def test_demo_fails_and_passes(demo_statuses, rule_id):
    assert {"FAIL", "PASS"} <= demo_statuses[rule_id]


@pytest.mark.parametrize(("rule_id", "status"), sorted(PLANTED_ONE_WAY.items()))
def test_demo_shows_account_settings(demo_statuses, rule_id, status):
    assert status in demo_statuses[rule_id]
