"""CSRF on every form: each route refuses a POST without a token, each POST form sends one.

Routes come from the URL walk, so a new route (or a view marked csrf_exempt) is checked without
anyone adding it here. The POST routes that back a form are listed to make sure the walk sees them.
"""

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from securescope.tests.test_url_access import named_routes, url_for, world  # noqa: F401
from testing.factories import create_user

pytestmark = pytest.mark.django_db

FORM_ROUTES = {
    "login",
    "logout",
    "scans:new",
    "scans:demo",
    "scans:cancel",
    "findings:identify",
    "findings:mute",
    "findings:mute_delete",
    "findings:severity",
}
# The API's operations take a bearer token and ignore the session cookie, so a cross-site form
# carries no credential to them: they are CSRF-exempt (test_api_ignores_the_session below).
SITE_ROUTES = sorted(name for name, _ in named_routes() if not name.startswith(("admin:", "api:")))
POST_FORM = re.compile(r"<form\b[^>]*\bmethod=\"post\"[^>]*>(.*?)</form>", re.I | re.S)


def test_the_walk_sees_every_form_route():
    assert FORM_ROUTES - set(SITE_ROUTES) == set()


@pytest.mark.parametrize("name", SITE_ROUTES)
def test_post_without_token_is_refused(name, world):  # noqa: F811 (the URL walk's fixture)
    client = Client(enforce_csrf_checks=True)
    # A superuser passes every permission check, so a 403 can only be CSRF's.
    client.force_login(create_user(username="root", is_staff=True, is_superuser=True))
    response = client.post(url_for(name, dict(named_routes())[name], world), {})
    assert response.status_code == 403
    assert b"CSRF verification failed" in response.content


def test_api_ignores_the_session(world):  # noqa: F811 (the URL walk's fixture)
    client = Client(enforce_csrf_checks=True)
    client.force_login(create_user(username="root", is_staff=True, is_superuser=True))
    for name, pattern in named_routes():
        if name.startswith("api:") and name not in ("api:openapi-json", "api:api-root"):
            response = client.post(url_for(name, pattern, world), {}, secure=True)
            assert response.status_code in (401, 405), name


def test_login_form_is_refused_without_token():
    client = Client(enforce_csrf_checks=True)
    create_user()
    response = client.post(
        reverse("login"), {"username": "analyst", "password": "correct horse battery"}
    )
    assert response.status_code == 403
    assert "_auth_user_id" not in client.session


def post_forms() -> list[tuple[str, str]]:
    templates = Path(settings.BASE_DIR) / "templates"
    return [
        (str(path.relative_to(templates)), form)
        for path in sorted(templates.rglob("*.html"))
        for form in POST_FORM.findall(path.read_text())
    ]


def test_every_post_form_in_the_templates_sends_the_token():
    forms = post_forms()
    assert len(forms) >= len(FORM_ROUTES), "the form pattern no longer finds the forms"
    missing = [path for path, body in forms if "{% csrf_token %}" not in body]
    assert not missing, f"POST forms without {{% csrf_token %}}: {missing}"
