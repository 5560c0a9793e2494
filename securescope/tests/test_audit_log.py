"""The audit log: scans started, rules toggled, exports downloaded (mutes and identifications
are checked next to their features); read-only, and visible to admins only."""

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from findings.models import Finding
from rules.loading import load_catalog
from rules.models import RuleSetting
from rules.services import rule_settings_sync
from scans.collection.aws import AwsCredentials
from scans.lifecycle.services import scan_start
from scans.models import Scan
from securescope.models import AuditEvent
from securescope.services import audit_record
from testing.aws import TEST_ACCESS_KEY_ID, TEST_SECRET_ACCESS_KEY
from testing.factories import create_finding, create_member, create_scan, create_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    client.force_login(create_user(username="root", is_staff=True, is_superuser=True))
    return client


def test_starting_a_scan_is_audited_with_who_and_what(aws):
    user = create_user()
    scan = scan_start(
        credentials=AwsCredentials(TEST_ACCESS_KEY_ID, TEST_SECRET_ACCESS_KEY),
        regions=["eu-west-1"],
        user=user,
    )
    event = AuditEvent.objects.get(action=AuditEvent.Action.SCAN_STARTED)
    assert (event.actor, event.target) == (user, f"scan {scan.id}")
    assert event.detail == {
        "account": scan.account_label,
        "regions": ["eu-west-1"],
        "source": "web",
    }
    assert scan.created_by == user


def test_toggling_a_rule_in_the_admin_is_audited(admin_client):
    rule_settings_sync(catalog=load_catalog())
    setting = RuleSetting.objects.get(rule_id="IAM_ROOT_MFA")
    admin_client.post(
        reverse("admin:rules_rulesetting_changelist"),
        {"action": "disable_rules", "_selected_action": [setting.pk]},
    )
    event = AuditEvent.objects.get(action=AuditEvent.Action.RULE_CHANGED)
    assert event.target == "IAM_ROOT_MFA"
    assert event.detail["enabled"] is False
    assert event.actor.username == "root"


def test_export_download_is_audited(client):
    scan = create_scan()
    client.force_login(create_user())
    client.get(reverse("findings:export", args=[scan.id, "csv"]), {"severity": "high"})
    event = AuditEvent.objects.get(action=AuditEvent.Action.EXPORT_DOWNLOADED)
    assert event.detail == {"format": "csv", "query": "severity=high"}


def test_admins_read_the_log_and_nobody_edits_it(admin_client):
    scan = create_scan()
    admin_client.get(reverse("findings:export", args=[scan.id, "json"]))
    event = AuditEvent.objects.get()
    assert admin_client.get(reverse("admin:securescope_auditevent_changelist")).status_code == 200
    change_url = reverse("admin:securescope_auditevent_change", args=[event.id])
    page = admin_client.get(change_url)
    assert page.status_code == 200
    assert b'name="_save"' not in page.content
    assert admin_client.post(change_url, {"target": "forged"}).status_code == 403
    assert admin_client.get(reverse("admin:securescope_auditevent_add")).status_code == 403
    delete_url = reverse("admin:securescope_auditevent_delete", args=[event.id])
    assert admin_client.post(delete_url, {"post": "yes"}).status_code == 403
    assert AuditEvent.objects.get().target == f"scan {scan.id}"


@pytest.mark.parametrize("group", ["viewer", "operator"])
def test_team_members_cannot_open_the_log(client, group):
    client.force_login(create_member(username=group, group=group))
    response = client.get(reverse("admin:securescope_auditevent_changelist"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("admin:login"))


def test_the_admin_deletes_no_scan_finding_audit_event_or_user(admin_client):
    scan = create_scan()
    finding = create_finding(scan)
    user = create_user(username="leaver")
    event = AuditEvent.objects.create(action=AuditEvent.Action.SCAN_STARTED, actor=user)
    for model, pk in (
        ("scans_scan", scan.pk),
        ("findings_finding", finding.pk),
        ("securescope_auditevent", event.pk),
        ("auth_user", user.pk),
    ):
        assert admin_client.get(reverse(f"admin:{model}_delete", args=[pk])).status_code == 403
        response = admin_client.post(
            reverse(f"admin:{model}_changelist"),
            {"action": "delete_selected", "_selected_action": [pk], "post": "yes"},
        )
        assert response.status_code in (200, 302), model
    assert Scan.objects.filter(pk=scan.pk).exists()
    assert Finding.objects.filter(pk=finding.pk).exists()
    assert AuditEvent.objects.filter(pk=event.pk).exists()
    assert get_user_model().objects.filter(pk=user.pk).exists()


def test_a_user_is_deactivated_from_the_admin_instead(admin_client):
    user = create_user(username="leaver")
    admin_client.post(
        reverse("admin:auth_user_changelist"),
        {"action": "deactivate", "_selected_action": [user.pk]},
    )
    user.refresh_from_db()
    assert user.is_active is False


def test_an_event_keeps_its_actors_username_when_the_account_goes():
    user = create_user(username="leaver")
    event = audit_record(actor=user, action=AuditEvent.Action.EXPORT_DOWNLOADED, target="x")
    user.delete()
    event.refresh_from_db()
    assert (event.actor, event.actor_username) == (None, "leaver")
