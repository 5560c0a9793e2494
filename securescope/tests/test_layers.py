"""The layer contract in pyproject.toml covers every module, and no two apps depend both ways.

import-linter (run by deploy/test) checks that imports run downward between the layers it is
given; these tests check what it cannot: that a new module is not left outside every layer, and
that no pair of apps imports each other, even through modules in the same layer.
"""

import itertools
import tomllib
from pathlib import Path

import grimp
import pytest

ROOT = Path(__file__).resolve().parents[2]
APPS = ("securescope", "scans", "findings", "rules", "advice")
# Django finds these by convention; they hold no code of a layer.
OUTSIDE_LAYERS = ("tests", "migrations")


def _config() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]


def _layer_modules() -> list[str]:
    contract = next(c for c in _config()["contracts"] if c["type"] == "layers")
    return [module.strip() for layer in contract["layers"] for module in layer.split(":")]


def _is_runtime(module: str) -> bool:
    return not any(part in OUTSIDE_LAYERS for part in module.split("."))


@pytest.fixture(scope="module")
def graph() -> grimp.ImportGraph:
    return grimp.build_graph(*APPS, cache_dir=None)


def _layer_of(module: str, layers: list[str]) -> list[str]:
    return [layer for layer in layers if module == layer or module.startswith(layer + ".")]


def test_every_module_sits_in_exactly_one_layer(graph):
    layers = _layer_modules()
    unplaced, doubled = [], []
    for module in sorted(graph.modules):
        if module in APPS or not _is_runtime(module):
            continue
        # A package's __init__ counts through its modules: an app package itself is no layer.
        owners = _layer_of(module, layers)
        if not owners and not any(layer.startswith(module + ".") for layer in layers):
            unplaced.append(module)
        if len(owners) > 1:
            doubled.append(module)
    assert unplaced == [], f"add these modules to a layer in pyproject.toml: {unplaced}"
    assert doubled == []


def test_no_two_apps_import_each_other_both_ways(graph):
    depends: set[tuple[str, str]] = set()
    for module in graph.modules:
        if not _is_runtime(module):
            continue
        for imported in graph.find_modules_directly_imported_by(module):
            source, target = module.split(".")[0], imported.split(".")[0]
            if source != target and _is_runtime(imported):
                depends.add((source, target))
    both_ways = [
        (one, other)
        for one, other in itertools.combinations(APPS, 2)
        if (one, other) in depends and (other, one) in depends
    ]
    assert both_ways == []


def test_the_core_imports_no_app(graph):
    """The bottom layer is what every app may use; it may use none of them."""
    imported = {
        target.split(".")[0]
        for module in graph.modules
        if module.split(".")[0] == "securescope" and _is_runtime(module)
        for target in graph.find_modules_directly_imported_by(module)
    }
    assert imported & set(APPS) <= {"securescope"}
