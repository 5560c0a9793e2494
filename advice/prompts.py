"""What the model is asked, and the JSON schema its answer must follow."""

import json
from typing import Any

from django.conf import settings

from advice.sanitizer import prompt_check
from rules.schema import Rule

SECTIONS = (
    "rationale",
    "remediation_cli",
    "remediation_console",
    "blast_radius",
    "regression_testing",
)
SECTION_TITLES = {
    "rationale": "Why it matters",
    "remediation_cli": "Fix it with the AWS CLI",
    "remediation_console": "Fix it in the console",
    "blast_radius": "Blast radius",
    "regression_testing": "Regression testing",
}


def advice_schema() -> dict[str, Any]:
    """The JSON schema that constrains decoding (llama.cpp grammar or response_format).

    Each section is at most ADVICE_SECTION_MAX_CHARS long: llama.cpp expands maxLength into
    nested repetitions, refuses limits much above a few hundred characters (llama-cpp-python 0.3
    crashed the process at 1,200), and a small model on a CPU spends its time filling them.
    """
    limit = settings.ADVICE_SECTION_MAX_CHARS
    return {
        "type": "object",
        "properties": {
            name: {"type": "string", "minLength": 1, "maxLength": limit} for name in SECTIONS
        },
        "required": list(SECTIONS),
        "additionalProperties": False,
    }


def curated_sections(rule: Rule) -> dict[str, str]:
    """The catalog's reviewed advice for a rule, in the sections a model answers with."""
    return {
        "rationale": rule.rationale.strip(),
        "remediation_cli": rule.remediation.cli.strip(),
        "remediation_console": rule.remediation.console.strip(),
        "blast_radius": rule.remediation.blast_radius.strip(),
        "regression_testing": rule.remediation.regression_testing.strip(),
    }


INSTRUCTIONS = (
    "You are a senior AWS security engineer. Write short, precise remediation advice for one "
    "failed security control: why it matters, how to fix it with the AWS CLI and in the console, "
    "what the fix can break (blast radius), and how to test that nothing regressed. "
    "Placeholders such as <instance-id> stand for identifiers you are never given; keep them as "
    "placeholders. Ground every section in the same section of the curated advice, which experts "
    "reviewed: adapt it to the evidence and shorten it, keep the commands of its AWS service, and "
    "leave no section out. Answer with a JSON object with the keys rationale, remediation_cli, "
    "remediation_console, blast_radius and regression_testing."
)
FACTS_HEADING = "Facts (JSON):\n"


def advice_messages(*, rule: Rule, shape: dict[str, Any]) -> list[dict[str, str]]:
    """The chat for one (rule, evidence shape); refused if an identifier slipped in.

    One user message: the chat templates of several instruct models (Mistral 7B v0.2 among
    them) reject a system role.
    """
    facts = {
        "rule_id": rule.id,
        "title": rule.title,
        "severity": rule.severity,
        "service": rule.service,
        "resource_type": rule.resource_type,
        "evidence": shape,
        "fix_summary": rule.remediation.summary.strip(),
        "curated_advice": curated_sections(rule),
    }
    prompt = f"{INSTRUCTIONS}\n\n{FACTS_HEADING}{json.dumps(facts, indent=1, sort_keys=True)}"
    return [{"role": "user", "content": prompt_check(prompt)}]
