"""Every rule against its crafted cases, and the catalog meta-test that fails, never skips."""

import importlib
import pkgutil
from dataclasses import replace
from pathlib import Path

import pytest
import yaml

import rules.evaluators
from rules.engine import evaluate
from rules.evaluators import REGISTRY
from rules.loading import CATALOG_DIR, load_catalog
from rules.schema import Catalog
from rules.tests import cases as cases_package
from rules.tests.cases import PARAMS_KEY, all_cases, cases_by_module, examples
from securescope.frameworks import UNMAPPED_KEY, all_frameworks
from securescope.resources import Resource

CASES = all_cases()
RULES = {rule.id: rule for rule in load_catalog().rules}


def case_params() -> list:
    return [
        pytest.param(rule_id, status, example, id=f"{rule_id}-{status}-{index}")
        for rule_id, by_status in sorted(CASES.items())
        for status, index, example in examples(by_status)
    ]


@pytest.mark.parametrize(("rule_id", "expected", "example"), case_params())
def test_rule_case(rule_id: str, expected: str, example):
    rule = RULES.get(rule_id)
    assert rule is not None, f"cases exist for {rule_id}, which is not in the catalog"
    # Cases may pin params that move with the calendar (support dates) to stay stable.
    rule = replace(rule, params={**rule.params, **CASES[rule_id].get(PARAMS_KEY, {})})
    resource = Resource(
        type=rule.resource_type,
        arn=f"arn:aws:{rule.service}:eu-west-1:123456789012:case/{rule_id}",
        region="eu-west-1",
        data=example.data,
        missing=example.missing,
    )
    (evaluation,) = evaluate(Catalog(rules=(rule,), errors=()), [resource])
    assert evaluation.result.status == expected, evaluation.result.evidence


def test_catalog_loads_without_errors():
    assert load_catalog().errors == ()


def test_catalog_has_at_least_55_rules():
    assert len(RULES) >= 55


def _module_stems(package) -> set[str]:
    return {module.name for module in pkgutil.iter_modules(package.__path__)}


def test_catalog_evaluators_and_cases_share_one_stem_per_file():
    """catalog/<stem>.yaml <-> evaluators/<stem>.py <-> tests/cases/<stem>.py, for every stem."""
    catalog_stems = {Path(path).stem for path in CATALOG_DIR.glob("*.yaml")}
    assert _module_stems(rules.evaluators) == catalog_stems
    assert _module_stems(cases_package) == catalog_stems


def test_every_rule_uses_an_evaluator_and_cases_of_its_own_stem():
    by_module = cases_by_module()
    misplaced = []
    for rule in RULES.values():
        stem = Path(rule.source).stem
        evaluator_module = REGISTRY[rule.evaluator].function.__module__
        if evaluator_module != f"rules.evaluators.{stem}":
            misplaced.append(f"{rule.id}: evaluator {rule.evaluator} is in {evaluator_module}")
        own = by_module.get(stem, {}).get(rule.id, {})
        for status in ("FAIL", "PASS"):
            if not own.get(status):
                misplaced.append(f"{rule.id}: no {status} case in cases/{stem}.py")
    assert misplaced == []


def test_every_case_module_holds_only_its_catalog_files_rules():
    strays = [
        f"cases/{stem}.py: {rule_id}"
        for stem, cases in cases_by_module().items()
        for rule_id in cases
        if rule_id in RULES and Path(RULES[rule_id].source).stem != stem
    ]
    assert strays == []


def test_every_evaluator_is_used_by_a_rule():
    used = {rule.evaluator for rule in RULES.values()}
    assert set(REGISTRY) - used == set()


def test_every_evaluator_module_registers_what_it_defines():
    # A module named after a stem that defines no evaluator would pass the stem test vacuously.
    for stem in _module_stems(rules.evaluators):
        module = importlib.import_module(f"rules.evaluators.{stem}")
        assert any(e.function.__module__ == module.__name__ for e in REGISTRY.values()), stem


def test_every_rule_maps_a_framework_or_says_why_not():
    # Read from the files, not the loaded catalog: a rule the loader dropped must fail here too.
    framework_ids = [framework.id for framework in all_frameworks()]
    unexplained = []
    for path in sorted(CATALOG_DIR.glob("*.yaml")):
        for entry in yaml.safe_load(path.read_text())["rules"]:
            compliance = entry.get("compliance") or {}
            mapped = any(compliance.get(name) for name in framework_ids)
            reason = compliance.get(UNMAPPED_KEY)
            if not mapped and not (isinstance(reason, str) and reason.strip()):
                unexplained.append(f"{path.name}: {entry.get('id')}")
    assert unexplained == []
