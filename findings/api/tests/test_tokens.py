"""Tokens: shown once and stored as a hash, limited per user, expired or revoked refused, HTTPS
only, rate-limited, size-limited, and every use in the audit log."""

import hashlib
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from findings.api.models import ApiToken
from findings.api.services import api_token_create
from findings.api.tests.conftest import Api, token_for
from securescope.models import AuditEvent
from testing.canary import database_dump

pytestmark = pytest.mark.django_db


def test_the_page_shows_the_secret_once_and_stores_only_its_hash(client, world):
    client.force_login(world["viewer"])
    expires = str(timezone.now().date() + timedelta(days=30))
    response = client.post(reverse("api_tokens:list"), {"name": "nightly", "expires_on": expires})
    assert response.status_code == 200
    secret = response.context["secret"]
    assert secret.startswith("ssk_")
    assert secret in response.content.decode()
    token = ApiToken.objects.get(name="nightly")
    assert token.token_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in database_dump()
    assert secret not in client.get(reverse("api_tokens:list")).content.decode()
    assert Api(client, secret)("GET", "/scans").status_code == 200


def test_the_page_requires_an_expiry_in_the_future(client, world):
    client.force_login(world["viewer"])
    today = str(timezone.now().date())
    response = client.post(reverse("api_tokens:list"), {"name": "x", "expires_on": today})
    assert response.status_code == 400
    assert not ApiToken.objects.filter(name="x").exists()


@override_settings(API_TOKENS_PER_USER=2)
def test_at_most_n_active_tokens_per_user(world):
    # The world gave the viewer one already.
    token_for(world["viewer"])
    with pytest.raises(ValidationError, match="At most 2"):
        token_for(world["viewer"])


def test_revoking_from_the_page_stops_the_token_at_once(client, world):
    secret = world["viewer_token"]
    token = ApiToken.objects.get(user=world["viewer"])
    client.force_login(world["viewer"])
    client.post(reverse("api_tokens:revoke", args=[token.id]))
    assert Api(client, secret)("GET", "/scans").status_code == 401
    assert AuditEvent.objects.filter(action=AuditEvent.Action.API_TOKEN_REVOKED).exists()


def test_a_user_cannot_revoke_another_users_token(client, world):
    token = ApiToken.objects.get(user=world["operator"])
    client.force_login(world["viewer"])
    assert client.post(reverse("api_tokens:revoke", args=[token.id])).status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None


def test_an_expired_token_is_refused(client, world):
    _, secret = api_token_create(
        user=world["viewer"], name="soon", expires_at=timezone.now() + timedelta(seconds=30)
    )
    ApiToken.objects.filter(name="soon").update(expires_at=timezone.now())
    assert Api(client, secret)("GET", "/scans").status_code == 401


@override_settings(ENFORCE_HTTPS=True, SECURE_SSL_REDIRECT=False)
def test_a_token_over_plain_http_is_refused_when_https_is_enforced(client, world):
    response = Api(client, world["viewer_token"])("GET", "/scans", secure=False)
    assert response.status_code == 403
    assert "HTTPS" in response.json()["detail"]


@override_settings(ENFORCE_HTTPS=False)
def test_plain_http_is_accepted_when_https_is_not_enforced(client, world):
    assert Api(client, world["viewer_token"])("GET", "/scans", secure=False).status_code == 200


def test_use_sets_last_used_and_is_audited(client, world):
    Api(client, world["viewer_token"])("GET", "/rules")
    token = ApiToken.objects.get(user=world["viewer"])
    assert token.last_used_at is not None
    event = AuditEvent.objects.get(action=AuditEvent.Action.API_REQUEST)
    assert event.actor == world["viewer"]
    assert event.detail == {"method": "GET", "path": "/api/v1/rules", "prefix": token.prefix}


@override_settings(API_RATE_PER_MINUTE=2)
def test_over_the_rate_limit_answers_429_with_retry_after(client, world):
    viewer = Api(client, world["viewer_token"])
    assert [viewer("GET", "/rules").status_code for _ in range(2)] == [200, 200]
    response = viewer("GET", "/rules")
    assert response.status_code == 429
    assert 0 < int(response["Retry-After"]) <= 60
    # Another token has its own budget.
    assert Api(client, world["operator_token"])("GET", "/rules").status_code == 200


@override_settings(API_MAX_BODY_BYTES=100)
def test_a_body_over_the_limit_answers_413(client, world):
    response = Api(client, world["operator_token"])("POST", "/scans", {"access_key_id": "A" * 200})
    assert response.status_code == 413
