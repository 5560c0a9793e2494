"""Error pages and the sign-in page in the app's look, and the favicon whitenoise serves."""

import pytest
from django.test import Client, RequestFactory
from django.urls import reverse
from django.views.defaults import server_error

from testing.factories import create_member

pytestmark = pytest.mark.django_db

STYLESHEET = "css/securescope.css"
FAVICON = "favicon.svg"


def assert_in_the_apps_look(page: str) -> None:
    assert STYLESHEET in page
    assert f'rel="icon" href="/static/{FAVICON}"' in page
    assert 'class="card narrow' in page


def test_not_found_is_the_styled_404(client):
    client.force_login(create_member(username="vera", group="viewer"))
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    page = response.content.decode()
    assert_in_the_apps_look(page)
    assert "Nothing here" in page


def test_a_missing_permission_is_the_styled_403(client):
    client.force_login(create_member(username="vera", group="viewer"))
    response = client.get(reverse("scans:new"))
    assert response.status_code == 403
    page = response.content.decode()
    assert_in_the_apps_look(page)
    assert "You may not do this" in page


def test_a_refused_csrf_token_is_the_styled_403():
    client = Client(enforce_csrf_checks=True)
    client.force_login(create_member(username="olga", group="operator"))
    response = client.post(reverse("findings:severity"), {"severity_floor": "high"})
    assert response.status_code == 403
    page = response.content.decode()
    assert_in_the_apps_look(page)
    assert "This form has expired" in page


def test_a_server_error_is_the_styled_500_and_needs_no_request_context():
    # Django renders 500.html with an empty context: no user, no context processors.
    response = server_error(RequestFactory().get("/"))
    assert response.status_code == 500
    page = response.content.decode()
    assert_in_the_apps_look(page)
    assert "Something went wrong on our side" in page
    assert "Sign out" not in page


def test_the_sign_in_page_is_in_the_apps_look(client):
    page = client.get(reverse("login")).content.decode()
    assert_in_the_apps_look(page)
    assert "Sign in to SecureScope" in page


def test_whitenoise_serves_the_favicon(settings):
    # As in production, without the test client's static handler; finders instead of a
    # collectstatic run.
    settings.WHITENOISE_USE_FINDERS = True
    response = Client().get(f"/static/{FAVICON}")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/svg+xml"
    assert b"<svg" in b"".join(response.streaming_content)
