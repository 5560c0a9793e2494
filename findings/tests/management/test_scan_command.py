"""`manage.py scan`: same pipeline, exports to a file, exit codes for pipelines."""

import io
import json

import pytest
from django.core.management import CommandError, call_command

from findings.management.commands import scan as scan_command
from findings.models import Finding
from rules.loading import load_catalog
from rules.models import RuleSetting
from rules.services import rule_setting_update, rule_settings_sync
from scans.collection.aws import CredentialsRejected
from scans.models import Scan, ScanRegion
from securescope.privacy import account_hash, account_label
from testing.aws import seed_region
from testing.factories import create_mute, create_user

pytestmark = pytest.mark.django_db(transaction=True)
MOTO_ACCOUNT = "123456789012"


@pytest.fixture
def seeded(aws):
    return seed_region("eu-west-1")


def run_scan(*args: str) -> int:
    try:
        call_command("scan", *args)
    except CommandError as error:
        return error.returncode
    return 0


def test_writes_deterministic_json_export(seeded, tmp_path):
    output = tmp_path / "scan.json"
    assert run_scan("--regions", "eu-west-1", "--output", str(output)) == 0
    document = json.loads(output.read_text())
    scan = Scan.objects.get()
    assert document["scan"]["id"] == str(scan.id)
    assert document["scan"]["status"] == "succeeded"
    assert document["scan"]["regions"] == ["eu-west-1"]
    rules = {(f["rule_id"], f["status"]) for f in document["findings"]}
    assert ("EC2_SG_SSH_OPEN", "FAIL") in rules
    assert ("EC2_SG_SSH_OPEN", "PASS") in rules
    assert document["findings"] == sorted(
        document["findings"],
        key=lambda f: (f["rule_id"], f["region"], f["resource_type"], f["resource_hash"]),
    )


@pytest.mark.parametrize(("threshold", "code"), [("critical", 3), ("high", 3)])
def test_fail_on_exits_3_when_a_finding_at_or_above_fails(seeded, tmp_path, threshold, code):
    out = str(tmp_path / "x.md")
    assert (
        run_scan(
            "--regions", "eu-west-1", "--format", "md", "--output", out, "--fail-on", threshold
        )
        == code
    )


def disable_rule(rule_id: str) -> None:
    rule_setting_update(setting=RuleSetting.objects.get(rule_id=rule_id), user=None, enabled=False)


def lower_to_high(rule_id: str) -> None:
    setting = RuleSetting.objects.get(rule_id=rule_id)
    rule_setting_update(setting=setting, user=None, severity_override="high")


def mute_rule(rule_id: str) -> None:
    create_mute(
        account_hash=account_hash(MOTO_ACCOUNT),
        account_label=account_label(MOTO_ACCOUNT),
        rule_id=rule_id,
        owner=create_user(),
        justification="break-glass root account, MFA in the safe",
    )


@pytest.mark.parametrize("leave_out", [disable_rule, lower_to_high, mute_rule])
def test_fail_on_exits_0_when_nothing_at_or_above_fails(seeded, tmp_path, leave_out):
    # The seeded account's one critical failure is the root user without MFA.
    rule_settings_sync(catalog=load_catalog())
    leave_out("IAM_ROOT_MFA")
    out = tmp_path / "scan.json"
    assert run_scan("--regions", "eu-west-1", "--output", str(out), "--fail-on", "critical") == 0
    failing = [f for f in json.loads(out.read_text())["findings"] if f["status"] == "FAIL"]
    assert failing, "the scan still fails below the threshold"
    assert {f["severity"] for f in failing} <= {"high", "medium", "low", "info"}
    # A disabled rule is not evaluated and a muted finding is left out of the export.
    root_mfa = [f["severity"] for f in failing if f["rule_id"] == "IAM_ROOT_MFA"]
    assert root_mfa == (["high"] if leave_out is lower_to_high else [])
    assert not any(f["muted"] for f in failing)


def test_missing_credentials_exit_2(aws, monkeypatch):
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    assert run_scan("--regions", "eu-west-1") == 2
    assert Scan.objects.count() == 0


def test_rejected_credentials_exit_2(auditor_keys, monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAZZZZZZZZZEXAMPLE")
    assert run_scan("--regions", "eu-west-1") == 2
    assert Scan.objects.count() == 0


def test_each_unit_records_where_its_time_went(seeded, tmp_path):
    assert run_scan("--regions", "eu-west-1", "--output", str(tmp_path / "scan.json")) == 0
    for unit in ScanRegion.objects.all():
        assert set(unit.timings) == {"collect", "exposure_model", "evaluate_and_store", "write"}, (
            unit.region
        )
        # The findings' writes happen within evaluate-and-store.
        assert 0 < unit.timings["write"] <= unit.timings["evaluate_and_store"], unit.region


def test_finished_scan_stores_its_counts_by_status_and_severity(seeded, tmp_path):
    assert run_scan("--regions", "eu-west-1", "--output", str(tmp_path / "scan.json")) == 0
    scan = Scan.objects.get()
    findings = Finding.objects.filter(scan=scan)
    for status, by_severity in scan.finding_counts.items():
        for severity, count in by_severity.items():
            assert count == findings.filter(status=status, severity=severity).count()
    assert sum(sum(row.values()) for row in scan.finding_counts.values()) == findings.count() > 0


def test_an_output_that_cannot_be_written_stops_before_the_scan(aws, monkeypatch, tmp_path):
    started = []
    monkeypatch.setattr(scan_command, "scan_start", lambda **kwargs: started.append(kwargs))
    for output, problem in (
        (tmp_path, "is a folder"),
        (tmp_path / "missing" / "out.json", "does not exist"),
    ):
        with pytest.raises(CommandError, match=problem) as refused:
            call_command("scan", "--output", str(output))
        assert refused.value.returncode == 2
    assert started == []


def test_the_external_id_comes_from_stdin_or_the_environment_never_the_command_line(
    aws, monkeypatch
):
    seen = []

    def scan_start(**kwargs):
        seen.append(kwargs["credentials"].external_id)
        raise CredentialsRejected("stop here")

    monkeypatch.setattr(scan_command, "scan_start", scan_start)
    role = ["--role-arn", "arn:aws:iam::123456789012:role/audit"]
    with pytest.raises(CommandError, match="visible to every user"):
        call_command("scan", *role, "--external-id", "Partner-42")
    with pytest.raises(CommandError, match="stop here"):
        call_command("scan", *role, "--external-id", "-", stdin=io.StringIO("From-Stdin\n"))
    monkeypatch.setenv("SCAN_EXTERNAL_ID", "From-Env")
    with pytest.raises(CommandError, match="stop here"):
        call_command("scan", *role)
    assert seen == ["From-Stdin", "From-Env"]
