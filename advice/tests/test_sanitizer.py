import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from advice.prompts import advice_messages
from advice.sanitizer import PromptRefused, identifier_kinds, prompt_check
from rules.loading import load_catalog

HEX = "0123456789abcdef"
hex_digits = st.text(alphabet=HEX, min_size=8, max_size=17)
resource_ids = st.builds(
    lambda prefix, digits: f"{prefix}-{digits}",
    st.sampled_from(["i", "vol", "sg", "snap", "ami", "eni"]),
    hex_digits,
)
account_ids = st.from_regex(r"\A[0-9]{12}\Z")
access_key_ids = st.builds(
    lambda prefix, rest: prefix + rest,
    st.sampled_from(["AKIA", "ASIA"]),
    st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", min_size=16, max_size=16),
)
arns = st.builds(
    lambda service, account, name: f"arn:aws:{service}::{account}:thing/{name}",
    st.sampled_from(["iam", "ec2", "eks", "s3"]),
    account_ids,
    st.text(alphabet="abcdefghijklmnop-", min_size=1, max_size=12),
)
private_ipv4 = st.builds(
    lambda a, b, c, d: f"{a}.{b}.{c}.{d}",
    st.integers(1, 223),
    st.integers(0, 255),
    st.integers(0, 255),
    st.integers(1, 254),
)
ipv6 = (
    st.ip_addresses(v=6).map(str).filter(lambda address: address not in ("::",) and ":" in address)
)
labels = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789", min_size=2, max_size=12)
hostnames = st.builds(
    lambda host, domain, tld: f"{host}.{domain}.{tld}",
    labels,
    labels,
    st.sampled_from(["com", "net", "internal", "corp", "example", "io"]),
)
emails = st.builds(lambda user, host: f"{user}@{host}", labels, hostnames)
identifiers = st.one_of(
    resource_ids, account_ids, access_key_ids, arns, private_ipv4, ipv6, hostnames, emails
)
# Text around an identifier, separated from it by a space as in a JSON-rendered prompt.
filler = st.text(alphabet='abcdefghijklmnopqrstuvwxyz ,:{}[]"', max_size=40)


# No deadline: on a loaded 2-core machine a slow example is not a failure of the sanitizer.
@settings(deadline=None)
@given(before=filler, identifier=identifiers, after=filler)
def test_a_prompt_with_any_identifier_is_refused(before, identifier, after):
    with pytest.raises(PromptRefused) as refused:
        prompt_check(f"{before} {identifier} {after}")
    assert identifier not in str(refused.value)


@settings(deadline=None)
@given(identifier=identifiers)
def test_an_identifier_inside_evidence_refuses_the_whole_prompt(identifier):
    rule = load_catalog().rules[0]
    with pytest.raises(PromptRefused):
        advice_messages(rule=rule, shape={"name": identifier, "open_ports": [22]})


def test_world_cidrs_ports_and_versions_pass():
    text = (
        'evidence: {"sources": ["0.0.0.0/0", "::/0"], "open_ports": [22, 3389], "version": "1.28"}'
    )
    assert prompt_check(text) == text


def test_the_refusal_is_logged_by_kind_never_by_value(caplog):
    with pytest.raises(PromptRefused):
        prompt_check("security group sg-0123456789abcdef0 in 123456789012")
    assert "resource_id" in caplog.text
    assert "account_id" in caplog.text
    assert "sg-0123456789abcdef0" not in caplog.text
    assert "123456789012" not in caplog.text


@pytest.mark.parametrize("rule", load_catalog().rules, ids=lambda rule: rule.id)
def test_every_catalog_rule_can_be_asked_about(rule):
    """The curated text that goes into every prompt must itself pass the identifier check."""
    messages = advice_messages(rule=rule, shape={"open_ports": [22], "http_tokens": "optional"})
    assert not identifier_kinds(messages[0]["content"])


@pytest.mark.parametrize(
    "public",
    [
        "sts.amazonaws.com",
        "arn:aws:iam::aws:policy/AdministratorAccess",
        "arn:aws:s3:::<bucket-name>/*",
        "arn:aws:ssm:<region>:<account-id>:servicesetting/ssm/managed-instance/x",
    ],
)
def test_public_aws_names_and_arn_templates_pass(public):
    assert prompt_check(f"use {public} here") == f"use {public} here"


@pytest.mark.parametrize(
    "identifying",
    [
        "arn:aws:s3:::payroll-exports",
        "payroll-exports.s3.amazonaws.com",
        "arn:aws:iam::123456789012:role/admin",
        "ABCD1234.gr7.eu-west-1.eks.amazonaws.com",
        "arn:aws:iam::aws:policy/x arn:aws:s3:::payroll-exports",
    ],
)
def test_customer_names_under_aws_domains_are_still_refused(identifying):
    with pytest.raises(PromptRefused):
        prompt_check(f"use {identifying} here")
