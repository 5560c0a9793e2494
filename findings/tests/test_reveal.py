"""The pieces of a reveal without AWS: Name tags, the revealed CSV, the entry on a real Redis."""

import csv
import io
import json

import pytest
import redis
from django.contrib.sessions.backends.db import SessionStore
from django.core.cache import caches
from django.utils import timezone

from conftest import TEST_REDIS_URL
from findings.exports import export_csv, export_json
from findings.identifiers import Identity, name_tag
from findings.reveal import (
    Listing,
    reveal_cache_key,
    reveal_expiry,
    reveal_forget,
    reveal_get,
    scan_reveal,
)
from findings.selectors import finding_list
from scans.collection.aws import AwsCredentials
from securescope.models import AuditEvent
from testing.factories import create_finding, create_member, create_scan

pytestmark = pytest.mark.django_db
ARN = "arn:aws:ec2:eu-west-1:123456789012:security-group/sg-0123456789abcdef0"
NAME = "canary-name-Rd4tT"


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ({"Tags": [{"Key": "env", "Value": "prod"}, {"Key": "Name", "Value": "web"}]}, "web"),
        ({"tags": {"Name": "cluster-a", "team": "x"}}, "cluster-a"),
        ({"Tags": [{"Key": "name", "Value": "lower case is another tag"}]}, ""),
        ({"GroupId": "sg-1"}, ""),
        ({"Tags": [{"Key": "Name", "Value": "x" * 300}]}, "x" * 256),
    ],
    ids=["ec2 tag list", "eks tag map", "no Name", "no tags", "capped"],
)
def test_name_tag_reads_each_shape(data, expected):
    assert name_tag(data) == expected


@pytest.fixture
def finding():
    return create_finding(create_scan(finished_at=timezone.now()))


def test_csv_keeps_a_spreadsheet_from_running_a_name_and_json_keeps_it_as_is(finding):
    identities = {finding.resource_hash: Identity(arn=ARN, name='=HYPERLINK("x")')}
    findings = finding_list(scan_id=finding.scan_id)
    header, row = csv.reader(
        io.StringIO("".join(export_csv(finding.scan, findings, identities=identities)))
    )
    assert row[header.index("resource_name")] == '\'=HYPERLINK("x")'
    assert row[header.index("resource_arn")] == ARN
    record = json.loads("".join(export_json(finding.scan, findings, identities=identities)))
    assert record["findings"][0]["resource_name"] == '=HYPERLINK("x")'


def test_a_resource_not_found_exports_empty_fields(finding):
    findings = finding_list(scan_id=finding.scan_id)
    record = json.loads("".join(export_json(finding.scan, findings, identities={})))
    assert record["findings"][0]["resource_arn"] is None
    assert record["findings"][0]["resource_name"] is None


@pytest.fixture
def redis_cache(settings):
    """The encrypted cache on the real Redis of SECURESCOPE_TEST_REDIS_URL; a raw client."""
    settings.CACHES = {
        **settings.CACHES,
        "vault": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": TEST_REDIS_URL,
        },
    }
    client = redis.Redis.from_url(TEST_REDIS_URL)
    client.flushdb()
    yield client
    caches["vault"].close()
    client.flushdb()


def test_on_redis_the_entry_is_ciphertext_with_the_ttl(redis_cache, finding, settings, monkeypatch):
    settings.REVEAL_TTL_SECONDS = 900
    listing = Listing(identities={finding.resource_hash: Identity(ARN, NAME)}, resources=1)
    monkeypatch.setattr("findings.reveal.resources_list", lambda **kwargs: listing)
    session = SessionStore()
    user = create_member(username="olga", group="operator")
    result = scan_reveal(
        scan=finding.scan,
        credentials=AwsCredentials("AKIAIOSFODNN7EXAMPLE", "x" * 40),
        user=user,
        session=session,
    )
    assert (result.revealed, result.resources) == (1, 1)
    (key,) = redis_cache.keys("*securescope:reveal:*")
    assert 0 < redis_cache.ttl(key) <= 900
    raw = redis_cache.dump(key)
    for value in (ARN, NAME, "sg-0123456789abcdef0", session.session_key):
        assert value.encode() not in raw
    assert session.session_key.encode() not in key
    assert reveal_get(session=session, scan_id=finding.scan_id).identities == {
        finding.resource_hash: Identity(ARN, NAME)
    }
    assert reveal_expiry(session=session, scan_id=finding.scan_id) == result.expires_at
    event = AuditEvent.objects.get(action=AuditEvent.Action.RESOURCES_REVEALED)
    assert event.detail == {"revealed": 1, "resources": 1, "not_listed": 0}
    reveal_forget(session=session, scan_id=finding.scan_id)
    assert redis_cache.keys("*securescope:reveal:*") == []
    assert reveal_get(session=session, scan_id=finding.scan_id) is None


def test_an_entry_copied_under_another_session_does_not_open(finding, monkeypatch):
    listing = Listing(identities={finding.resource_hash: Identity(ARN, NAME)}, resources=1)
    monkeypatch.setattr("findings.reveal.resources_list", lambda **kwargs: listing)
    user = create_member(username="olga", group="operator")
    mine, theirs = SessionStore(), SessionStore()
    for session in (mine, theirs):
        scan_reveal(scan=finding.scan, credentials=None, user=user, session=session)
    cache = caches["vault"]
    stolen = cache.get(reveal_cache_key(mine.session_key, finding.scan_id))
    cache.set(reveal_cache_key(theirs.session_key, finding.scan_id), stolen)
    assert reveal_get(session=mine, scan_id=finding.scan_id) is not None
    assert reveal_get(session=theirs, scan_id=finding.scan_id) is None
