"""Canary keys go through the API, rejected and accepted; no trace of them is left anywhere:
not in any response of any endpoint (errors included), the database, the logs or the files."""

import logging

import pytest
from django.utils import timezone

from findings.api.tests.conftest import Api, token_for
from findings.api.tests.test_roles import OPERATIONS
from findings.models import Finding
from scans.collection.vault import vault_get
from scans.lifecycle.services import scan_wait
from scans.models import Scan
from testing.aws import seed_region
from testing.canary import (
    CANARY_KEY_ID,
    CANARY_SECRET,
    CANARY_TOKEN,
    assert_no_canary,
    data_files,
    database_dump,
)
from testing.factories import create_member

pytestmark = pytest.mark.django_db(transaction=True)

REJECTED_BODIES = [
    # Temporary keys without their session token: the form's error.
    {"access_key_id": CANARY_KEY_ID, "secret_access_key": CANARY_SECRET},
    # Values of the wrong type: the schema's error.
    {"access_key_id": [CANARY_KEY_ID], "secret_access_key": {"x": CANARY_SECRET}},
    {"access_key_id": CANARY_KEY_ID, "session_token": CANARY_TOKEN, "regions": CANARY_SECRET},
    # Too long: the form's max_length.
    {"access_key_id": CANARY_KEY_ID * 2, "secret_access_key": CANARY_SECRET * 2},
]


def _every_operation(api: Api, scan: Scan, earlier_id: object) -> list:
    finding = Finding.objects.filter(scan=scan).earliest("id")
    responses = []
    for method, _, path, body in OPERATIONS:
        url = path.format(scan=scan.id, earlier=earlier_id, finding=finding.id, mute=0)
        responses.append(api(method, url, {} if body else None))
    # Error answers: unknown ids, a forged cursor, a bad filter, an unknown format.
    for url in (
        "/scans/00000000-0000-0000-0000-000000000000",
        "/findings/0",
        f"/scans/{scan.id}/findings?cursor=x&status=BOGUS",
        f"/scans/{scan.id}/export?format=exe",
    ):
        responses.append(api("GET", url))
    return responses


@pytest.mark.slow
def test_api_scan_leaves_no_trace(client, aws, caplog, settings):
    settings.DEMO_MODE = False  # a demo scan would be a second scan, of another account
    caplog.set_level(logging.DEBUG)
    seed_region("eu-west-1")
    operator = Api(client, token_for(create_member(username="olga", group="operator")))
    responses = [operator("POST", "/scans", body) for body in REJECTED_BODIES]
    assert [response.status_code for response in responses] == [400] * len(REJECTED_BODIES)
    accepted = operator(
        "POST",
        "/scans",
        {
            "access_key_id": CANARY_KEY_ID,
            "secret_access_key": CANARY_SECRET,
            "session_token": CANARY_TOKEN,
            "regions": ["eu-west-1"],
            "start_anyway": True,
        },
    )
    assert accepted.status_code == 201
    responses.append(accepted)
    scan = scan_wait(scan_id=accepted.json()["id"], timeout=60)
    assert scan.status == Scan.Status.SUCCEEDED
    assert vault_get(scan_id=scan.id) is None
    earlier = Scan.objects.create(
        account_hash=scan.account_hash, account_label=scan.account_label, finished_at=timezone.now()
    )
    responses.extend(_every_operation(operator, scan, earlier.id))
    for response in responses:
        body = b"".join(response.streaming_content) if response.streaming else response.content
        assert_no_canary(body, f"response {response.status_code}")
        assert_no_canary(str(response.headers), "response headers")
    assert_no_canary(database_dump(), "the database")
    assert_no_canary(caplog.text, "the logs")
    assert_no_canary(data_files(), "the data folder")
