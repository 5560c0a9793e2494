import json

import pytest

from advice.prompts import curated_sections
from advice.quality import AdviceRejected, advice_checked
from rules.loading import load_catalog
from rules.schema import SECTION_MAX_CHARS

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
        (answer(remediation_cli=(CURATED_CLI + "\n") * 3), "remediation_cli repeats itself"),
        (answer(remediation_cli=(CURATED_CLI + " ") * 3), "remediation_cli repeats itself"),
        (
            answer(regression_testing=GOOD["blast_radius"].upper()),
            "regression_testing repeats section blast_radius",
        ),
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
        "cli-line-loop",
        "cli-word-loop",
        "section-copied",
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


RULES = {rule.id: rule for rule in load_catalog().rules}


@pytest.mark.parametrize("rule", RULES.values(), ids=lambda rule: rule.id)
def test_the_gate_accepts_every_rules_own_curated_advice(rule, settings):
    """A model that keeps to the curated advice is never turned away by the gate."""
    settings.ADVICE_SECTION_MAX_CHARS = SECTION_MAX_CHARS
    curated = curated_sections(rule)
    assert advice_checked(json.dumps(curated), curated_cli=rule.remediation.cli) == curated


def imds_answer(**overrides) -> str:
    """An answer to EC2_IMDSV2_REQUIRED that adapts its curated advice."""
    curated = curated_sections(RULES["EC2_IMDSV2_REQUIRED"])
    adapted = {name: text[:400].rsplit(" ", 1)[0] for name, text in curated.items()}
    adapted["remediation_cli"] = curated["remediation_cli"].split("\n")[0]
    return json.dumps({**adapted, **overrides})


def test_an_answer_that_adapts_the_curated_advice_passes():
    cli = RULES["EC2_IMDSV2_REQUIRED"].remediation.cli
    sections = advice_checked(imds_answer(), curated_cli=cli)
    assert sections["remediation_cli"].startswith("aws ec2 modify-instance-metadata-options")


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        # The curated fix is an EC2 call; an S3 command contradicts it.
        (
            {"remediation_cli": "aws s3api put-bucket-encryption --bucket <bucket-name>"},
            "uses none of the curated commands' services (ec2)",
        ),
        (
            {
                "remediation_cli": "aws ec2 modify-instance-metadata-options --http-tokens "
                "required\naws s3 rm s3://<bucket-name> --recursive"
            },
            "contradicts the curated commands' services: s3",
        ),
        ({"blast_radius": None}, "section blast_radius missing"),
        ({"regression_testing": "   "}, "section regression_testing missing or too short"),
    ],
    ids=["other-service", "extra-service", "dropped-section", "empty-section"],
)
def test_an_answer_that_contradicts_or_drops_the_curated_advice_is_rejected(overrides, reason):
    cli = RULES["EC2_IMDSV2_REQUIRED"].remediation.cli
    with pytest.raises(AdviceRejected, match=reason.replace("(", r"\(").replace(")", r"\)")):
        advice_checked(imds_answer(**overrides), curated_cli=cli)
