"""Collectors: one module per AWS service, registered once in `REGISTRY`.

A collector declares the IAM actions it needs and turns API responses into `Resource`s. It never
builds a client at import time: it receives the scan's boto3 session.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import boto3

from scans.inventory import AccountContext, Resource

CollectFunction = Callable[[boto3.Session, str, AccountContext], list[Resource]]


@dataclass(frozen=True)
class Collector:
    name: str
    service: str
    scope: Literal["region", "global"]
    required_permissions: tuple[str, ...]
    collect: CollectFunction


REGISTRY: dict[str, Collector] = {}


def register(
    name: str, *, service: str, scope: Literal["region", "global"], permissions: tuple[str, ...]
) -> Callable[[CollectFunction], CollectFunction]:
    def decorator(function: CollectFunction) -> CollectFunction:
        if name in REGISTRY:
            raise ValueError(f"collector {name!r} is registered twice")
        REGISTRY[name] = Collector(name, service, scope, permissions, function)
        return function

    return decorator


def collectors_for(scope: Literal["region", "global"]) -> list[Collector]:
    return [collector for collector in REGISTRY.values() if collector.scope == scope]


def required_permissions() -> list[str]:
    return sorted({action for c in REGISTRY.values() for action in c.required_permissions})


from scans.collectors import ec2, eks, iam  # noqa: E402, F401  (registration on import)
