"""Evaluate the catalog's rules on collected resources."""

import logging
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from rules.evaluators import REGISTRY as EVALUATORS
from rules.evaluators import Result
from rules.schema import Catalog, Rule
from securescope.resources import Resource

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Evaluation:
    rule: Rule
    resource: Resource
    result: Result


def evaluate(catalog: Catalog, resources: Iterable[Resource]) -> Iterator[Evaluation]:
    """Every applicable (rule, resource) pair: PASS, FAIL or NOT_EVALUATED.

    A resource with `not_collected` set stands for a whole type that could not be listed (a
    denied or unavailable call): its rules are not evaluated, with that reason. An evaluator that
    raises costs only its own rule: that pair is NOT_EVALUATED, never PASS, and the other rules
    of the region still run.
    """
    by_type: dict[str, list[Rule]] = defaultdict(list)
    for rule in catalog.rules:
        by_type[rule.resource_type].append(rule)
    failed_rules: set[str] = set()
    for resource in resources:
        for rule in by_type.get(resource.type, ()):
            if resource.not_collected:
                result = Result("NOT_EVALUATED", {"reason": resource.not_collected})
            else:
                result = _evaluate_guarded(rule, resource, failed_rules)
            if result is not None:
                yield Evaluation(rule=rule, resource=resource, result=result)


def _evaluate_guarded(rule: Rule, resource: Resource, failed_rules: set[str]) -> Result | None:
    try:
        return EVALUATORS[rule.evaluator](resource, params=rule.params)
    except Exception as error:
        error_type = type(error).__name__
        if rule.id not in failed_rules:
            failed_rules.add(rule.id)
            # The type only: the message and traceback may quote resource data (names, ids).
            logger.error("Rule %s raised %s; its results are NOT_EVALUATED", rule.id, error_type)
        return Result("NOT_EVALUATED", {"reason": f"rule error: {error_type}"})
