"""Key material never reaches a log line or an error page, even when a scan crashes."""

import io
import logging

import pytest
from django.test import Client
from django.urls import reverse

from scans.lifecycle.services import scan_wait
from scans.models import Scan
from securescope.scrubbing import (
    SUBSTITUTE,
    SecretScrubFilter,
    scrub,
    traceback_without_message,
)
from testing.canary import CANARY_KEY_ID, CANARY_SECRET, CANARY_TOKEN, assert_no_canary
from testing.factories import create_user

pytestmark = pytest.mark.django_db(transaction=True)

CANARY_FORM = {
    "access_key_id": CANARY_KEY_ID,
    "secret_access_key": CANARY_SECRET,
    "session_token": CANARY_TOKEN,
    "regions": ["eu-west-1"],
    # Temporary keys without an expiration ask first (credential_expiry_problem).
    "start_anyway": "on",
}


def exploding(*args, **kwargs):
    """Fails the way careless code does: key material in a local and in the message."""
    secret_access_key = CANARY_SECRET
    raise RuntimeError(
        f"cannot go on with {CANARY_KEY_ID} secret_access_key={secret_access_key} "
        f"session_token: {CANARY_TOKEN}"
    )


@pytest.fixture
def server_log():
    """What the configured console handler writes (the one every server log line goes to)."""
    handlers = [
        handler
        for handler in logging.getLogger().handlers
        if any(isinstance(f, SecretScrubFilter) for f in handler.filters)
    ]
    assert len(handlers) == 1
    captured = io.StringIO()
    previous = handlers[0].setStream(captured)
    yield captured
    handlers[0].setStream(previous)


def handlers_reaching(name: str) -> list[logging.Handler]:
    logger, found = logging.getLogger(name), []
    while logger:
        found.extend(logger.handlers)
        logger = logger.parent if logger.propagate else None
    return [h for h in found if type(h).__module__ != "_pytest.logging"]


def test_every_handler_of_the_request_and_scan_loggers_scrubs():
    for name in ("django.request", "scans.lifecycle.services", "django_q"):
        handlers = handlers_reaching(name)
        assert handlers, name
        for handler in handlers:
            assert any(isinstance(f, SecretScrubFilter) for f in handler.filters), name


@pytest.mark.parametrize("debug", [False, True])
def test_a_crash_while_starting_a_scan_leaks_nothing(aws, monkeypatch, settings, server_log, debug):
    settings.DEBUG = debug
    monkeypatch.setattr("scans.lifecycle.services.rule_settings_snapshot", exploding)
    client = Client(raise_request_exception=False)
    client.force_login(create_user())

    response = client.post(reverse("scans:new"), CANARY_FORM)

    assert response.status_code == 500
    if debug:  # the technical page really is shown, scrubbed
        assert b"RuntimeError" in response.content
        assert SUBSTITUTE.encode() in response.content
    assert_no_canary(response.content, "the 500 response")
    assert "RuntimeError" in server_log.getvalue()
    assert_no_canary(server_log.getvalue(), "the server log")
    assert not Scan.objects.exists()


def test_a_crash_inside_a_scan_unit_leaks_nothing(aws, monkeypatch, server_log):
    monkeypatch.setattr("scans.lifecycle.units._collect", exploding)
    client = Client()
    client.force_login(create_user())

    client.post(reverse("scans:new"), CANARY_FORM)
    scan = scan_wait(scan_id=Scan.objects.get().id, timeout=60)

    assert scan.status == Scan.Status.FAILED
    assert "crashed" in server_log.getvalue()
    assert "RuntimeError" in server_log.getvalue()
    assert_no_canary(server_log.getvalue(), "the server log")


@pytest.mark.parametrize(
    "text",
    [
        f"key {CANARY_KEY_ID} used",
        f"secret={CANARY_SECRET}",
        f"token {CANARY_TOKEN}",
        "{'external_id': ['Partner-ExternalId-42']}",
        "AWS_SECRET_ACCESS_KEY=short-but-named",
    ],
)
def test_scrub_removes_key_material(text):
    assert_no_canary(scrub(text), "scrubbed text")
    assert "Partner-ExternalId" not in scrub(text)
    assert "short-but-named" not in scrub(text)


def test_scrub_keeps_ordinary_text_and_resource_hashes():
    text = f"Scan 3f2a unit eu-west-1 finished: 12 findings, hash {'ab' * 32}"
    assert scrub(text) == text


def test_a_traceback_without_message_keeps_the_types_and_frames_of_the_whole_chain():
    def parse(value):
        return int(value)

    def describe(value):
        try:
            return parse(value)
        except ValueError as error:
            raise RuntimeError(f"bad volume {value}") from error

    volume = "-".join(["vol", "0123456789abcdef0"])  # so that no source line shows it
    with pytest.raises(RuntimeError) as raised:
        describe(volume)
    text = traceback_without_message(raised.value)

    assert "in describe" in text
    assert "in parse" in text
    assert text.index("builtins.RuntimeError") < text.index("builtins.ValueError")
    assert "0123456789abcdef0" not in text
