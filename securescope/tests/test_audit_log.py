"""The audit log: scans started, rules toggled, exports downloaded (mutes and identifications
are checked next to their features); read-only, and visible to admins only."""

import pytest
from django.urls import reverse

from rules.loading import load_catalog
from rules.models import RuleSetting
from rules.services import rule_settings_sync
from scans.collection.aws import AwsCredentials
from scans.lifecycle.services import scan_start
from securescope.models import AuditEvent
from testing.aws import TEST_ACCESS_KEY_ID, TEST_SECRET_ACCESS_KEY
from testing.factories import create_member, create_scan, create_user

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
