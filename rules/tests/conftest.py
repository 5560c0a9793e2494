"""Helpers for tests that edit a copy of the rule catalog."""

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from rules.loading import CATALOG_DIR


@pytest.fixture
def catalog_copy(tmp_path: Path) -> Path:
    directory = tmp_path / "catalog"
    shutil.copytree(CATALOG_DIR, directory)
    return directory


def replace_in(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))


def edit_rule(path: Path, rule_id: str, change: Callable[[dict[str, Any]], None]) -> None:
    """Apply `change` to one rule's entry and write the file back (its comments are lost)."""
    document = yaml.safe_load(path.read_text())
    (entry,) = [rule for rule in document["rules"] if rule["id"] == rule_id]
    change(entry)
    path.write_text(yaml.safe_dump(document, sort_keys=False))
