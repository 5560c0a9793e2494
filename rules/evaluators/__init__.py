"""Evaluators: pure functions `(resource, *, params) -> Result | None`, registered by name.

No database, no boto3. `None` means the rule does not apply to this resource (a stopped-and-gone
instance, say). Evidence must be normalized: ports, flags, versions, world CIDRs; never a name,
tag, address or id (the store redacts anything that looks like one, as a last line of defence).
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from rules.params import Param
from securescope.plugins import import_submodules
from securescope.resources import Resource

Status = Literal["PASS", "FAIL", "NOT_EVALUATED"]


@dataclass(frozen=True)
class Result:
    status: Status
    evidence: dict[str, Any] = field(default_factory=dict)
    # The finding's severity when this resource's context changes it (a world-open group that
    # nothing uses); None keeps the rule's.
    severity: str | None = None


EvaluatorFunction = Callable[..., Result | None]


@dataclass(frozen=True)
class Evaluator:
    name: str
    function: EvaluatorFunction
    # Parameter name -> its type and value check; a rule may pass only these.
    params: dict[str, Param]
    required_params: frozenset[str]

    def __call__(self, resource: Resource, *, params: dict[str, Any]) -> Result | None:
        return self.function(resource, params=params)


REGISTRY: dict[str, Evaluator] = {}


def missing_data(resource: Resource, *fields: str) -> Result | None:
    """NOT_EVALUATED when a collector could not fetch one of `fields` for this resource.

    Collectors record a failed per-resource call in `Resource.missing` (field -> reason); a rule
    that needs that field must say so rather than guess (never PASS without the data).
    """
    reasons = sorted({resource.missing[field] for field in fields if field in resource.missing})
    if reasons:
        return Result("NOT_EVALUATED", {"reason": "; ".join(reasons)})
    return None


def evaluator(
    name: str, *, params: dict[str, Param] | None = None, required: tuple[str, ...] = ()
) -> Callable[[EvaluatorFunction], EvaluatorFunction]:
    def decorator(function: EvaluatorFunction) -> EvaluatorFunction:
        if name in REGISTRY:
            raise ValueError(f"evaluator {name!r} is registered twice")
        REGISTRY[name] = Evaluator(name, function, params or {}, frozenset(required))
        return function

    return decorator


# Last, once `register` exists: each module registers its evaluators as it is imported.
import_submodules(__name__, __path__)
