"""From a finished scan to advice in the exports, through the stand-in model server."""

import json

import boto3
import pytest
from django.conf import settings
from django.urls import reverse

from advice.models import Advice, ScanAdvice
from advice.prompts import SECTIONS
from advice.services import advice_plan_for_scan, advice_wait
from advice.tests.conftest import STAND_IN_MODEL, rules_beyond_the_stand_in
from findings.exports import export_json
from findings.models import Finding
from findings.selectors import finding_list
from scans.collection.demo import DEMO_REGIONS, demo_credentials, demo_server
from scans.lifecycle.services import scan_start_demo, scan_wait
from scans.models import Scan
from testing.factories import create_finding, create_scan, create_user

pytestmark = pytest.mark.django_db(transaction=True)


def demo_scan_with_advice() -> Scan:
    scan = scan_wait(scan_id=scan_start_demo().id, timeout=120)
    assert scan.status == Scan.Status.SUCCEEDED
    assert advice_wait(scan_id=scan.id, timeout=60) == 0
    return scan


def demo_identifiers() -> set[str]:
    """Every name and id the demo account holds that a prompt must never carry."""
    credentials = demo_credentials(demo_server.endpoint)
    session = boto3.Session(
        aws_access_key_id=credentials.access_key_id,
        aws_secret_access_key=credentials.secret_access_key,
    )

    def client(service, region="us-east-1"):
        return session.client(service, region_name=region, endpoint_url=demo_server.endpoint)

    found = {"123456789012"}
    for region in DEMO_REGIONS:
        ec2 = client("ec2", region)
        for reservation in ec2.describe_instances()["Reservations"]:
            found |= {instance["InstanceId"] for instance in reservation["Instances"]}
        found |= {group["GroupId"] for group in ec2.describe_security_groups()["SecurityGroups"]}
        found |= {volume["VolumeId"] for volume in ec2.describe_volumes()["Volumes"]}
        found |= {vpc["VpcId"] for vpc in ec2.describe_vpcs()["Vpcs"]}
        snapshots = ec2.describe_snapshots(OwnerIds=["self"])["Snapshots"]
        found |= {snapshot["SnapshotId"] for snapshot in snapshots}
        found |= set(client("eks", region).list_clusters()["clusters"])
    found |= {bucket["Name"] for bucket in client("s3").list_buckets()["Buckets"]}
    found |= {user["UserName"] for user in client("iam").list_users()["Users"]}
    found |= {trail["Name"] for trail in client("cloudtrail").describe_trails()["trailList"]}
    return found


@pytest.mark.slow
@pytest.mark.moto
def test_failing_findings_get_model_advice_once_per_shape_and_prompts_hold_no_identifier(
    demo, llm_server
):
    scan = demo_scan_with_advice()
    items = ScanAdvice.objects.filter(scan=scan)
    failing = Finding.objects.filter(scan=scan, status="FAIL")
    assert items.count() == len(llm_server.prompts), "one generation per (rule, shape)"
    assert items.count() < failing.count() / 3, "shapes are shared by many findings"
    assert set(items.values_list("status", flat=True)) == {ScanAdvice.Status.DONE}
    assert sum(items.values_list("findings_count", flat=True)) == failing.count()
    beyond = rules_beyond_the_stand_in(settings.ADVICE_SECTION_MAX_CHARS)
    sources = Advice.objects.values_list("rule_id", "source")
    assert {source for rule_id, source in sources if rule_id not in beyond} == {"model"}
    assert {source for rule_id, source in sources if rule_id in beyond} <= {"curated"}

    identifiers = demo_identifiers()
    assert len(identifiers) > 100
    everything_sent = "\n".join(json.dumps(request) for request in llm_server.requests)
    assert not [value for value in identifiers if value in everything_sent]

    document = json.loads("".join(export_json(scan, finding_list(scan_id=scan.id))))
    exported = [f for f in document["findings"] if f["status"] == "FAIL"]
    assert len(exported) == failing.count()
    for finding in exported:
        sections = finding["advice"]["sections"]
        assert sorted(sections) == sorted(SECTIONS)
        assert all(sections.values())
        if finding["rule_id"] in beyond:
            assert finding["advice"]["source"] == "curated"
            continue
        assert finding["advice"]["source"] == "model"
        assert finding["advice"]["model"] == STAND_IN_MODEL
        assert finding["advice"]["generated_at"].endswith("Z")
        assert finding["advice"]["markdown"].startswith("### Why it matters")
    assert all("advice" not in f for f in document["findings"] if f["status"] != "FAIL")

    # A second scan of the same account finds every shape cached: no model call.
    calls = len(llm_server.prompts)
    second = demo_scan_with_advice()
    assert len(llm_server.prompts) == calls
    assert ScanAdvice.objects.filter(scan=second, status="done").count() == items.count()


def test_the_scan_page_shows_advice_progress_and_sanitized_advice(client, llm_server):
    scan = create_scan(status=Scan.Status.SUCCEEDED)
    create_finding(scan, rule_id="EC2_SG_SSH_OPEN", evidence={"open_ports": [22]})
    advice_plan_for_scan(scan_id=scan.id)
    # The advice thread, not this request, writes it: a busy machine may not have run it yet.
    assert advice_wait(scan_id=scan.id, timeout=30) == 0
    client.force_login(create_user())
    page = client.get(reverse("advice:scan", args=[scan.id])).content.decode()
    assert "advice 1/1" in page
    assert f"written by {STAND_IN_MODEL}" in page
    assert "<h3>Fix it with the AWS CLI</h3>" in page
    assert "hx-trigger" not in page, "polling stops once every item is done"


def test_without_a_model_nothing_is_asked_and_the_page_says_why(client, settings):
    settings.LLM_MODEL_PATH = settings.LLM_ENDPOINT = ""
    scan = create_scan(status=Scan.Status.SUCCEEDED)
    create_finding(scan, rule_id="EC2_SG_SSH_OPEN", evidence={"open_ports": [22]})
    assert advice_plan_for_scan(scan_id=scan.id) == []
    assert not ScanAdvice.objects.exists()
    client.force_login(create_user())
    page = client.get(reverse("advice:scan", args=[scan.id])).content.decode()
    assert "no model is configured (LLM_MODEL_PATH or LLM_ENDPOINT)" in page

    document = json.loads("".join(export_json(scan, finding_list(scan_id=scan.id))))
    advice = document["findings"][0]["advice"]
    assert advice["source"] == "curated"
    assert advice["model"] is None
    assert "revoke-security-group-ingress" in advice["markdown"]


def test_the_feature_flag_switches_advice_off_even_with_a_model(client, settings, llm_server):
    settings.FEATURE_FLAGS = []
    scan = create_scan(status=Scan.Status.SUCCEEDED)
    create_finding(scan, rule_id="EC2_SG_SSH_OPEN", evidence={"open_ports": [22]})
    assert advice_plan_for_scan(scan_id=scan.id) == []
    assert not llm_server.prompts
    client.force_login(create_user())
    page = client.get(reverse("advice:scan", args=[scan.id])).content.decode()
    assert "the llm feature flag is off (FEATURE_FLAGS)" in page


def test_the_per_scan_cap_keeps_the_most_severe_shapes(settings, llm_server):
    settings.ADVICE_PER_SCAN_CAP = 2
    scan = create_scan(status=Scan.Status.SUCCEEDED)
    create_finding(scan, rule_id="EC2_SG_SSH_OPEN", severity="high", evidence={"open_ports": [22]})
    create_finding(
        scan, rule_id="EC2_IMDSV2_REQUIRED", severity="medium", evidence={"http_tokens": "optional"}
    )
    create_finding(
        scan, rule_id="EC2_INSTANCE_ROLE_ADMIN", severity="critical", evidence={"admin": True}
    )
    create_finding(
        scan, rule_id="EC2_DETAILED_MONITORING", severity="low", evidence={"monitoring": "disabled"}
    )
    advice_plan_for_scan(scan_id=scan.id)
    assert advice_wait(scan_id=scan.id, timeout=30) == 0
    statuses = dict(ScanAdvice.objects.filter(scan=scan).values_list("rule_id", "status"))
    assert statuses == {
        "EC2_INSTANCE_ROLE_ADMIN": "done",
        "EC2_SG_SSH_OPEN": "done",
        "EC2_IMDSV2_REQUIRED": "capped",
        "EC2_DETAILED_MONITORING": "capped",
    }
    assert len(llm_server.prompts) == 2


def test_a_prompt_with_an_identifier_is_refused_counted_and_never_sent(settings, llm_server):
    scan = create_scan(status=Scan.Status.SUCCEEDED)
    # Evidence that escaped redaction (a bug in an evaluator) must still not reach the model.
    Finding.objects.filter(id=create_finding(scan, rule_id="EC2_SG_SSH_OPEN").id).update(
        evidence={"open_ports": [22], "note": "see sg-0123456789abcdef0"}
    )
    advice_plan_for_scan(scan_id=scan.id)
    assert advice_wait(scan_id=scan.id, timeout=30) == 0
    item = ScanAdvice.objects.get(scan=scan)
    assert item.status == ScanAdvice.Status.REFUSED
    assert "resource_id" in item.error
    assert "sg-0123456789abcdef0" not in item.error
    assert not llm_server.prompts


def test_a_failing_finding_shows_its_advice_and_who_wrote_it(client, llm_server):
    scan = create_scan(status=Scan.Status.SUCCEEDED)
    finding = create_finding(scan, rule_id="EC2_SG_SSH_OPEN", evidence={"open_ports": [22]})
    advice_plan_for_scan(scan_id=scan.id)
    assert advice_wait(scan_id=scan.id, timeout=30) == 0
    client.force_login(create_user())
    page = client.get(reverse("findings:detail", args=[finding.id])).content.decode()
    assert f"Advice written by {STAND_IN_MODEL}" in page
    assert "<h3>Blast radius</h3>" in page
