"""S3 exposure and CloudTrail log-bucket rules from collector to finding, against moto."""

import json

import boto3
import pytest
from botocore.stub import Stubber

from rules.engine import evaluate
from rules.loading import load_catalog
from rules.schema import Catalog
from scans.collection.collectors import REGISTRY
from scans.collection.context import CollectContext, Unavailable
from scans.collection.inventory import AccountContext

ACCOUNT_ID = "123456789012"
PUBLIC_READ = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": "*",
            "Action": "s3:GetObject",
            "Resource": "arn:aws:s3:::{bucket}/*",
        }
    ],
}
ENDPOINT_ONLY = {
    "Version": "2012-10-17",
    "Statement": [
        {
            **PUBLIC_READ["Statement"][0],
            "Condition": {"StringEquals": {"aws:SourceVpce": "vpce-0123456789abcdef0"}},
        }
    ],
}
ALL_USERS = "http://acs.amazonaws.com/groups/global/AllUsers"
BUCKET_RULES = ("S3_BUCKET_PUBLIC_READ", "S3_BUCKET_PUBLIC_WRITE", "S3_ACLS_ENABLED")
TRAIL_RULES = (
    "CLOUDTRAIL_BUCKET_PUBLIC",
    "CLOUDTRAIL_BUCKET_ACCESS_LOGGING",
    "CLOUDTRAIL_CLOUDWATCH_LOGS",
    "CLOUDTRAIL_S3_DATA_EVENTS_WRITE",
    "CLOUDTRAIL_S3_DATA_EVENTS_READ",
)


def make_ctx() -> CollectContext:
    return CollectContext(
        session=boto3.Session(), account=AccountContext(ACCOUNT_ID), region="global"
    )


def statuses(resources, rule_ids) -> dict[tuple[str, str], str]:
    """(rule id, bucket or trail name) -> status."""
    catalog = Catalog(rules=tuple(r for r in load_catalog().rules if r.id in rule_ids), errors=())
    return {
        (evaluation.rule.id, evaluation.resource.arn.rsplit("/", 1)[-1].rsplit(":", 1)[-1]): (
            evaluation.result.status
        )
        for evaluation in evaluate(catalog, resources)
    }


def put_policy(s3, bucket: str, policy: dict) -> None:
    s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps(policy).replace("{bucket}", bucket))


def enforce_owner(s3, bucket: str) -> None:
    s3.put_bucket_ownership_controls(
        Bucket=bucket, OwnershipControls={"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}
    )


@pytest.fixture
def exposed_buckets(aws):
    s3 = boto3.client("s3", region_name="us-east-1")
    for name in ("policy-public", "acl-public", "acl-writable", "private", "endpoint-only"):
        s3.create_bucket(Bucket=name)
    put_policy(s3, "policy-public", PUBLIC_READ)
    s3.put_bucket_acl(Bucket="acl-public", ACL="public-read")
    # moto's canned public-read-write grants READ only: grant WRITE itself.
    owner = s3.get_bucket_acl(Bucket="acl-writable")["Owner"]
    s3.put_bucket_acl(
        Bucket="acl-writable",
        AccessControlPolicy={
            "Owner": owner,
            "Grants": [
                {"Grantee": {"Type": "Group", "URI": ALL_USERS}, "Permission": "WRITE"},
            ],
        },
    )
    put_policy(s3, "endpoint-only", ENDPOINT_ONLY)
    for name in ("private", "endpoint-only"):
        enforce_owner(s3, name)
    return s3


def test_public_buckets_from_collector_to_finding(exposed_buckets):
    found = statuses(REGISTRY["s3.buckets"].collect(make_ctx()), BUCKET_RULES)

    expected = {
        ("S3_BUCKET_PUBLIC_READ", "policy-public"): "FAIL",
        ("S3_BUCKET_PUBLIC_READ", "acl-public"): "FAIL",
        ("S3_BUCKET_PUBLIC_READ", "private"): "PASS",
        ("S3_BUCKET_PUBLIC_READ", "endpoint-only"): "PASS",
        ("S3_BUCKET_PUBLIC_WRITE", "acl-writable"): "FAIL",
        ("S3_BUCKET_PUBLIC_WRITE", "acl-public"): "PASS",
        ("S3_BUCKET_PUBLIC_WRITE", "policy-public"): "PASS",
        ("S3_ACLS_ENABLED", "acl-public"): "FAIL",
        ("S3_ACLS_ENABLED", "private"): "PASS",
    }
    assert {key: found[key] for key in expected} == expected


def test_account_block_public_access_neutralizes_public_grants(exposed_buckets):
    boto3.client("s3control", region_name="us-east-1").put_public_access_block(
        AccountId=ACCOUNT_ID,
        PublicAccessBlockConfiguration={
            "BlockPublicAcls": True,
            "IgnorePublicAcls": True,
            "BlockPublicPolicy": True,
            "RestrictPublicBuckets": True,
        },
    )
    ctx = make_ctx()
    found = statuses(REGISTRY["s3.buckets"].collect(ctx), ("S3_BUCKET_PUBLIC_READ",))

    assert set(found.values()) == {"PASS"}
    # One account-level call for every bucket.
    assert ctx.api_calls["s3control:GetPublicAccessBlock"] == 1


def test_without_s3s_verdict_the_policy_itself_is_judged(exposed_buckets, monkeypatch):
    ctx = make_ctx()
    real_call = ctx.call

    def call(service, operation, **params):
        if operation == "get_bucket_policy_status":
            raise Unavailable("s3:GetBucketPolicyStatus", "API unavailable")
        return real_call(service, operation, **params)

    monkeypatch.setattr(ctx, "call", call)
    buckets = REGISTRY["s3.buckets"].collect(ctx)
    found = statuses(buckets, ("S3_BUCKET_PUBLIC_READ",))

    assert found[("S3_BUCKET_PUBLIC_READ", "policy-public")] == "FAIL"
    assert found[("S3_BUCKET_PUBLIC_READ", "endpoint-only")] == "PASS"
    assert all("PolicyStatus" not in bucket.missing for bucket in buckets)


def test_refused_account_setting_leaves_only_undecided_buckets_not_evaluated(exposed_buckets):
    ctx = make_ctx()
    with Stubber(ctx.client("s3control")) as s3control:
        s3control.add_client_error("get_public_access_block", "AccessDenied", http_status_code=403)
        found = statuses(REGISTRY["s3.buckets"].collect(ctx), ("S3_BUCKET_PUBLIC_READ",))

    # A public policy might be restricted account-wide; a bucket that grants nothing is private.
    assert found[("S3_BUCKET_PUBLIC_READ", "policy-public")] == "NOT_EVALUATED"
    assert found[("S3_BUCKET_PUBLIC_READ", "private")] == "PASS"
    assert ctx.permissions["s3:GetAccountPublicAccessBlock"] == "denied"


def create_trail(name: str, bucket: str, **options) -> None:
    cloudtrail = boto3.client("cloudtrail", region_name="us-east-1")
    cloudtrail.create_trail(Name=name, S3BucketName=bucket, IsMultiRegionTrail=True, **options)
    cloudtrail.start_logging(Name=name)


def test_trail_bucket_and_delivery_rules_from_collector_to_finding(aws):
    s3 = boto3.client("s3", region_name="us-east-1")
    for name in ("open-trail-logs", "tight-trail-logs", "access-logs"):
        s3.create_bucket(Bucket=name)
    s3.put_bucket_acl(Bucket="open-trail-logs", ACL="public-read")
    enforce_owner(s3, "tight-trail-logs")
    s3.put_bucket_acl(Bucket="access-logs", ACL="log-delivery-write")
    s3.put_bucket_logging(
        Bucket="tight-trail-logs",
        BucketLoggingStatus={
            "LoggingEnabled": {"TargetBucket": "access-logs", "TargetPrefix": "trail/"}
        },
    )
    logs = boto3.client("logs", region_name="us-east-1")
    logs.create_log_group(logGroupName="trail-events")
    create_trail("open-trail", "open-trail-logs")
    create_trail(
        "tight-trail",
        "tight-trail-logs",
        CloudWatchLogsLogGroupArn=logs.describe_log_groups()["logGroups"][0]["arn"],
        CloudWatchLogsRoleArn=f"arn:aws:iam::{ACCOUNT_ID}:role/trail-to-logs",
    )
    boto3.client("cloudtrail", region_name="us-east-1").put_event_selectors(
        TrailName="tight-trail",
        EventSelectors=[
            {
                "ReadWriteType": "WriteOnly",
                "IncludeManagementEvents": True,
                "DataResources": [{"Type": "AWS::S3::Object", "Values": ["arn:aws:s3"]}],
            }
        ],
    )
    # Logs to a bucket this account does not own (an organization's log archive): moto wants
    # the bucket to exist when the trail is made, so it leaves the account afterwards.
    s3.create_bucket(Bucket="org-log-archive")
    create_trail("archived-trail", "org-log-archive")
    s3.delete_bucket(Bucket="org-log-archive")

    found = statuses(REGISTRY["cloudtrail.trails"].collect(make_ctx()), TRAIL_RULES)

    expected = {
        ("CLOUDTRAIL_BUCKET_PUBLIC", "open-trail"): "FAIL",
        ("CLOUDTRAIL_BUCKET_PUBLIC", "tight-trail"): "PASS",
        ("CLOUDTRAIL_BUCKET_PUBLIC", "archived-trail"): "NOT_EVALUATED",
        ("CLOUDTRAIL_BUCKET_ACCESS_LOGGING", "open-trail"): "FAIL",
        ("CLOUDTRAIL_BUCKET_ACCESS_LOGGING", "tight-trail"): "PASS",
        ("CLOUDTRAIL_CLOUDWATCH_LOGS", "open-trail"): "FAIL",
        ("CLOUDTRAIL_CLOUDWATCH_LOGS", "tight-trail"): "PASS",
        ("CLOUDTRAIL_S3_DATA_EVENTS_WRITE", "trails"): "PASS",
        ("CLOUDTRAIL_S3_DATA_EVENTS_READ", "trails"): "FAIL",
    }
    assert {key: found[key] for key in expected} == expected
