"""Collectors: one module per AWS service, registered once in `REGISTRY`.

A collector declares the resource types it produces and the IAM actions it needs, and turns API
responses into `Resource`s through a `CollectContext` (memoized calls, permission bookkeeping).
It never builds a client at import time. When its listing call is denied or unavailable it
raises, and the rules on its resource types are reported as not evaluated for that unit.
"""

from collections.abc import Callable
from dataclasses import dataclass
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


REGISTRY: dict[str, Collector] = {}


def register(
    name: str,
    *,
    service: str,
    scope: Scope,
    resource_types: tuple[str, ...],
    permissions: tuple[str, ...],
) -> Callable[[CollectFunction], CollectFunction]:
    def decorator(function: CollectFunction) -> CollectFunction:
        if name in REGISTRY:
            raise ValueError(f"collector {name!r} is registered twice")
        REGISTRY[name] = Collector(name, service, scope, resource_types, permissions, function)
        return function

    return decorator


def collectors_for(scope: Scope) -> list[Collector]:
    return [collector for collector in REGISTRY.values() if collector.scope == scope]


def required_permissions() -> list[str]:
    return sorted({action for c in REGISTRY.values() for action in c.required_permissions})


# Last, once `register` exists: each module registers its collectors as it is imported.
import_submodules(__name__, __path__)
