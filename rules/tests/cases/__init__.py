"""Crafted API data per rule, one module per catalog file: `cases/<stem>.py` holds the cases of
the rules in `rules/catalog/<stem>.yaml`, as CASES = {rule_id: {status: [example, ...]}}.

Statuses are "FAIL", "PASS" and optionally "NOT_EVALUATED". An example is what the rule's
collector puts in `Resource.data` (boto3 response shapes plus the collector's documented extra
fields), or an `Example` when it also names fields the collector could not read
(`Resource.missing`). An optional "PARAMS" entry overrides some of the rule's params for its
cases, for data that moves with the calendar (EKS support dates).
The catalog meta-test requires a FAIL and a PASS case for every rule, in the module of its stem.
"""

import importlib
import pkgutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from itertools import count, cycle
from typing import Any

from securescope.resources import Resource

PARAMS_KEY = "PARAMS"


@dataclass(frozen=True)
class Example:
    """A crafted resource: its data, and the fields the collector could not read, with why."""

    data: dict[str, Any]
    missing: dict[str, str] = field(default_factory=dict)


def cases_by_module() -> dict[str, dict[str, dict[str, list]]]:
    """Each case module's CASES, by the module's name (its stem)."""
    return {
        module_info.name: importlib.import_module(f"{__name__}.{module_info.name}").CASES
        for module_info in pkgutil.iter_modules(__path__)
    }


def all_cases() -> dict[str, dict[str, list]]:
    merged: dict[str, dict[str, list]] = {}
    for cases in cases_by_module().values():
        for rule_id, by_status in cases.items():
            if rule_id in merged:
                raise ValueError(f"cases for {rule_id} are defined twice")
            merged[rule_id] = by_status
    return merged


def examples(by_status: dict) -> Iterator[tuple[str, int, Example]]:
    """(expected status, index, example) for every example of one rule's cases."""
    for status, items in sorted(by_status.items()):
        if status != PARAMS_KEY:
            for index, item in enumerate(items):
                yield status, index, item if isinstance(item, Example) else Example(item)


def case_shapes(catalog) -> list[tuple[str, Example]]:
    """(resource type, example) of every crafted example of the catalog's rules, in rule order."""
    rules = {rule.id: rule for rule in catalog.rules}
    return [
        (rules[rule_id].resource_type, example)
        for rule_id, by_status in sorted(all_cases().items())
        if rule_id in rules
        for _, _, example in examples(by_status)
    ]


def synthetic_resources(catalog) -> Iterator[Resource]:
    """An endless inventory for the benchmarks: the case shapes over and over, so every
    resource type appears in proportion, each resource with an ARN of its own."""
    for index, (kind, example) in zip(count(), cycle(case_shapes(catalog))):
        yield Resource(
            kind,
            f"arn:aws:bench:eu-west-1:123456789012:r/{index}",
            "eu-west-1",
            example.data,
            missing=example.missing,
        )
