"""A form error gives back what the user chose (role, external id, regions), never the keys."""

import pytest
from django.urls import reverse

from scans.web.forms import REGIONS_ENABLED_BY_DEFAULT, ScanForm
from testing.canary import CANARY_KEY_ID, CANARY_SECRET, CANARY_TOKEN
from testing.factories import create_user

pytestmark = pytest.mark.django_db

ROLE_ARN = "arn:aws:iam::123456789012:role/SecureScopeAudit"


def test_a_form_error_keeps_the_role_external_id_and_regions_but_no_key(client):
    client.force_login(create_user())

    response = client.post(
        reverse("scans:new"),
        {
            "access_key_id": CANARY_KEY_ID,
            "secret_access_key": CANARY_SECRET,
            "session_token": CANARY_TOKEN,
            "role_arn": ROLE_ARN,
            "external_id": "Partner-42",
            "regions": ["eu-west-1", "ap-southeast-2"],
            "expires_at": "not a date",
        },
    )

    page = response.content.decode()
    assert "Enter a valid date/time" in page
    assert f'name="role_arn" value="{ROLE_ARN}"' in page
    assert 'name="external_id" value="Partner-42"' in page
    form = response.context["form"]
    assert [w.data["value"] for w in form["regions"] if w.data["selected"]] == [
        "ap-southeast-2",
        "eu-west-1",
    ]
    for secret in (CANARY_KEY_ID, CANARY_SECRET, CANARY_TOKEN):
        assert secret not in page
    assert "paste them again" in page


def test_the_picker_marks_the_regions_every_account_has_enabled():
    boxes = {box.data["value"]: box.data["attrs"] for box in ScanForm()["regions"]}
    marked = {name for name, attrs in boxes.items() if "data-default-enabled" in attrs}
    assert marked == REGIONS_ENABLED_BY_DEFAULT
    assert {"af-south-1", "me-south-1", "ap-east-1"} <= boxes.keys() - marked
