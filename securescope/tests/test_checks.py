"""The system check that warns of a weak RESOURCE_HASH_KEY."""

import hashlib
import hmac
import secrets

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError

from securescope.checks import weak_resource_hash_key


@pytest.mark.parametrize(
    "key",
    ["short-key", "a" * 64, "password" * 8, "0123456789abcdef" * 2],
)
def test_a_short_or_patterned_key_is_warned_about(settings, key):
    settings.RESOURCE_HASH_KEY = key
    (warning,) = weak_resource_hash_key()
    assert warning.id == "securescope.W001"
    assert key not in warning.msg + warning.hint


def test_a_generated_key_and_the_default_derived_one_pass(settings):
    settings.RESOURCE_HASH_KEY = secrets.token_hex(32)
    assert weak_resource_hash_key() == []
    settings.RESOURCE_HASH_KEY = secrets.token_urlsafe(32)
    assert weak_resource_hash_key() == []
    # With none set, the key is derived from SECRET_KEY (settings.py): nothing to warn about.
    settings.RESOURCE_HASH_KEY = hmac.new(
        settings.SECRET_KEY.encode(), b"securescope resource hash", hashlib.sha256
    ).hexdigest()
    assert weak_resource_hash_key() == []


def test_manage_py_check_reports_it(settings):
    settings.RESOURCE_HASH_KEY = "changeme"
    with pytest.raises(SystemCheckError, match=r"securescope\.W001"):
        call_command("check", "--fail-level", "WARNING")
