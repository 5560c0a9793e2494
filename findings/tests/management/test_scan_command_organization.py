"""`manage.py scan --organization`: an export per account scan, summary.json, worst exit code."""

import io
import json

import pytest
from django.core.management import CommandError, call_command

from findings.exports import export_json
from findings.selectors import finding_list
from findings.tests.management.test_scan_command import run_scan
from scans.models import OrganizationRun, Scan
from securescope.privacy import account_label
from testing.organizations import moto_organization

pytestmark = pytest.mark.django_db(transaction=True)


def use_keys(monkeypatch, keys: dict[str, str]) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", keys["access_key_id"])
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", keys["secret_access_key"])


def test_writes_each_account_export_and_a_summary_and_exits_partial_on_a_refused_role(
    aws, monkeypatch, tmp_path
):
    organization = moto_organization(monkeypatch)
    use_keys(monkeypatch, organization.keys)
    monkeypatch.setenv("MEMBER_EXTERNAL_ID", "org-external-id")
    code = run_scan(
        "--organization",
        "--role-name",
        "OrganizationAccountAccessRole",
        "--external-id-env",
        "MEMBER_EXTERNAL_ID",
        "--regions",
        "eu-west-1",
        "--format",
        "json",
        "--output",
        str(tmp_path),
    )
    assert code == 4, "an account whose role could not be assumed makes the run partial"
    scans = list(Scan.objects.order_by("id"))
    assert len(scans) == 1 + len(organization.members)
    assert {p.name for p in tmp_path.iterdir()} == {f"{s.id}.json" for s in scans} | {
        "summary.json"
    }
    for scan in scans:
        written = (tmp_path / f"{scan.id}.json").read_text(encoding="utf-8")
        assert written == "".join(export_json(scan, finding_list(scan_id=scan.id)))
    summary = json.loads((tmp_path / "summary.json").read_text(encoding="utf-8"))
    assert summary["organization_run"]["id"] == str(OrganizationRun.objects.get().id)
    assert {(a["scan_id"], a["account"], a["status"]) for a in summary["accounts"]} == {
        (str(s.id), s.account_label, "succeeded") for s in scans
    }
    assert all(set(a["failing_by_severity"]) >= {"critical", "high"} for a in summary["accounts"])
    assert [a["account"] for a in summary["not_assumed"]] == [
        account_label(refused) for refused in organization.refused
    ]
    every_file = "".join(p.read_text(encoding="utf-8") for p in tmp_path.iterdir())
    for account_id in [organization.management, *organization.members, *organization.refused]:
        assert account_id not in every_file


def test_exit_code_is_the_worst_accounts_and_expiring_keys_are_warned_of(
    aws, monkeypatch, tmp_path
):
    organization = moto_organization(monkeypatch, members=1, refused=0)
    use_keys(monkeypatch, organization.keys)
    monkeypatch.setenv("AWS_CREDENTIAL_EXPIRATION", "2020-01-01T00:00:00Z")
    stderr = io.StringIO()
    with pytest.raises(CommandError) as raised:
        call_command(
            "scan",
            *("--organization", "--regions", "eu-west-1", "--output", str(tmp_path)),
            *("--fail-on", "info"),
            stderr=stderr,
        )
    assert raised.value.returncode == 3
    assert "warning: These credentials have already expired." in stderr.getvalue()
    failing = [scan.severity_counts for scan in Scan.objects.all()]
    assert any(sum(counts.values()) for counts in failing)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--output", "summary.json"], "writable folder"),
        (["--role-arn", "arn:aws:iam::123456789012:role/x"], "--role-arn does not go"),
        (["--external-id-env", "UNSET_VARIABLE"], "UNSET_VARIABLE is not set"),
        (["--role-name", "has/a/path"], "role name"),
    ],
)
def test_bad_organization_options_exit_2_before_any_call(tmp_path, capsys, args, message):
    options = {"--output": str(tmp_path)}
    options.update(dict(zip(args[::2], args[1::2], strict=True)))
    with pytest.raises(CommandError, match=message) as raised:
        call_command("scan", "--organization", *[part for pair in options.items() for part in pair])
    assert raised.value.returncode == 2
    assert not Scan.objects.exists()
