"""Sessions built from pasted keys share botocore's parsed models, never their credentials."""

import botocore.parsers
import botocore.utils
import pytest
from moto.sts.models import STSBackend

from scans.collection import aws as scans_aws
from scans.collection.aws import (
    ROLE_SESSION_SECONDS,
    AwsCredentials,
    new_client,
    scan_session,
    session_from_credentials,
)


def _loader(session):
    return session._session.get_component("data_loader")


def test_sessions_share_the_parsed_models_but_keep_their_own_keys():
    first = session_from_credentials(AwsCredentials("AKIAFIRSTKEYEXAMPLE0", "a" * 40))
    second = session_from_credentials(AwsCredentials("AKIASECONDKEYEXAMPLE", "b" * 40))
    assert _loader(first) is _loader(second)
    new_client(first, "ec2", "eu-west-1")
    new_client(second, "ec2", "eu-west-1")
    assert first.get_credentials().access_key == "AKIAFIRSTKEYEXAMPLE0"
    assert second.get_credentials().access_key == "AKIASECONDKEYEXAMPLE"


def test_many_sessions_do_not_grow_the_shared_search_path():
    credentials = AwsCredentials("AKIAIOSFODNN7EXAMPLE", "x" * 40)
    paths = list(_loader(session_from_credentials(credentials)).search_paths)
    for _ in range(5):
        session = session_from_credentials(credentials)
    assert _loader(session).search_paths == paths
    assert len(paths) == len(set(paths))


ROLE_ARN = "arn:aws:iam::123456789012:role/SecureScopeAudit"


@pytest.fixture
def assumed(aws, monkeypatch) -> list[tuple[str, str, int]]:
    """Every AssumeRole moto answers: role ARN, external id and duration."""
    calls = []
    assume_role = STSBackend.assume_role

    def counted(self, **kwargs):
        calls.append((kwargs["role_arn"], kwargs["external_id"], kwargs["duration"]))
        return assume_role(self, **kwargs)

    monkeypatch.setattr(STSBackend, "assume_role", counted)
    return calls


def role_session():
    return scan_session(
        AwsCredentials(
            "AKIAIOSFODNN7EXAMPLE", "x" * 40, role_arn=ROLE_ARN, external_id="Partner-42"
        )
    )


def test_a_fresh_role_session_is_not_assumed_again(assumed):
    session = role_session()
    new_client(session, "ec2", "eu-west-1").describe_vpcs()
    assert assumed == [(ROLE_ARN, "Partner-42", ROLE_SESSION_SECONDS)]


def test_a_role_session_near_its_expiry_assumes_the_role_again(assumed, monkeypatch):
    # AWS's shortest role session is already inside botocore's 15-minute refresh window.
    monkeypatch.setattr(scans_aws, "ROLE_SESSION_SECONDS", 900)
    session = role_session()
    first_key = session.get_credentials().get_frozen_credentials().access_key
    assert len(assumed) == 2  # the second on reading the credentials

    response = new_client(session, "ec2", "eu-west-1").describe_vpcs()

    assert response["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert set(assumed) == {(ROLE_ARN, "Partner-42", 900)}
    assert len(assumed) >= 3
    assert session.get_credentials().get_frozen_credentials().access_key != first_key


@pytest.mark.parametrize(
    "value",
    [
        "2024-05-01T12:00:00.000Z",
        "2024-05-01T12:00:00Z",
        "2024-05-01T14:00:00+02:00",
        "2024-05-01T12:00:00",
        "Wed, 01 May 2024 12:00:00 GMT",
        1714564800,
    ],
)
def test_answers_timestamps_are_the_instants_botocore_reads(value):
    assert scans_aws._timestamp(value) == botocore.utils.parse_timestamp(value)


def test_scan_sessions_read_timestamps_without_botocores_general_parser(aws, monkeypatch):
    def refuse(value: object) -> None:
        raise AssertionError("botocore's general timestamp parser was used")

    monkeypatch.setattr(botocore.parsers, "DEFAULT_TIMESTAMP_PARSER", refuse)
    session = scans_aws.session_from_credentials(AwsCredentials("AKIAIOSFODNN7EXAMPLE", "x" * 40))
    ec2 = session.client("ec2", region_name="eu-west-1")

    volume = ec2.create_volume(AvailabilityZone="eu-west-1a", Size=1)

    assert volume["CreateTime"].year >= 2024
