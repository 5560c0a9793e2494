from datetime import timedelta

import pytest
from django.core.cache import cache
from django.utils import timezone

from findings.api.services import api_token_create
from testing.factories import create_finding, create_member, create_scan


@pytest.fixture(autouse=True)
def _fresh_rate_counts():
    cache.clear()


def bearer(secret: str) -> dict:
    return {"HTTP_AUTHORIZATION": f"Bearer {secret}"}


def token_for(user, **overrides) -> str:
    expires_at = overrides.pop("expires_at", timezone.now() + timedelta(days=30))
    _, secret = api_token_create(user=user, name=overrides.pop("name", "ci"), expires_at=expires_at)
    return secret


@pytest.fixture
def world(db):
    earlier = create_scan(created_at=timezone.now() - timedelta(days=1), finished_at=timezone.now())
    scan = create_scan(finished_at=timezone.now())
    create_finding(earlier)
    finding = create_finding(scan)
    viewer = create_member(username="vera", group="viewer")
    operator = create_member(username="olga", group="operator")
    return {
        "earlier": earlier,
        "scan": scan,
        "finding": finding,
        "viewer": viewer,
        "operator": operator,
        "viewer_token": token_for(viewer),
        "operator_token": token_for(operator),
    }


class Api:
    """The test client speaking to /api/v1/ over HTTPS with a token."""

    def __init__(self, client, secret: str = "") -> None:
        self.client = client
        self.headers = bearer(secret) if secret else {}

    def __call__(self, method: str, path: str, body: dict | None = None, **extra):
        call = getattr(self.client, method.lower())
        kwargs = {"secure": True, **self.headers, **extra}
        if body is not None:
            kwargs.update(data=body, content_type="application/json")
        return call(f"/api/v1{path}", **kwargs)
