"""What the model is asked, and the JSON schema its answer must follow."""

import json
from typing import Any

from advice.sanitizer import prompt_check
from rules.engine import Rule

SECTION_LIMITS = {
    "rationale": 1200,
    "remediation_cli": 800,
    "remediation_console": 1000,
    "blast_radius": 800,
    "regression_testing": 800,
}
SECTION_TITLES = {
    "rationale": "Why it matters",
    "remediation_cli": "Fix it with the AWS CLI",
    "remediation_console": "Fix it in the console",
    "blast_radius": "Blast radius",
    "regression_testing": "Regression testing",
}
ADVICE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        name: {"type": "string", "minLength": 1, "maxLength": limit}
        for name, limit in SECTION_LIMITS.items()
    },
    "required": list(SECTION_LIMITS),
    "additionalProperties": False,
}

SYSTEM_PROMPT = (
    "You are a senior AWS security engineer. You write short, precise remediation advice for "
    "one failed security control. Placeholders such as <instance-id> stand for identifiers you "
    "are never given; keep them as placeholders. Base the fix on the reference remediation. "
    "Answer with a JSON object with the keys rationale, remediation_cli, remediation_console, "
    "blast_radius and regression_testing."
)


def advice_messages(*, rule: Rule, shape: dict[str, Any]) -> list[dict[str, str]]:
    """Chat messages for one (rule, evidence shape); refused if an identifier slipped in."""
    facts = {
        "rule_id": rule.id,
        "title": rule.title,
        "severity": rule.severity,
        "service": rule.service,
        "resource_type": rule.resource_type,
        "evidence": shape,
        "reference_remediation": {
            "cli": rule.remediation.get("cli", ""),
            "console": rule.remediation.get("console", ""),
        },
    }
    user = (
        "A resource failed this control. Explain why it matters, how to fix it with the AWS CLI "
        "and in the console, what the fix can break (blast radius), and how to test that nothing "
        "regressed.\n" + json.dumps(facts, indent=1, sort_keys=True)
    )
    prompt_check(user)
    return [{"role": "system", "content": SYSTEM_PROMPT}, {"role": "user", "content": user}]
