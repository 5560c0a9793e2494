"""Every kind of bad input, fed to the scan form and to `manage.py scan`: a clear message, and
nothing stored (no scan, no unit, no vault entry)."""

from collections.abc import Callable

import pytest
from botocore.stub import Stubber
from django.core.cache import caches
from django.core.management import CommandError, call_command
from django.urls import reverse

import scans.collection.aws
from scans.models import Scan, ScanRegion
from testing.aws import TEST_ACCESS_KEY_ID, TEST_SECRET_ACCESS_KEY, moto_user_keys
from testing.factories import create_user

pytestmark = pytest.mark.django_db

ROLE_ARN = "arn:aws:iam::123456789012:role/SecureScopeAudit"
VALID = {
    "access_key_id": TEST_ACCESS_KEY_ID,
    "secret_access_key": TEST_SECRET_ACCESS_KEY,
    "session_token": "",
    "role_arn": "",
    "external_id": "",
    "regions": ["eu-west-1"],
}
NO_STS_POLICY = """{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Resource": "*",
  "Action": ["sts:GetCallerIdentity", "ec2:Describe*"]}]}"""


def keys_without_assume_role(monkeypatch) -> dict:
    return moto_user_keys(monkeypatch, user_name="no-assume", policy=NO_STS_POLICY)


def unknown_key(monkeypatch) -> dict:
    moto_user_keys(monkeypatch, user_name="known", policy=NO_STS_POLICY)
    return {"access_key_id": "AKIAZZZZZZZZZEXAMPLE"}


def sts_answers(code: str) -> Callable:
    """STS answers `code` (a response checked against botocore's model by the Stubber)."""

    def setup(monkeypatch) -> dict:
        original = scans.collection.aws.new_client

        def stubbed(session, service, region, endpoint_url=""):
            api = original(session, service, region, endpoint_url)
            stubber = Stubber(api)
            stubber.add_client_error("get_caller_identity", code, http_status_code=403)
            stubber.activate()
            return api

        monkeypatch.setattr(scans.collection.aws, "new_client", stubbed)
        return {}

    return setup


CASES = [
    # (case, changes or a setup returning them, what the message says)
    ("key id too short", {"access_key_id": "AKIA123"}, "An access key id is 20 characters"),
    ("key id lower case", {"access_key_id": "akiaiosfodnn7example"}, "An access key id is"),
    ("key id unicode", {"access_key_id": "AKIAÄÖÜÄÖÜÄÖÜÄÖÜEXA"}, "An access key id is"),
    ("key id control chars", {"access_key_id": "AKIA\x1bIOSFODNN7EXAMP"}, "An access key id is"),
    ("key id empty", {"access_key_id": ""}, "This field is required"),
    ("key id oversized", {"access_key_id": "A" * 5000}, "at most 20 characters"),
    ("secret malformed", {"secret_access_key": "short"}, "A secret access key is 40"),
    ("secret unicode", {"secret_access_key": "é" * 40}, "A secret access key is 40"),
    ("secret right-to-left", {"secret_access_key": "\u202e" * 40}, "A secret access key is"),
    ("secret empty", {"secret_access_key": ""}, "This field is required"),
    ("secret oversized", {"secret_access_key": "x" * 100_000}, "at most 40 characters"),
    ("token control chars", {"session_token": "abc\x01def"}, "A session token contains only"),
    ("token oversized", {"session_token": "A" * 9000}, "at most 8192 characters"),
    ("temporary key, no token", {"access_key_id": "ASIAIOSFODNN7EXAMPLE"}, "need their session"),
    ("role ARN malformed", {"role_arn": "arn:aws:iam::12:role/x"}, "A role ARN looks like"),
    ("role ARN unicode", {"role_arn": f"{ROLE_ARN}ä"}, "A role ARN looks like"),
    ("role ARN script", {"role_arn": "<script>alert(1)</script>"}, "A role ARN looks like"),
    (
        "external id bad characters",
        {"role_arn": ROLE_ARN, "external_id": "bad id!"},
        "An external id is 2 to 1224",
    ),
    (
        "external id unicode",
        {"role_arn": ROLE_ARN, "external_id": "Partnér-42"},
        "An external id is 2 to 1224",
    ),
    ("external id, no role", {"external_id": "Partner-42"}, "only used with a role"),
    ("unknown region", {"regions": ["mars-north-1"]}, "mars-north-1 is not one of"),
    ("duplicated region", {"regions": ["eu-west-1", "eu-west-1"]}, "more than once: eu-west-1"),
    ("1,000 regions", {"regions": ["eu-west-1"] * 1000}, "1000 regions given"),
    ("1,000 unknown regions", {"regions": [f"r{n}" for n in range(1000)]}, "1000 regions given"),
    ("wrong keys", unknown_key, "AWS does not recognise this access key id"),
    ("expired session token", sts_answers("ExpiredToken"), "have expired"),
    ("invalid session token", sts_answers("InvalidToken"), "session token is not valid"),
    (
        "AssumeRole denied",
        lambda monkeypatch: {**keys_without_assume_role(monkeypatch), "role_arn": ROLE_ARN},
        "may not assume that role",
    ),
]


# A browser cannot send 1,000 region fields; Django refuses such a POST before any form sees it
# (DATA_UPLOAD_MAX_NUMBER_FIELDS) and the 400 page says so.
REFUSED_BEFORE_THE_FORM = {"1,000 regions", "1,000 unknown regions"}


def bad_input(case, monkeypatch) -> dict:
    _, changes, _ = case
    return {**VALID, **(changes(monkeypatch) if callable(changes) else changes)}


def assert_nothing_stored() -> None:
    assert not Scan.objects.exists()
    assert not ScanRegion.objects.exists()
    assert not caches["vault"]._cache  # the in-process vault is empty


@pytest.mark.parametrize("case", CASES, ids=[case[0] for case in CASES])
def test_scan_form_refuses_with_a_clear_message(case, client, aws, monkeypatch):
    data = bad_input(case, monkeypatch)
    client.force_login(create_user())

    response = client.post(reverse("scans:new"), data)

    if case[0] in REFUSED_BEFORE_THE_FORM:
        assert response.status_code == 400
        assert "sent more than SecureScope accepts" in response.content.decode()
    else:
        assert response.status_code == 200
        assert case[2] in response.content.decode()
    assert_nothing_stored()


@pytest.mark.parametrize("case", CASES, ids=[case[0] for case in CASES])
def test_scan_command_refuses_with_a_clear_message(case, aws, monkeypatch):
    data = bad_input(case, monkeypatch)
    for variable, field in (
        ("AWS_ACCESS_KEY_ID", "access_key_id"),
        ("AWS_SECRET_ACCESS_KEY", "secret_access_key"),
        ("AWS_SESSION_TOKEN", "session_token"),
    ):
        monkeypatch.setenv(variable, data[field])
    # The external id comes from the environment: the command line would show it in ps.
    monkeypatch.setenv("SCAN_EXTERNAL_ID", data["external_id"])

    with pytest.raises(CommandError) as raised:
        call_command("scan", "--regions", ",".join(data["regions"]), "--role-arn", data["role_arn"])

    assert raised.value.returncode == 2
    assert case[2] in str(raised.value)
    assert_nothing_stored()
