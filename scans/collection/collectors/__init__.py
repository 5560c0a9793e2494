"""Collectors: one module per AWS service, registered once in `REGISTRY`.

A collector declares the resource types it produces (each with the form of the ARN that is
hashed for it, which the README's table lists) and the IAM actions it needs, and turns API
responses into `Resource`s through a `CollectContext` (memoized calls, permission bookkeeping).
It never builds a client at import time. When its listing call is denied or unavailable it
raises, and the rules on its resource types are reported as not evaluated for that unit.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Literal

from scans.collection.context import CollectContext
from securescope.plugins import import_submodules
from securescope.resources import Resource

CollectFunction = Callable[[CollectContext], list[Resource]]
Scope = Literal["region", "global"]


@dataclass(frozen=True)
class Collector:
    name: str
    service: str
    scope: Scope
    resource_types: tuple[str, ...]
    required_permissions: tuple[str, ...]
    collect: CollectFunction
    # Resource type -> the ARN hashed for it, as Markdown (the README's ARN table).
    arn_forms: Mapping[str, str] = field(default_factory=dict)


REGISTRY: dict[str, Collector] = {}


def register(
    name: str,
    *,
    service: str,
    scope: Scope,
    resource_types: Mapping[str, str],
    permissions: tuple[str, ...],
) -> Callable[[CollectFunction], CollectFunction]:
    """Register a collector; `resource_types` maps each type it produces to its ARN form."""

    def decorator(function: CollectFunction) -> CollectFunction:
        if name in REGISTRY:
            raise ValueError(f"collector {name!r} is registered twice")
        REGISTRY[name] = Collector(
            name,
            service,
            scope,
            tuple(resource_types),
            permissions,
            function,
            arn_forms=dict(resource_types),
        )
        return function

    return decorator


def collectors_for(scope: Scope) -> list[Collector]:
    return [collector for collector in REGISTRY.values() if collector.scope == scope]


def required_permissions() -> list[str]:
    return sorted({action for c in REGISTRY.values() for action in c.required_permissions})


# Last, once `register` exists: each module registers its collectors as it is imported.
import_submodules(__name__, __path__)
