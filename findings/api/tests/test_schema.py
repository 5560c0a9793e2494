"""The OpenAPI document validates, and docs/openapi.json is the one the code serves."""

import json
import re

import pytest
from django.conf import settings
from openapi_spec_validator import validate

from findings.api.api import api
from testing.factories import create_member

COMMITTED = settings.BASE_DIR / "docs" / "openapi.json"
REGENERATE = (
    "manage.py export_openapi_schema --api findings.api.api.api --indent 2 --sorted "
    "--output docs/openapi.json"
)


def served() -> dict:
    return json.loads(json.dumps(api.get_openapi_schema()))


def test_the_schema_is_valid_openapi():
    validate(served())


def test_the_committed_schema_matches_the_code():
    assert json.loads(COMMITTED.read_text()) == served(), f"stale: run {REGENERATE}"


@pytest.mark.django_db
def test_the_docs_page_loads_everything_from_this_server(client):
    client.force_login(create_member(username="vera", group="viewer"))
    response = client.get("/api/docs")
    assert response.status_code == 200
    page = response.content.decode()
    sources = re.findall(r'(?:src|href)="([^"]+)"', page)
    assert sources
    assert all(source.startswith("/") for source in sources), sources
    # The strict CSP allows no inline script: the settings travel as a JSON data block.
    assert all(
        'type="application/json"' in tag for tag in re.findall(r"<script(?![^>]*src=)[^>]*>", page)
    )
    assert client.get("/api/v1/openapi.json").json()["info"]["title"] == "SecureScope API"
