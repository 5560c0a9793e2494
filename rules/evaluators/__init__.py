"""Evaluators: pure functions `(resource, *, params) -> Result | None`, registered by name.

No database, no boto3. `None` means the rule does not apply to this resource (a stopped-and-gone
instance, say). Evidence must be normalized: ports, flags, versions, world CIDRs; never a name,
tag, address or id (the store redacts anything that looks like one, as a last line of defence).
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from scans.inventory import Resource

Status = Literal["PASS", "FAIL", "NOT_EVALUATED"]


@dataclass(frozen=True)
class Result:
    status: Status
    evidence: dict[str, Any] = field(default_factory=dict)


EvaluatorFunction = Callable[..., Result | None]


@dataclass(frozen=True)
class Evaluator:
    name: str
    function: EvaluatorFunction
    # Parameter name -> accepted Python type; a rule may pass only these.
    params: dict[str, type]
    required_params: frozenset[str]

    def __call__(self, resource: Resource, *, params: dict[str, Any]) -> Result | None:
        return self.function(resource, params=params)


REGISTRY: dict[str, Evaluator] = {}


def evaluator(
    name: str, *, params: dict[str, type] | None = None, required: tuple[str, ...] = ()
) -> Callable[[EvaluatorFunction], EvaluatorFunction]:
    def decorator(function: EvaluatorFunction) -> EvaluatorFunction:
        if name in REGISTRY:
            raise ValueError(f"evaluator {name!r} is registered twice")
        REGISTRY[name] = Evaluator(name, function, params or {}, frozenset(required))
        return function

    return decorator


from rules.evaluators import ec2, eks, iam  # noqa: E402, F401  (registration on import)
