"""Throttling: retried by botocore's adaptive mode; when it outlasts the retries, the throttled
collector's resource types are not evaluated, the region ends partial with an error saying so,
the other regions go on, and the scan is partial."""

import pytest
from botocore.awsrequest import AWSResponse

from findings.models import Finding
from scans.collection.aws import AwsCredentials
from scans.collection.context import CollectContext
from scans.lifecycle.services import scan_start, scan_wait
from scans.models import Scan, ScanRegion
from testing.aws import seed_region

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

THROTTLED = (
    b"<Response><Errors><Error><Code>RequestLimitExceeded</Code>"
    b"<Message>Request limit exceeded.</Message></Error></Errors>"
    b"<RequestID>00000000-0000-0000-0000-000000000000</RequestID></Response>"
)


class _Body:
    def stream(self, **kwargs):
        yield THROTTLED


@pytest.fixture
def throttle(monkeypatch):
    """Answer DescribeVolumes in chosen regions with RequestLimitExceeded, `times` times."""
    plan = {"regions": set(), "times": 0, "sent": 0}
    original_client = CollectContext.client

    def client(self, service, region=None):
        api_client = original_client(self, service, region)
        if service == "ec2" and self.region in plan["regions"]:

            def before_send(request, **kwargs):
                body = request.body or b""
                body = body.decode() if isinstance(body, bytes) else body
                if "Action=DescribeVolumes" in body and plan["sent"] < plan["times"]:
                    plan["sent"] += 1
                    return AWSResponse(request.url, 400, {}, _Body())
                return None

            api_client.meta.events.register_first("before-send", before_send, unique_id="throttle")
        return api_client

    monkeypatch.setattr(CollectContext, "client", client)
    return plan


def start(regions):
    credentials = AwsCredentials("AKIAIOSFODNN7EXAMPLE", "x" * 40)
    scan = scan_start(credentials=credentials, regions=regions)
    return scan_wait(scan_id=scan.id, timeout=90)


def test_throttling_within_the_retries_is_absorbed(aws, throttle, settings):
    settings.AWS_MAX_ATTEMPTS = 4
    seed_region("eu-west-1")
    throttle.update(regions={"eu-west-1"}, times=2)
    scan = start(["eu-west-1"])
    assert throttle["sent"] == 2
    assert scan.status == Scan.Status.SUCCEEDED
    assert Finding.objects.filter(scan=scan, rule_id="EC2_EBS_ENCRYPTION").exists()


def test_persistent_throttling_costs_that_collector_of_that_region_only(aws, throttle, settings):
    settings.AWS_MAX_ATTEMPTS = 2
    seed_region("eu-west-1")
    seed_region("us-west-2")
    throttle.update(regions={"us-west-2"}, times=10_000)
    scan = start(["eu-west-1", "us-west-2"])
    assert scan.status == Scan.Status.PARTIAL
    throttled = ScanRegion.objects.get(scan=scan, region="us-west-2")
    reason = (
        "collector ec2.volumes failed: RequestLimitExceeded (AWS kept throttling after 2 attempts)"
    )
    assert (throttled.status, throttled.error) == (ScanRegion.Status.PARTIAL, reason)
    # The volume rules say why they were not evaluated, rather than having no row at all.
    volumes = Finding.objects.filter(scan=scan, region="us-west-2", rule_id="EC2_EBS_ENCRYPTION")
    assert [(f.status, f.evidence) for f in volumes] == [("NOT_EVALUATED", {"reason": reason})]
    # What the region could collect is still reported.
    assert Finding.objects.filter(scan=scan, region="us-west-2", rule_id="EC2_SG_SSH_OPEN").exists()
    healthy = ScanRegion.objects.get(scan=scan, region="eu-west-1")
    assert healthy.status == ScanRegion.Status.SUCCEEDED
