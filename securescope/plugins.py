"""Plug-in discovery: every module of a package imported once, so its registrations run."""

import pkgutil
from collections.abc import Iterable
from importlib import import_module


def import_submodules(package: str, path: Iterable[str], *, skip: Iterable[str] = ()) -> None:
    """Import each module of `package` (found on `path`) whose name is not in `skip`.

    A new collector or evaluator module is registered by existing, with no list to update.
    """
    skipped = set(skip)
    for module in sorted(pkgutil.iter_modules(path), key=lambda info: info.name):
        if module.name not in skipped and not module.name.startswith("_"):
            import_module(f"{package}.{module.name}")
