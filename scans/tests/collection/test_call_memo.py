"""A scan never makes the same AWS request twice, and lists each thing once per region."""

import json
import uuid
from collections import Counter
from urllib.parse import urlsplit

import boto3
import pytest
from botocore.exceptions import ClientError

from scans.collection.aws import AwsCredentials
from scans.collection.clients import ClientFactory
from scans.collection.context import CollectContext, Denied
from scans.collection.inventory import AccountContext
from scans.lifecycle.services import scan_start, scan_wait
from scans.models import ScanRegion
from scans.tests.paging import serve_pages
from securescope.resources import GLOBAL_REGION
from testing.aws import seed_region

pytestmark = pytest.mark.django_db(transaction=True)
REGIONS = ["eu-west-1", "us-west-2"]


@pytest.fixture
def requests_seen(monkeypatch) -> Counter:
    """Every request the collectors send: endpoint, operation and the serialized parameters.

    Keyed by the endpoint the request goes to, not the unit that sends it: an account-wide call
    made from two units is the same request twice.
    """
    seen: Counter = Counter()
    original = ClientFactory._before_call

    def before_call(self, model, **kwargs):
        request = kwargs["params"]
        body = request.get("body")
        body = body.decode() if isinstance(body, bytes) else body
        seen[
            (
                urlsplit(request["url"]).netloc,
                f"{model.service_model.service_name}:{model.name}",
                request.get("url_path"),
                json.dumps(request.get("query_string"), sort_keys=True, default=str),
                body if isinstance(body, str) else json.dumps(body, sort_keys=True, default=str),
            )
        ] += 1
        return original(self, model, **kwargs)

    monkeypatch.setattr(ClientFactory, "_before_call", before_call)
    return seen


@pytest.mark.slow
def test_no_request_is_made_twice_and_listings_are_made_once_per_region(aws, requests_seen):
    for region in REGIONS:
        seed_region(region)
        eks = boto3.client("eks", region_name=region)
        for name in ("open-cluster", "tight-cluster"):
            subnets = eks.describe_cluster(name=name)["cluster"]["resourcesVpcConfig"]["subnetIds"]
            eks.create_nodegroup(
                clusterName=name,
                nodegroupName="workers",
                subnets=subnets,
                nodeRole="arn:aws:iam::123456789012:role/node",
            )
    scan = scan_start(credentials=AwsCredentials("AKIAIOSFODNN7EXAMPLE", "x" * 40), regions=REGIONS)
    scan = scan_wait(scan_id=scan.id, timeout=90)
    assert requests_seen, "the hook saw no request"
    repeated = [key[:2] for key, count in requests_seen.items() if count > 1]
    assert repeated == []

    for unit in ScanRegion.objects.filter(scan=scan).exclude(region="global"):
        calls = unit.api_calls
        # Listings the EC2 and EKS rules share: one request each (one page here).
        for operation in (
            "ec2:DescribeSecurityGroups",
            "ec2:DescribeInstances",
            "ec2:DescribeVolumes",
            "ec2:DescribeVpcs",
            "ec2:DescribeFlowLogs",
            "ec2:DescribeNetworkAcls",
            "ec2:GetEbsEncryptionByDefault",
            "eks:ListClusters",
        ):
            assert calls[operation] == 1, (unit.region, operation)
        # Per item, once: two clusters are described once each although the cluster and the
        # node-group collectors both read them.
        assert calls["eks:DescribeCluster"] == 2
        assert calls["eks:ListNodegroups"] == 2
        assert calls["eks:DescribeNodegroup"] == 2
    global_calls = ScanRegion.objects.get(scan=scan, region="global").api_calls
    assert global_calls["iam:GetAccountSummary"] == 1
    # Account-wide: the global unit and both regions' EKS collectors need the OIDC providers.
    per_scan = Counter()
    for unit in ScanRegion.objects.filter(scan=scan):
        per_scan.update(unit.api_calls)
    for operation in (
        "iam:ListOpenIDConnectProviders",
        "iam:GetAccountSummary",
        "iam:GetAccountPasswordPolicy",
        "s3:ListBuckets",
    ):
        assert per_scan[operation] == 1, operation


def test_a_listing_of_several_pages_makes_one_request_per_page(aws, requests_seen, monkeypatch):
    seed_region("eu-west-1")
    groups = boto3.client("ec2", region_name="eu-west-1").describe_security_groups()[
        "SecurityGroups"
    ]
    original_client = ClientFactory.client

    def client(self, service, region=None):
        fresh = (service, region or self.api_region) not in self._clients
        api_client = original_client(self, service, region)
        if service == "ec2" and fresh:
            serve_pages(api_client, "DescribeSecurityGroups", groups, size=1)
        return api_client

    monkeypatch.setattr(ClientFactory, "client", client)
    scan = scan_start(
        credentials=AwsCredentials("AKIAIOSFODNN7EXAMPLE", "x" * 40), regions=["eu-west-1"]
    )
    scan = scan_wait(scan_id=scan.id, timeout=90)

    assert len(groups) >= 3
    unit = ScanRegion.objects.get(scan=scan, region="eu-west-1")
    assert unit.api_calls["ec2:DescribeSecurityGroups"] == len(groups)
    assert [key for key, count in requests_seen.items() if count > 1] == []


def test_an_account_wide_refusal_is_replayed_to_the_other_units_without_a_call(aws):
    scan_id = str(uuid.uuid4())
    global_unit, region_unit = (
        CollectContext(
            session=boto3.Session(),
            account=AccountContext("123456789012"),
            region=region,
            scan_id=scan_id,
        )
        for region in (GLOBAL_REGION, "eu-west-1")
    )

    def refuse(model, **kwargs):
        raise ClientError({"Error": {"Code": "AccessDenied", "Message": "no"}}, model.name)

    global_unit.client("iam").meta.events.register("before-call", refuse)
    with pytest.raises(Denied):
        global_unit.call("iam", "list_open_id_connect_providers", once_per_scan=True)
    with pytest.raises(Denied, match="iam:ListOpenIDConnectProviders"):
        region_unit.call(
            "iam", "list_open_id_connect_providers", region="us-east-1", once_per_scan=True
        )
    assert global_unit.permissions == {"iam:ListOpenIDConnectProviders": "denied"}
    assert region_unit.api_calls == Counter()
