"""Sessions built from pasted keys share botocore's parsed models, never their credentials."""

from scans.aws import AwsCredentials, new_client, session_from_credentials


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
