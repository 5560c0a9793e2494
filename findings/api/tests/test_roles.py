"""Every API operation, called as anonymous, with an expired or revoked token, as a viewer and
as an operator. An operation added without a row here fails `test_every_operation_is_listed`."""

from datetime import timedelta

import pytest
from django.utils import timezone

from findings.api.api import api
from findings.api.models import ApiToken
from findings.api.tests.conftest import Api, token_for
from testing.factories import create_mute, create_user

pytestmark = pytest.mark.django_db

ROLES = ("anonymous", "expired", "revoked", "viewer", "operator")
REFUSED = (401, 401, 401)


def _mute_body(world: dict) -> dict:
    return {
        "finding_id": world["finding"].id,
        "justification": "accepted: bastion host",
        "expires_on": str(timezone.now().date() + timedelta(days=7)),
    }


# (method, OpenAPI path, request path, body): expected status for viewer and operator.
OPERATIONS = {
    ("GET", "/scans", "/scans", None): (200, 200),
    ("POST", "/scans", "/scans", "empty"): (403, 400),
    # With DEMO_MODE off (the fixture below): the operator passes the permission check.
    ("POST", "/scans/demo", "/scans/demo", None): (403, 404),
    ("GET", "/scans/{scan_id}", "/scans/{scan}", None): (200, 200),
    ("POST", "/scans/{scan_id}/cancel", "/scans/{scan}/cancel", None): (403, 409),
    ("GET", "/scans/{scan_id}/findings", "/scans/{scan}/findings", None): (200, 200),
    ("GET", "/findings", "/findings", None): (200, 200),
    ("GET", "/findings/{finding_id}", "/findings/{finding}", None): (200, 200),
    ("GET", "/scans/{scan_id}/export", "/scans/{scan}/export?format=md", None): (200, 200),
    ("GET", "/scans/{base_id}/diff/{head_id}", "/scans/{earlier}/diff/{scan}", None): (200, 200),
    ("GET", "/mutes", "/mutes", None): (200, 200),
    ("POST", "/mutes", "/mutes", "mute"): (403, 201),
    ("DELETE", "/mutes/{mute_id}", "/mutes/{mute}", None): (403, 204),
    ("GET", "/rules", "/rules", None): (200, 200),
}


def test_every_operation_is_listed():
    paths = api.get_openapi_schema()["paths"]
    documented = {
        (method.upper(), path.removeprefix("/api/v1"))
        for path, operations in paths.items()
        for method in operations
    }
    assert documented == {(method, path) for method, path, _, _ in OPERATIONS}


@pytest.fixture
def secrets(world, settings):
    settings.DEMO_MODE = False
    expired = token_for(world["operator"], name="old")
    ApiToken.objects.filter(name="old").update(expires_at=timezone.now() - timedelta(seconds=1))
    revoked = token_for(world["operator"], name="gone")
    ApiToken.objects.filter(name="gone").update(revoked_at=timezone.now())
    return {
        "anonymous": "",
        "expired": expired,
        "revoked": revoked,
        "viewer": world["viewer_token"],
        "operator": world["operator_token"],
    }


@pytest.mark.parametrize(("method", "documented", "path", "body"), list(OPERATIONS))
def test_each_role_gets_what_it_may(client, world, secrets, method, documented, path, body):
    failures = []
    for role, expected in zip(
        ROLES, (*REFUSED, *OPERATIONS[method, documented, path, body]), strict=True
    ):
        mute = create_mute(
            account_hash=world["scan"].account_hash,
            account_label=world["scan"].account_label,
            rule_id=world["finding"].rule_id,
            owner=world["operator"],
        )
        url = path.format(
            scan=world["scan"].id,
            earlier=world["earlier"].id,
            finding=world["finding"].id,
            mute=mute.id,
        )
        data = {"mute": _mute_body(world), "empty": {}}.get(body)
        response = Api(client, secrets[role])(method, url, data)
        if response.status_code != expected:
            failures.append(f"{role} {method} {url}: {response.status_code}, expected {expected}")
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize(("method", "documented", "path", "body"), list(OPERATIONS))
def test_a_token_of_a_user_in_no_group_is_refused_everywhere(
    client, world, method, documented, path, body
):
    nobody = create_user(username="nobody", can_scan=False, can_view=False)
    url = path.format(
        scan=world["scan"].id, earlier=world["earlier"].id, finding=world["finding"].id, mute=1
    )
    data = {"mute": _mute_body(world), "empty": {}}.get(body)
    assert Api(client, token_for(nobody))(method, url, data).status_code == 403
