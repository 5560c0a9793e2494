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
