"""Sign-in lockout per address: a higher limit of its own than a user name at one address."""

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from securescope.tests.test_transport import HTTPS, PASSWORD, sign_in
from testing.factories import create_user

pytestmark = pytest.mark.django_db


def test_an_address_trying_many_user_names_locks_at_its_own_higher_limit(settings):
    create_user(username="bob")
    tries = settings.LOGIN_ADDRESS_FAILURE_LIMIT
    assert tries > settings.AXES_FAILURE_LIMIT
    statuses = [sign_in(f"guess{n}", "wrong password", "198.51.100.7") for n in range(tries)]

    # Past the per-user limit in total, yet no one user name: colleagues behind one NAT address.
    assert statuses == [200] * (tries - 1) + [429]
    assert sign_in("bob", PASSWORD, "198.51.100.7") == 429
    assert sign_in("bob", PASSWORD, "198.51.100.8") == 302


def test_a_few_failures_spread_over_user_names_do_not_lock_the_address(settings):
    create_user(username="bob")
    for n in range(settings.AXES_FAILURE_LIMIT):
        sign_in(f"typo{n}", "wrong password", "198.51.100.7")
    assert sign_in("bob", PASSWORD, "198.51.100.7") == 302


def test_behind_a_proxy_the_address_it_saw_is_throttled(settings):
    settings.BEHIND_PROXY = True
    create_user(username="bob")
    proxy = "10.0.0.2"
    for attempt in range(settings.LOGIN_ADDRESS_FAILURE_LIMIT):
        # The client forges the first entry; the proxy appends the address it really saw.
        Client(REMOTE_ADDR=proxy).post(
            reverse("login"),
            {"username": f"guess{attempt}", "password": "wrong password"},
            headers={"x-forwarded-for": f"192.0.2.{attempt}, 198.51.100.7"},
            **HTTPS,
        )

    locked = Client(REMOTE_ADDR=proxy).post(
        reverse("login"),
        {"username": "bob", "password": PASSWORD},
        headers={"x-forwarded-for": "198.51.100.7"},
        **HTTPS,
    )
    other = Client(REMOTE_ADDR=proxy).post(
        reverse("login"),
        {"username": "bob", "password": PASSWORD},
        headers={"x-forwarded-for": "198.51.100.8"},
        **HTTPS,
    )
    assert (locked.status_code, other.status_code) == (429, 302)


def test_the_unlock_command_lifts_an_address_lock(settings):
    create_user(username="bob")
    for n in range(settings.LOGIN_ADDRESS_FAILURE_LIMIT):
        sign_in(f"guess{n}", "wrong password", "198.51.100.7")
    assert sign_in("bob", PASSWORD, "198.51.100.7") == 429

    call_command("axes_reset_ip", "198.51.100.7")

    assert sign_in("bob", PASSWORD, "198.51.100.7") == 302
