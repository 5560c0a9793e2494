"""Every rule against its crafted cases, and the catalog meta-test that fails, never skips."""

from dataclasses import replace

import pytest
import yaml

from rules.engine import CATALOG_DIR, KNOWN_FRAMEWORKS, Catalog, evaluate, load_catalog
from rules.evaluators import REGISTRY
from rules.tests.cases import PARAMS_KEY, all_cases, examples
from securescope.resources import Resource

CASES = all_cases()
RULES = {rule.id: rule for rule in load_catalog().rules}


def case_params() -> list:
    return [
        pytest.param(rule_id, status, data, id=f"{rule_id}-{status}-{index}")
        for rule_id, by_status in sorted(CASES.items())
        for status, index, data in examples(by_status)
    ]


@pytest.mark.parametrize(("rule_id", "expected", "data"), case_params())
def test_rule_case(rule_id: str, expected: str, data: dict):
    rule = RULES.get(rule_id)
    assert rule is not None, f"cases exist for {rule_id}, which is not in the catalog"
    # Cases may pin params that move with the calendar (support dates) to stay stable.
    rule = replace(rule, params={**rule.params, **CASES[rule_id].get(PARAMS_KEY, {})})
    resource = Resource(
        type=rule.resource_type,
        arn=f"arn:aws:{rule.service}:eu-west-1:123456789012:case/{rule_id}",
        region="eu-west-1",
        data=data,
    )
    (evaluation,) = evaluate(Catalog(rules=(rule,), errors=()), [resource])
    assert evaluation.result.status == expected, evaluation.result.evidence


def test_catalog_loads_without_errors():
    assert load_catalog().errors == ()


def test_catalog_has_at_least_55_rules():
    assert len(RULES) >= 55


def test_every_rule_has_a_fail_and_a_pass_case():
    missing = sorted(
        f"{rule_id}: {status}"
        for rule_id in RULES
        for status in ("FAIL", "PASS")
        if not CASES.get(rule_id, {}).get(status)
    )
    assert missing == []


def test_every_evaluator_is_used_by_a_rule():
    used = {rule.evaluator for rule in RULES.values()}
    assert set(REGISTRY) - used == set()


def test_every_rule_maps_a_framework_or_says_why_not():
    # Read from the files, not the loaded catalog: a rule the loader dropped must fail here too.
    unexplained = []
    for path in sorted(CATALOG_DIR.glob("*.yaml")):
        for entry in yaml.safe_load(path.read_text())["rules"]:
            compliance = entry.get("compliance") or {}
            mapped = any(compliance.get(name) for name in (*KNOWN_FRAMEWORKS, "security_hub"))
            reason = compliance.get("unmapped")
            if not mapped and not (isinstance(reason, str) and reason.strip()):
                unexplained.append(f"{path.name}: {entry.get('id')}")
    assert unexplained == []
