"""Crafted API data per rule: each module defines CASES = {rule_id: {status: [data, ...]}}.

Statuses are "FAIL", "PASS" and optionally "NOT_EVALUATED"; data is what the rule's collector
puts in `Resource.data` (boto3 response shapes plus the collector's documented extra fields).
An optional "PARAMS" entry overrides some of the rule's params for its cases, for data that moves
with the calendar (EKS support dates).
The catalog meta-test requires a FAIL and a PASS case for every rule.
"""

import importlib
import pkgutil
from collections.abc import Iterator
from itertools import count, cycle

from securescope.resources import Resource

PARAMS_KEY = "PARAMS"


def all_cases() -> dict[str, dict[str, list[dict]]]:
    merged: dict[str, dict[str, list[dict]]] = {}
    for module_info in pkgutil.iter_modules(__path__):
        module = importlib.import_module(f"{__name__}.{module_info.name}")
        for rule_id, cases in module.CASES.items():
            if rule_id in merged:
                raise ValueError(f"cases for {rule_id} are defined twice")
            merged[rule_id] = cases
    return merged


def examples(by_status: dict) -> Iterator[tuple[str, int, dict]]:
    """(expected status, index, data) for every example of one rule's cases."""
    for status, items in sorted(by_status.items()):
        if status != PARAMS_KEY:
            for index, data in enumerate(items):
                yield status, index, data


def case_shapes(catalog) -> list[tuple[str, dict]]:
    """(resource type, data) of every crafted example of the catalog's rules, in rule order."""
    rules = {rule.id: rule for rule in catalog.rules}
    return [
        (rules[rule_id].resource_type, data)
        for rule_id, by_status in sorted(all_cases().items())
        if rule_id in rules
        for _, _, data in examples(by_status)
    ]


def synthetic_resources(catalog) -> Iterator[Resource]:
    """An endless inventory for the benchmarks: the case shapes over and over, so every
    resource type appears in proportion, each resource with an ARN of its own."""
    for index, (kind, data) in zip(count(), cycle(case_shapes(catalog))):
        yield Resource(kind, f"arn:aws:bench:eu-west-1:123456789012:r/{index}", "eu-west-1", data)
