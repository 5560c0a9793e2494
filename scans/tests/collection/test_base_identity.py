"""The base identity: the host's own credentials, only when switched on, only to assume a role."""

import boto3
import pytest

from scans.collection.aws import (
    AwsCredentials,
    BaseIdentityUnavailable,
    CredentialsRejected,
    ambient_credentials,
    assumed_role_credentials,
)
from testing.aws import TEST_ACCESS_KEY_ID, TEST_SECRET_ACCESS_KEY
from testing.factories import MEMBER_ROLE_ARN
from testing.processes import embedded_env, run_manage


def test_the_base_identity_is_off_unless_switched_on():
    # The environment holds keys (the autouse fixture): off means they are not even read.
    with pytest.raises(BaseIdentityUnavailable, match="SCANNER_BASE_IDENTITY=ambient"):
        ambient_credentials()


def test_ambient_reads_the_standard_provider_chain(ambient_base_identity, monkeypatch):
    monkeypatch.setenv("AWS_SESSION_TOKEN", "FwoGZXIvYXdzEXAMPLETOKEN")
    credentials = ambient_credentials()
    assert credentials.access_key_id == TEST_ACCESS_KEY_ID
    assert credentials.secret_access_key == TEST_SECRET_ACCESS_KEY
    assert credentials.session_token == "FwoGZXIvYXdzEXAMPLETOKEN"
    assert TEST_SECRET_ACCESS_KEY not in repr(credentials)


def test_a_host_without_credentials_gets_a_clear_error(ambient_base_identity, monkeypatch):
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_WEB_IDENTITY_TOKEN_FILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", raising=False)
    monkeypatch.delenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", raising=False)
    # No instance metadata service here: the chain's last step is not asked.
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    with pytest.raises(BaseIdentityUnavailable, match="this host has no AWS credentials"):
        ambient_credentials()


def test_the_role_is_assumed_into_its_account_and_only_its_keys_come_back(
    aws, ambient_base_identity
):
    base = ambient_credentials()
    role = assumed_role_credentials(base, role_arn=MEMBER_ROLE_ARN, external_id="Partner-42")
    assert role.access_key_id.startswith("ASIA")
    assert role.access_key_id != base.access_key_id
    assert role.secret_access_key != base.secret_access_key
    assert role.session_token
    # Nothing left to assume with: a scan keeps these keys, never the base identity's.
    assert role.role_arn == role.external_id == ""
    identity = boto3.client(
        "sts",
        region_name="us-east-1",
        aws_access_key_id=role.access_key_id,
        aws_secret_access_key=role.secret_access_key,
        aws_session_token=role.session_token,
    ).get_caller_identity()
    assert identity["Account"] == "111122223333"


def test_keys_aws_does_not_know_are_a_clear_refusal(auditor_keys):
    unknown = AwsCredentials("AKIAZZZZZZZZZEXAMPLE", "x" * 40)
    with pytest.raises(CredentialsRejected, match="InvalidClientTokenId"):
        assumed_role_credentials(unknown, role_arn=MEMBER_ROLE_ARN)


@pytest.mark.subprocess
def test_an_unknown_base_identity_refuses_to_start(tmp_path):
    result = run_manage(
        embedded_env(DATA_DIR=str(tmp_path), SCANNER_BASE_IDENTITY="instance-profile"), "check"
    )
    assert result.returncode != 0
    assert "SCANNER_BASE_IDENTITY must be 'none' or 'ambient'" in result.stderr


def test_a_profile_whose_keys_cannot_be_fetched_is_a_clear_error(
    ambient_base_identity, monkeypatch, tmp_path
):
    """An SSO profile that was never signed in: botocore finds it, then cannot get its keys."""
    config = tmp_path / "config"
    config.write_text(
        "[profile audit]\n"
        "sso_start_url = https://example.awsapps.com/start\n"
        "sso_region = us-east-1\n"
        "sso_account_id = 123456789012\n"
        "sso_role_name = Audit\n"
    )
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config))
    monkeypatch.setenv("AWS_PROFILE", "audit")
    monkeypatch.setenv("HOME", str(tmp_path))  # no cached SSO token under ~/.aws/sso
    with pytest.raises(BaseIdentityUnavailable, match=r"could not be read \(\w+\)"):
        ambient_credentials()
