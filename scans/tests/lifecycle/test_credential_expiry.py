"""Keys that will expire before a scan is likely to end are called out before it starts."""

import io
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from scans.lifecycle.services import credential_expiry_problem
from scans.models import Scan
from testing.aws import TEST_ACCESS_KEY_ID, TEST_SECRET_ACCESS_KEY
from testing.factories import create_scan, create_user

pytestmark = pytest.mark.django_db


def test_long_term_keys_without_expiration_are_not_judged():
    assert credential_expiry_problem(access_key_id=TEST_ACCESS_KEY_ID, expires_at=None) is None


def test_temporary_keys_without_expiration_are_called_out():
    problem = credential_expiry_problem(access_key_id="ASIAIOSFODNN7EXAMPLE", expires_at=None)
    assert "temporary keys" in problem
    assert "no expiration was given" in problem


def test_form_asks_before_starting_with_temporary_keys_of_unknown_expiry(client, aws):
    client.force_login(create_user())
    response = post_new_scan(
        client, access_key_id="ASIAIOSFODNN7EXAMPLE", session_token="t" * 40, expires_at=""
    )
    assert response.status_code == 200
    assert b"These are temporary keys" in response.content
    assert Scan.objects.count() == 0


def test_expected_duration_comes_from_recent_scans():
    start = timezone.now() - timedelta(hours=1)
    create_scan(created_at=start, finished_at=start + timedelta(minutes=30))
    Scan.objects.update(created_at=start)  # auto_now_add ignores the factory's value
    assert (
        credential_expiry_problem(
            access_key_id=TEST_ACCESS_KEY_ID, expires_at=timezone.now() + timedelta(minutes=45)
        )
        is None
    )
    problem = credential_expiry_problem(
        access_key_id=TEST_ACCESS_KEY_ID, expires_at=timezone.now() + timedelta(minutes=20)
    )
    assert "expire in 20 min" in problem
    assert "up to 30 min" in problem


def test_expired_credentials_are_named_as_such():
    problem = credential_expiry_problem(
        access_key_id=TEST_ACCESS_KEY_ID, expires_at=timezone.now() - timedelta(minutes=1)
    )
    assert problem == "These credentials have already expired."


def post_new_scan(client, **extra):
    data = {
        "access_key_id": TEST_ACCESS_KEY_ID,
        "secret_access_key": TEST_SECRET_ACCESS_KEY,
        "regions": ["eu-west-1"],
        "expires_at": (timezone.now() + timedelta(minutes=2)).strftime("%Y-%m-%d %H:%M:%S"),
        **extra,
    }
    return client.post(reverse("scans:new"), data)


def test_form_asks_before_starting_with_soon_expiring_keys(client, aws):
    client.force_login(create_user())
    response = post_new_scan(client)
    assert response.status_code == 200
    assert b"These credentials expire in 2 min" in response.content
    assert Scan.objects.count() == 0


def test_form_starts_anyway_when_told_to(client, aws):
    client.force_login(create_user())
    response = post_new_scan(client, start_anyway="on")
    assert response.status_code == 302
    assert Scan.objects.count() == 1


def test_command_warns_on_stderr(aws, monkeypatch, transactional_db):
    monkeypatch.setenv(
        "AWS_CREDENTIAL_EXPIRATION", (timezone.now() + timedelta(minutes=3)).isoformat()
    )
    stderr = io.StringIO()
    call_command("scan", "--regions", "eu-west-1", stdout=io.StringIO(), stderr=stderr)
    assert "warning: These credentials expire in 3 min" in stderr.getvalue()
