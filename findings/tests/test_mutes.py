"""Mutes: operators only, hidden by default, visible under a filter, marked in exports,
expiring by themselves, audited."""

import json
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from findings.models import Mute
from securescope.models import AuditEvent
from testing.factories import create_finding, create_member, create_scan

pytestmark = pytest.mark.django_db

HX = {"HX-Request": "true"}


@pytest.fixture
def operator():
    return create_member(username="olga", group="operator")


@pytest.fixture
def findings():
    scan = create_scan(finished_at=timezone.now())
    return [create_finding(scan, resource_hash=f"{index:064x}") for index in range(3)]


def mute(client, finding, owner, **overrides):
    data = {
        "scope": "finding",
        "justification": "Bastion host, reviewed by security",
        "owner": owner.pk,
        "expires_on": (timezone.now() + timedelta(days=30)).date().isoformat(),
        **overrides,
    }
    return client.post(reverse("findings:mute", args=[finding.id]), data)


def listed(client, scan, **filters) -> set[str]:
    flat = {"view": "flat", "status": ""}
    response = client.get(
        reverse("findings:list"), {"scan": scan.id, **flat, **filters}, headers=HX
    )
    return {finding.resource_hash for finding in response.context["page"]}


def test_operator_mutes_a_finding_which_is_hidden_then_shown_under_the_filter(
    client, operator, findings
):
    client.force_login(operator)
    response = mute(client, findings[0], operator)
    assert response.status_code == 302
    scan = findings[0].scan
    assert findings[0].resource_hash not in listed(client, scan)
    assert listed(client, scan, muted="only") == {findings[0].resource_hash}
    assert len(listed(client, scan, muted="include")) == 3
    event = AuditEvent.objects.get(action=AuditEvent.Action.MUTE_CREATED)
    assert event.actor == operator
    # Free text stays on the mute: the audit log holds ids, counts and settings only.
    assert "justification" not in event.detail
    assert Mute.objects.get().justification == "Bastion host, reviewed by security"


def test_whole_rule_mute_hides_every_finding_of_the_rule(client, operator, findings):
    client.force_login(operator)
    mute(client, findings[0], operator, scope="rule")
    assert listed(client, findings[0].scan) == set()


def test_mute_is_per_account(client, operator, findings):
    client.force_login(operator)
    mute(client, findings[0], operator, scope="rule")
    other = create_scan(account_hash="f" * 64, finished_at=timezone.now())
    create_finding(other)
    assert len(listed(client, other)) == 1


def test_expired_mute_no_longer_hides(client, operator, findings):
    client.force_login(operator)
    mute(client, findings[0], operator)
    Mute.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    assert len(listed(client, findings[0].scan)) == 3
    page = client.get(reverse("findings:mutes"))
    assert b"No active mutes" in page.content
    assert b"Bastion host" in client.get(reverse("findings:mutes"), {"expired": "1"}).content


def test_exports_mark_muted_findings(client, operator, findings):
    client.force_login(operator)
    mute(client, findings[0], operator)
    url = reverse("findings:export", args=[findings[0].scan.id, "json"])
    document = json.loads(b"".join(client.get(url, {"muted": "include"}).streaming_content))
    marks = {f["resource_hash"]: f["muted"] for f in document["findings"]}
    assert marks == {f.resource_hash: f == findings[0] for f in findings}
    markdown = b"".join(
        client.get(
            reverse("findings:export", args=[findings[0].scan.id, "md"]), {"muted": "only"}
        ).streaming_content
    ).decode()
    assert markdown.count(" | muted |") == 1, "the one muted finding, marked as such"


def test_mute_needs_a_future_expiry_and_a_justification(client, operator, findings):
    client.force_login(operator)
    past = (timezone.now() - timedelta(days=1)).date().isoformat()
    assert mute(client, findings[0], operator, expires_on=past).status_code == 400
    assert mute(client, findings[0], operator, justification="").status_code == 400
    assert not Mute.objects.exists()


@pytest.mark.parametrize(
    "justification",
    [
        "arn:aws:ec2:eu-west-1:123456789012:instance/i-0abc1234def567890 is a bastion",
        "account 123456789012 is the sandbox",
        "sg-0123456789abcdef0 only opens to the VPN",
        "reached from 10.20.30.40 only",
        "owned by ops@example.com",
    ],
)
def test_a_justification_holding_an_identifier_is_refused(
    client, operator, findings, justification
):
    client.force_login(operator)
    response = mute(client, findings[0], operator, justification=justification)
    assert response.status_code == 400
    assert "Leave identifiers out of the justification" in response.content.decode()
    assert not Mute.objects.exists()
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.MUTE_CREATED).exists()


def test_viewer_cannot_mute_or_unmute(client, operator, findings):
    client.force_login(operator)
    mute(client, findings[0], operator)
    viewer = create_member(username="vera", group="viewer")
    client.force_login(viewer)
    assert mute(client, findings[1], viewer).status_code == 403
    target = Mute.objects.get()
    assert client.post(reverse("findings:mute_delete", args=[target.id])).status_code == 403
    assert b"Unmute" not in client.get(reverse("findings:mutes")).content


def test_unmute_is_audited(client, operator, findings):
    client.force_login(operator)
    mute(client, findings[0], operator)
    target = Mute.objects.get()
    response = client.post(reverse("findings:mute_delete", args=[target.id]))
    assert response.status_code == 302
    assert not Mute.objects.exists()
    assert AuditEvent.objects.filter(action=AuditEvent.Action.MUTE_DELETED).count() == 1
