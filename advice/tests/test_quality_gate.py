import json

import pytest

from advice.quality import AdviceRejected, advice_checked

CURATED_CLI = (
    "aws ec2 modify-instance-metadata-options --instance-id <instance-id> --http-tokens required"
)
GOOD = {
    "rationale": "IMDSv1 answers any request, so an SSRF bug can read the role's credentials.",
    "remediation_cli": "aws ec2 modify-instance-metadata-options --instance-id <instance-id> "
    "--http-tokens required --http-endpoint enabled",
    "remediation_console": "EC2 console > Instances > Actions > Instance settings > Modify "
    "instance metadata options > IMDSv2 Required.",
    "blast_radius": "Software that still calls the metadata service without a token breaks, "
    "typically old SDKs and agents.",
    "regression_testing": "Before the change, watch the MetadataNoToken metric; after it, run "
    "the application's health checks and confirm the SDK still gets credentials.",
}


def answer(**overrides):
    return json.dumps({**GOOD, **overrides})


def test_a_good_answer_passes():
    assert advice_checked(answer(), curated_cli=CURATED_CLI) == GOOD


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("not json at all", "not JSON"),
        ('["a list"]', "not a JSON object"),
        (json.dumps({k: v for k, v in GOOD.items() if k != "blast_radius"}), "blast_radius"),
        (answer(regression_testing="ok"), "regression_testing missing or too short"),
        (answer(rationale="x" * 1300), "longer than"),
        (answer(rationale="turn on the token. " * 5), "repeats itself"),
        (
            answer(blast_radius="It breaks the host web01.corp.example.com right away."),
            "identifier",
        ),
        (
            answer(remediation_cli="aws s3api put-bucket-encryption --bucket <bucket-name> now"),
            "none of the curated",
        ),
        (
            answer(
                remediation_cli="aws ec2 modify-instance-metadata-options --instance-id <id>; "
                "aws iam delete-role --role-name <role-name>"
            ),
            "contradicts",
        ),
    ],
    ids=[
        "not-json",
        "not-object",
        "missing-section",
        "short-section",
        "too-long",
        "repetition",
        "identifier",
        "wrong-service",
        "extra-service",
    ],
)
def test_bad_answers_are_rejected_with_a_reason(raw, reason):
    with pytest.raises(AdviceRejected, match=reason):
        advice_checked(raw, curated_cli=CURATED_CLI)


def test_the_rejection_never_quotes_the_answer():
    secret_looking = "aws s3 ls # mention of sg-0123456789abcdef0"
    with pytest.raises(AdviceRejected) as rejected:
        advice_checked(answer(remediation_cli=secret_looking), curated_cli=CURATED_CLI)
    assert "sg-0123456789abcdef0" not in str(rejected.value)
