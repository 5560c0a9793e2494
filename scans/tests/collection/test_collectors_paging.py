"""Every listing a collector reads is followed past its first page (issue 3).

Pages hold one item each, so a collector that stopped after the first page would miss items.
"""

import boto3
import pytest
from botocore import xform_name

from scans.collection.collectors import REGISTRY
from scans.collection.context import CollectContext
from scans.collection.inventory import AccountContext
from scans.tests.paging import serve_pages
from securescope.resources import GLOBAL_REGION
from testing.aws import seed_region

REGION = "eu-west-1"


def paged_collect(
    name: str, service: str, operation: str, items: list, *, region: str = REGION
) -> list:
    """The collector's resources, with `operation` served one item a page."""
    assert len(items) >= 2, "the listing must need more than one page"
    ctx = CollectContext(
        session=boto3.Session(), account=AccountContext("123456789012"), region=region
    )
    requests = serve_pages(ctx.client(service), operation, items, size=1)
    resources = REGISTRY[name].collect(ctx)
    assert ctx.api_calls[f"{service}:{operation}"] == len(items)
    # Each request after the first carries the token the previous page ended with.
    assert len({repr(sorted(request.items())) for request in requests}) == len(items)
    return resources


@pytest.mark.parametrize(
    ("name", "operation", "result_key", "id_key"),
    [
        ("ec2.security_groups", "DescribeSecurityGroups", "SecurityGroups", "GroupId"),
        ("ec2.volumes", "DescribeVolumes", "Volumes", "VolumeId"),
    ],
)
def test_ec2_listings_follow_pages(aws, name, operation, result_key, id_key):
    seed_region(REGION)
    ec2 = boto3.client("ec2", region_name=REGION)
    items = getattr(ec2, xform_name(operation))()[result_key]
    resources = paged_collect(name, "ec2", operation, items)
    assert sorted(r.data[id_key] for r in resources) == sorted(i[id_key] for i in items)


def test_instances_follow_pages(aws):
    seed_region(REGION)  # two instances, one reservation each
    reservations = boto3.client("ec2", region_name=REGION).describe_instances()["Reservations"]
    resources = paged_collect("ec2.instances", "ec2", "DescribeInstances", reservations)
    expected = [instance["InstanceId"] for r in reservations for instance in r["Instances"]]
    assert sorted(r.data["InstanceId"] for r in resources) == sorted(expected)


def test_eks_clusters_follow_pages(aws):
    seed_region(REGION)  # two clusters
    names = boto3.client("eks", region_name=REGION).list_clusters()["clusters"]
    resources = paged_collect("eks.clusters", "eks", "ListClusters", names)
    assert sorted(r.data["name"] for r in resources) == sorted(names)


def test_kms_keys_follow_pages(aws):
    kms = boto3.client("kms", region_name=REGION)
    for _ in range(3):
        kms.create_key()
    keys = kms.list_keys()["Keys"]
    resources = paged_collect("kms.keys", "kms", "ListKeys", keys)
    assert sorted(r.data["KeyId"] for r in resources) == sorted(k["KeyId"] for k in keys)


def test_guardduty_detectors_follow_pages(aws):
    guardduty = boto3.client("guardduty", region_name=REGION)
    detector = guardduty.create_detector(Enable=True)["DetectorId"]
    # AWS allows one detector a region; two pages of the same one still must both be read.
    (setup,) = paged_collect("guardduty.detectors", "guardduty", "ListDetectors", [detector] * 2)
    assert [d["DetectorId"] for d in setup.data["Detectors"]] == [detector, detector]


def test_s3_buckets_follow_pages(aws):
    s3 = boto3.client("s3", region_name="us-east-1")
    for name in ("paged-one", "paged-two", "paged-three"):
        s3.create_bucket(Bucket=name)
    buckets = s3.list_buckets()["Buckets"]
    resources = paged_collect("s3.buckets", "s3", "ListBuckets", buckets, region=GLOBAL_REGION)
    assert sorted(r.data["Name"] for r in resources) == ["paged-one", "paged-three", "paged-two"]


def test_security_hub_standards_follow_pages(aws):
    boto3.client("securityhub", region_name=REGION).enable_security_hub()
    subscriptions = [
        {
            "StandardsSubscriptionArn": f"arn:aws:securityhub:{REGION}:123456789012:"
            f"subscription/standard-{n}",
            "StandardsArn": f"arn:aws:securityhub:{REGION}::standards/standard-{n}",
            "StandardsInput": {},
            "StandardsStatus": "READY",
        }
        for n in range(3)
    ]
    # Moto does not implement GetEnabledStandards: every page comes from the server above.
    (hub,) = paged_collect("securityhub.hub", "securityhub", "GetEnabledStandards", subscriptions)
    assert hub.data["StandardsSubscriptions"] == subscriptions
