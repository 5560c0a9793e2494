"""`manage.py scan --reveal`: names and ARNs go into the caller's export, and nowhere else."""

import csv
import io
import json
import logging

import boto3
import pytest
from django.core.management import CommandError, call_command

from findings.exports import EXPORTERS
from findings.selectors import finding_list
from scans.models import Scan
from testing.aws import seed_region
from testing.canary import (
    CANARY_KEY_ID,
    CANARY_SECRET,
    CANARY_TOKEN,
    assert_no_canary,
    data_files,
    database_dump,
)

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]
REGION = "eu-west-1"
CANARY_NAME = "canary-name-Cq55W"


@pytest.fixture
def named_instance(aws, monkeypatch) -> str:
    """The canary keys in the environment, and an instance with a canary Name: its ARN."""
    instance_id = seed_region(REGION)["imds_v1"]
    boto3.client("ec2", region_name=REGION).create_tags(
        Resources=[instance_id], Tags=[{"Key": "Name", "Value": CANARY_NAME}]
    )
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", CANARY_KEY_ID)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", CANARY_SECRET)
    monkeypatch.setenv("AWS_SESSION_TOKEN", CANARY_TOKEN)
    return f"arn:aws:ec2:{REGION}:123456789012:instance/{instance_id}"


def scan(*args: str) -> tuple[int, str]:
    """Exit code and the command's own output."""
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("scan", "--regions", REGION, *args, stdout=out, stderr=err)
    except CommandError as error:
        return error.returncode, out.getvalue() + err.getvalue() + str(error)
    return 0, out.getvalue() + err.getvalue()


def test_reveal_writes_arn_and_name_into_the_export_only(named_instance, tmp_path, caplog):
    caplog.set_level(logging.DEBUG)
    arn, instance_id = named_instance, named_instance.rsplit("/", 1)[1]
    output = tmp_path / "revealed.json"
    code, said = scan("--reveal", "--output", str(output))
    assert code == 0
    assert "Revealed " in said
    findings = json.loads(output.read_text())["findings"]
    assert all({"resource_arn", "resource_name"} <= set(record) for record in findings)
    named = [f for f in findings if f["resource_arn"] == arn]
    assert {f["rule_id"] for f in named} >= {"EC2_IMDSV2_REQUIRED"}
    assert {f["resource_name"] for f in named} == {CANARY_NAME}
    # Less its two fields, the revealed export is the plain one of the same scan.
    plain = json.loads(
        "".join(EXPORTERS["json"](Scan.objects.get(), finding_list(scan_id=Scan.objects.get().id)))
    )
    identity_fields = {"resource_arn", "resource_name"}
    assert [{k: v for k, v in f.items() if k not in identity_fields} for f in findings] == plain[
        "findings"
    ]
    for where, text in (
        ("the command output", said),
        ("the database", database_dump()),
        ("the logs", caplog.text),
        ("the data folder", data_files().decode(errors="replace")),
    ):
        for value in (arn, instance_id, CANARY_NAME):
            assert value not in text, f"resource identifier found in {where}"
        assert_no_canary(text, where)
    assert_no_canary(output.read_text(), "the export")


def test_reveal_as_csv_adds_two_columns(named_instance, tmp_path):
    output = tmp_path / "revealed.csv"
    assert scan("--reveal", "--format", "csv", "--output", str(output))[0] == 0
    header, *rows = csv.reader(io.StringIO(output.read_text()))
    assert header[-2:] == ["resource_arn", "resource_name"]
    assert [named_instance, CANARY_NAME] in [row[-2:] for row in rows]


def test_without_reveal_the_export_is_the_plain_one(named_instance, tmp_path):
    output = tmp_path / "plain.json"
    assert scan("--output", str(output))[0] == 0
    exported = output.read_text()
    assert exported == "".join(
        EXPORTERS["json"](Scan.objects.get(), finding_list(scan_id=Scan.objects.get().id))
    )
    assert "resource_arn" not in exported
    assert named_instance not in exported
    assert CANARY_NAME not in exported


def test_reveal_refuses_the_markdown_report_before_scanning(named_instance, tmp_path):
    code, said = scan("--reveal", "--format", "md", "--output", str(tmp_path / "x.md"))
    assert code == 2
    assert "json or csv" in said
    assert not Scan.objects.exists()


def test_a_listing_that_fails_leaves_the_fields_empty_and_says_why(
    named_instance, tmp_path, monkeypatch
):
    monkeypatch.setattr("findings.reveal.account_hash", lambda account_id: "another account")
    output = tmp_path / "revealed.json"
    code, said = scan("--reveal", "--output", str(output))
    assert code == 0
    assert "resources not revealed: These keys belong to another account" in said
    findings = json.loads(output.read_text())["findings"]
    assert findings
    assert all(f["resource_arn"] is None for f in findings)
