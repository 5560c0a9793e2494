"""Operators switch rules off and override severities; scans and exports honour it."""

import csv
import io
import json
import shutil

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from findings.exports import export_csv, export_json, export_markdown
from findings.models import Finding
from findings.selectors import finding_list
from rules import loading
from rules.models import RuleSetting
from rules.services import rule_settings_sync
from scans.collection.aws import AwsCredentials
from scans.lifecycle.services import scan_start, scan_wait
from testing.aws import seed_region
from testing.factories import create_user


@pytest.mark.django_db
def test_sync_mirrors_the_catalog_and_keeps_toggles(tmp_path):
    directory = tmp_path / "catalog"
    shutil.copytree(loading.CATALOG_DIR, directory)
    catalog = loading.load_catalog(directory)
    assert rule_settings_sync(catalog=catalog)["created"] == len(catalog.rules)
    RuleSetting.objects.filter(rule_id="IAM_ROOT_MFA").update(enabled=False)
    assert rule_settings_sync(catalog=catalog) == {"created": 0, "updated": 0, "removed": 0}
    (directory / "iam.yaml").unlink()
    counts = rule_settings_sync(catalog=loading.load_catalog(directory))
    assert counts["removed"] >= 1
    setting = RuleSetting.objects.get(rule_id="IAM_ROOT_MFA")
    assert (setting.in_catalog, setting.enabled) == (False, False)


@pytest.mark.django_db
def test_admin_lists_rules_with_mappings_and_records_who_toggled(client):
    admin = create_user(username="root", is_staff=True, is_superuser=True)
    client.force_login(admin)
    url = reverse("admin:rules_rulesetting_changelist")
    page = client.get(url)
    assert page.status_code == 200
    assert b"EKS_PUBLIC_ENDPOINT_NO_CIDR" in page.content
    assert b"v1.8.0 5.4.1" in page.content
    # EC2_DETAILED_MONITORING maps to CIS AWS Compute alone; its cell must not be blank.
    assert b"CIS AWS Compute" in page.content
    assert b"v1.0.0 2.6" in page.content
    setting = RuleSetting.objects.get(rule_id="EC2_SG_SSH_OPEN")
    response = client.post(
        url, {"action": "disable_rules", "_selected_action": [setting.pk]}, follow=True
    )
    assert response.status_code == 200
    setting.refresh_from_db()
    assert setting.enabled is False
    assert setting.updated_by == admin
    assert setting.updated_at is not None


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_scan_skips_disabled_rules_applies_overrides_and_exports_say_so(aws):
    seed_region("eu-west-1")
    rule_settings_sync(catalog=loading.load_catalog())
    RuleSetting.objects.filter(rule_id="EC2_SG_SSH_OPEN").update(enabled=False)
    RuleSetting.objects.filter(rule_id="EC2_EBS_ENCRYPTION").update(severity_override="critical")
    scan = scan_start(
        credentials=AwsCredentials("AKIAIOSFODNN7EXAMPLE", "x" * 40), regions=["eu-west-1"]
    )
    scan = scan_wait(scan_id=scan.id, timeout=90)
    findings = Finding.objects.filter(scan=scan)
    assert not findings.filter(rule_id="EC2_SG_SSH_OPEN").exists()
    assert set(
        findings.filter(rule_id="EC2_EBS_ENCRYPTION").values_list("severity", flat=True)
    ) == {"critical"}
    findings = finding_list(scan_id=scan.id)
    document = json.loads("".join(export_json(scan, findings)))
    assert document["scan"]["disabled_rules"] == ["EC2_SG_SSH_OPEN"]
    rows = list(csv.DictReader(io.StringIO("".join(export_csv(scan, findings)))))
    assert rows
    assert {row["scan_disabled_rules"] for row in rows} == {'["EC2_SG_SSH_OPEN"]'}
    report = "".join(export_markdown(scan, findings))
    assert "; disabled (not evaluated): EC2_SG_SSH_OPEN\n" in report


@pytest.mark.django_db
def test_rules_command_lists_reloads_and_validates():
    out = io.StringIO()
    call_command("rules", "list", stdout=out)
    catalog = loading.load_catalog()
    assert f"{len(catalog.rules)} rules, 0 errors" in out.getvalue()
    assert "EKS_CONTROL_PLANE_LOGGING" in out.getvalue()
    # Mappings are named with the registry's short labels, every framework included.
    (line,) = [line for line in out.getvalue().splitlines() if "EC2_DETAILED_MONITORING" in line]
    assert line.endswith("CIS Compute v1.0.0 2.6")
    out = io.StringIO()
    call_command("rules", "reload", stdout=out)
    assert RuleSetting.objects.count() == len(catalog.rules)
    call_command("rules", "validate", stdout=io.StringIO())


@pytest.mark.django_db
def test_rules_validate_fails_on_a_bad_rule(tmp_path, monkeypatch):
    directory = tmp_path / "catalog"
    shutil.copytree(loading.CATALOG_DIR, directory)
    (directory / "broken.yaml").write_text("rules:\n  - id: BROKEN\n    severity: urgent\n")
    monkeypatch.setattr(
        "rules.management.commands.rules.load_catalog", lambda: loading.load_catalog(directory)
    )
    err = io.StringIO()
    with pytest.raises(CommandError, match="1 invalid rules"):
        call_command("rules", "validate", stdout=io.StringIO(), stderr=err)
    assert "broken.yaml: rule BROKEN" in err.getvalue()
