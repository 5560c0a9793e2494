"""Denied actions are listed on the scan page while the scan runs, and checked at its start."""

import logging

import boto3
import pytest
from botocore.awsrequest import AWSResponse
from botocore.stub import Stubber
from django.urls import reverse

import scans.collection.permissions
from scans.collection.aws import AwsCredentials
from scans.collection.permissions import policy_denials, policy_principal_arn, scan_actions
from scans.lifecycle.selectors import scan_denied_actions
from scans.lifecycle.services import scan_finalize_if_complete, scan_start
from scans.models import Scan, ScanRegion
from testing.factories import create_scan, create_scan_region, create_user


class RawBody:
    def __init__(self, content: bytes) -> None:
        self.content = content

    def stream(self, **kwargs):
        yield self.content


pytestmark = pytest.mark.django_db


def test_running_scan_page_lists_what_ended_units_were_denied(client):
    scan = create_scan(status=Scan.Status.RUNNING, regions=["eu-west-1", "us-west-2"])
    create_scan_region(
        scan,
        region="eu-west-1",
        status=ScanRegion.Status.SUCCEEDED,
        permissions={"ec2:DescribeVolumes": "denied", "ec2:DescribeVpcs": "ok"},
    )
    # A unit still running has not stored its record yet; one that has is not yet final.
    create_scan_region(
        scan,
        region="us-west-2",
        status=ScanRegion.Status.RUNNING,
        permissions={"ec2:DescribeVpcs": "denied"},
    )
    client.force_login(create_user())

    page = client.get(reverse("scan_pages:detail", args=[scan.id])).content.decode()

    assert "Missing permissions" in page
    assert "&quot;ec2:DescribeVolumes&quot;" in page
    assert "ec2:DescribeVpcs" not in page


def test_finished_scan_page_lists_the_scans_record(client):
    scan = create_scan(minimal_permissions={"kms:ListKeys": "denied", "ec2:DescribeVpcs": "ok"})
    create_scan_region(scan, region="us-east-1", status=ScanRegion.Status.SUCCEEDED)
    client.force_login(create_user())

    page = client.get(reverse("scan_pages:detail", args=[scan.id])).content.decode()

    assert "&quot;kms:ListKeys&quot;" in page
    assert "ec2:DescribeVpcs" not in page


# The policy check at scan start ---------------------------------------------------------------

AUDITOR_ARN = "arn:aws:iam::123456789012:user/auditor"


@pytest.fixture
def simulator(monkeypatch):
    """The check's IAM client, answered by a Stubber: moto has no policy simulator."""
    iam = boto3.client("iam", region_name="us-east-1")

    def iam_client(session, service, *args, **kwargs):
        assert service == "iam"
        return iam

    monkeypatch.setattr(scans.collection.permissions, "new_client", iam_client)
    with Stubber(iam) as stubber:
        yield stubber
        stubber.assert_no_pending_responses()


def simulated(*decisions: tuple[str, str], **extra) -> dict:
    return {
        "EvaluationResults": [
            {"EvalActionName": action, "EvalDecision": decision, **extra}
            for action, decision in decisions
        ],
        "IsTruncated": False,
    }


def expect_simulation(stubber: Stubber, response: dict, marker: str = "") -> None:
    params = {"PolicySourceArn": AUDITOR_ARN, "ActionNames": scan_actions()}
    if marker:
        params["Marker"] = marker
    stubber.add_response("simulate_principal_policy", response, params)


@pytest.mark.parametrize(
    ("caller_arn", "principal_arn"),
    [
        (AUDITOR_ARN, AUDITOR_ARN),
        (
            "arn:aws:iam::123456789012:user/team/auditor",
            "arn:aws:iam::123456789012:user/team/auditor",
        ),
        (
            "arn:aws-cn:sts::123456789012:assumed-role/Audit/SecureScope",
            "arn:aws-cn:iam::123456789012:role/Audit",
        ),
        ("arn:aws:iam::123456789012:root", None),
        ("arn:aws:sts::123456789012:federated-user/auditor", None),
        ("not an arn", None),
    ],
)
def test_the_checked_principal_is_the_callers_user_or_role(caller_arn, principal_arn):
    assert policy_principal_arn(caller_arn) == principal_arn


def test_allowed_actions_record_nothing(simulator):
    expect_simulation(simulator, simulated(*[(action, "allowed") for action in scan_actions()]))

    assert policy_denials(session=boto3.Session(), caller_arn=AUDITOR_ARN) == {}


def test_denied_actions_over_every_page_are_recorded(simulator):
    first = simulated(("kms:ListKeys", "implicitDeny"), ("ec2:DescribeVpcs", "allowed"))
    expect_simulation(simulator, {**first, "IsTruncated": True, "Marker": "page-2"})
    expect_simulation(simulator, simulated(("eks:ListClusters", "explicitDeny")), marker="page-2")

    denied = policy_denials(session=boto3.Session(), caller_arn=AUDITOR_ARN)

    assert denied == {"eks:ListClusters": "denied", "kms:ListKeys": "denied"}


def test_a_denial_that_hangs_on_a_missing_condition_value_is_no_prediction(simulator):
    expect_simulation(
        simulator,
        simulated(("kms:ListKeys", "implicitDeny"), MissingContextValues=["aws:SourceIp"]),
    )

    assert policy_denials(session=boto3.Session(), caller_arn=AUDITOR_ARN) == {}


def test_a_refused_simulation_is_skipped_quietly(simulator, caplog):
    caplog.set_level(logging.INFO, logger="scans.collection.permissions")
    simulator.add_client_error(
        "simulate_principal_policy",
        "AccessDenied",
        "User: arn:aws:iam::123456789012:user/auditor is not authorized",
        http_status_code=403,
    )

    assert policy_denials(session=boto3.Session(), caller_arn=AUDITOR_ARN) == {}
    assert "AccessDenied" in caplog.text
    assert "123456789012" not in caplog.text
    assert "auditor" not in caplog.text


def test_an_answer_that_is_not_iams_xml_is_skipped_quietly(monkeypatch, caplog):
    caplog.set_level(logging.INFO, logger="scans.collection.permissions")
    iam = boto3.client("iam", region_name="us-east-1")

    def proxy_page(request, **kwargs):
        # What a captive proxy or an emulator without the API answers: a page, not IAM's XML.
        return AWSResponse(request.url, 200, {}, RawBody(b"proxy login: sign in first"))

    iam.meta.events.register("before-send.iam.*", proxy_page)
    monkeypatch.setattr(scans.collection.permissions, "new_client", lambda *args, **kw: iam)

    assert policy_denials(session=boto3.Session(), caller_arn=AUDITOR_ARN) == {}
    assert "ResponseParserError" in caplog.text
    assert "proxy login" not in caplog.text


def test_callers_without_a_principal_make_no_simulation(simulator):
    denied = policy_denials(session=boto3.Session(), caller_arn="arn:aws:iam::123456789012:root")
    assert denied == {}


def test_scan_page_lists_what_the_check_found_before_any_unit_runs(client, auditor_keys, simulator):
    expect_simulation(
        simulator, simulated(("kms:ListKeys", "implicitDeny"), ("ec2:DescribeVpcs", "allowed"))
    )

    # Units are enqueued on commit, which this test's transaction never reaches.
    scan = scan_start(credentials=AwsCredentials(**auditor_keys), regions=["eu-west-1"])
    client.force_login(create_user())
    page = client.get(reverse("scan_pages:detail", args=[scan.id])).content.decode()

    assert set(scan.scan_regions.values_list("status", flat=True)) == {ScanRegion.Status.PENDING}
    assert scan.minimal_permissions == {"kms:ListKeys": "denied"}
    snippet = page.split("Missing permissions")[1].split("</pre>")[0]
    assert "&quot;kms:ListKeys&quot;" in snippet
    assert "ec2:DescribeVpcs" not in snippet


def test_a_refused_check_records_nothing_and_the_scan_starts(auditor_keys, simulator):
    simulator.add_client_error("simulate_principal_policy", "AccessDenied", http_status_code=403)

    scan = scan_start(credentials=AwsCredentials(**auditor_keys), regions=["eu-west-1"])

    assert scan.status == Scan.Status.RUNNING
    assert scan.minimal_permissions == {}
    assert scan.scan_regions.count() == 2


def test_a_call_that_went_through_outranks_the_checks_denial():
    scan = create_scan(
        status=Scan.Status.RUNNING,
        minimal_permissions={"kms:ListKeys": "denied", "ec2:DescribeVpcs": "denied"},
    )
    create_scan_region(
        scan,
        region="us-east-1",
        status=ScanRegion.Status.SUCCEEDED,
        permissions={"ec2:DescribeVpcs": "ok", "ec2:DescribeVolumes": "denied"},
    )

    running = scan_denied_actions(scan=scan, units=list(scan.scan_regions.all()))
    scan_finalize_if_complete(scan_id=scan.id)
    scan.refresh_from_db()

    assert running == ["ec2:DescribeVolumes", "kms:ListKeys"]
    assert scan.minimal_permissions == {
        "ec2:DescribeVolumes": "denied",
        "ec2:DescribeVpcs": "ok",
        "kms:ListKeys": "denied",
    }
