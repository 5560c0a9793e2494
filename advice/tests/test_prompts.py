"""The prompt grounds each section the model writes in the same section of the curated advice."""

import json

from advice.prompts import FACTS_HEADING, SECTIONS, advice_messages, advice_schema
from rules.loading import load_catalog

RULE = next(rule for rule in load_catalog().rules if rule.id == "EC2_IMDSV2_REQUIRED")


def prompt_facts() -> dict:
    (message,) = advice_messages(rule=RULE, shape={"http_tokens": "optional"})
    return json.loads(message["content"].split(FACTS_HEADING, 1)[1])


def test_the_prompt_carries_all_five_curated_sections_under_the_answers_keys():
    curated = prompt_facts()["curated_advice"]
    assert list(curated) == sorted(SECTIONS), "the keys the answer must use"
    assert curated == {
        "rationale": RULE.rationale.strip(),
        "remediation_cli": RULE.remediation.cli,
        "remediation_console": RULE.remediation.console,
        "blast_radius": RULE.remediation.blast_radius,
        "regression_testing": RULE.remediation.regression_testing,
    }
    assert set(curated) == set(advice_schema()["required"])


def test_the_prompt_gives_the_one_line_fix_and_asks_to_keep_to_the_curated_advice():
    facts = prompt_facts()
    assert facts["fix_summary"] == RULE.remediation.summary
    assert facts["evidence"] == {"http_tokens": "optional"}
    (message,) = advice_messages(rule=RULE, shape={})
    instructions = message["content"].split(FACTS_HEADING, 1)[0]
    assert "same section of the curated advice" in instructions
    assert "keep the commands of its AWS service" in instructions
    assert "leave no section out" in instructions
