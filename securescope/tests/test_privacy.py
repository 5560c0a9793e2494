"""The one identifier pattern set and the evidence allow-list (securescope.privacy): keys,
integers, ids the old deny-list missed, and placeholder ARNs that must not hide what follows."""

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from advice.sanitizer import identifier_kinds
from securescope.privacy import REDACTED, find_identifiers, redact_evidence
from securescope.scrubbing import scrub

IDENTIFIERS = [
    "123456789012",
    "1234-5678-9012",
    "i-0123456789abcdef0",
    "_i-0123456789abcdef0",
    "sgr-0123456789abcdef0",
    "pl-0a1b2c3d",
    "sg-0123456789abcdef0_web",
    "1234abcd-12ab-34cd-56ef-1234567890ab",
    "mrk-1234abcd12ab34cd56ef1234567890ab",
    "arn:aws:iam::123456789012:role/admin",
    "AKIAIOSFODNN7EXAMPLE",
    "payroll.example.com",
    "db.internal.acme.de",
    "10.0.1.23",
    "ops@example.org",
]


@pytest.mark.parametrize("identifier", IDENTIFIERS)
def test_every_listed_identifier_is_found_by_the_shared_patterns(identifier):
    assert find_identifiers(f"x {identifier} y")
    assert identifier_kinds(f"see {identifier}")


@pytest.mark.parametrize("identifier", IDENTIFIERS)
def test_no_listed_identifier_is_stored_as_a_value_or_a_key(identifier):
    stored = json.dumps(redact_evidence({"value": identifier, identifier: 1, "list": [identifier]}))
    assert identifier not in stored


def test_a_placeholder_arn_does_not_hide_the_identifier_after_it():
    text = "arn:aws:iam::<account-id>:role/<role-name>,arn:aws:iam::123456789012:role/admin"
    assert "account_id" in identifier_kinds(text)
    assert "account_id" in identifier_kinds("arn:aws:s3:::<bucket-name>/123456789012")
    assert identifier_kinds("arn:aws:iam::<account-id>:role/<role-name>") == []


def test_integers_that_can_be_account_ids_are_redacted_and_ports_are_kept():
    evidence = {"account": 123456789012, "port": 22, "count": 3, "days": 90.5}
    assert redact_evidence(evidence) == {**evidence, "account": REDACTED}


def test_allowed_evidence_is_kept_as_it_is():
    evidence = {
        "open_ports": [22, 3389],
        "cidr": "0.0.0.0/0",
        "sources": ["::/0"],
        "attached": "unknown",
        "version": "1.29",
        "platform": "eks.12",
        "action": "ec2:DescribeInstances",
        "resource": "c511c027bd1d6f902c5e9c429415efc0d6e602966d308fa4cd1a8d7cdd1e9933",
        "reason": "missing permission (AccessDenied): ec2:DescribeNetworkInterfaces",
        "nested": {"enabled": False, "count": None},
    }
    assert redact_evidence(evidence) == evidence


def test_logs_are_scrubbed_with_the_same_patterns():
    line = "on arn:aws:ec2:eu-west-1:123456789012:instance/i-0123456789abcdef0 (sgr-0a1b2c3d)"
    scrubbed = scrub(line)
    assert "123456789012" not in scrubbed
    assert "i-0123456789abcdef0" not in scrubbed
    assert "sgr-0a1b2c3d" not in scrubbed


identifier = st.sampled_from(IDENTIFIERS)
# Text around an identifier, in the characters that evidence and keys are made of.
padding = st.text(alphabet="abcxyz_-./: ", max_size=6)
dirty_text = st.builds(lambda a, i, b: f"{a}{i}{b}", padding, identifier, padding)
scalars = st.one_of(
    st.booleans(),
    st.none(),
    st.integers(),
    st.floats(allow_nan=False),
    st.text(max_size=30),
    dirty_text,
)
evidence = st.recursive(
    scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(st.one_of(st.text(max_size=20), dirty_text), children, max_size=4),
    ),
    max_leaves=12,
)


def _strings_and_numbers(value):
    if isinstance(value, dict):
        for key, item in value.items():
            yield key
            yield from _strings_and_numbers(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings_and_numbers(item)
    else:
        yield value


@settings(max_examples=300, deadline=None)
@given(evidence)
def test_nothing_stored_carries_an_identifier_in_a_key_a_value_or_an_integer(value):
    stored = redact_evidence(value)
    for part in _strings_and_numbers(stored):
        if isinstance(part, bool) or part is None:
            continue
        if isinstance(part, int | float):
            assert not 10**11 <= abs(part) < 10**12
            continue
        assert part.startswith(REDACTED) or not find_identifiers(part), part
    # Redaction is stable: what was stored is stored again unchanged.
    assert redact_evidence(stored) == stored
