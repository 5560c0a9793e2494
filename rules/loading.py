"""Read the YAML rule catalog: bad rules contained, edits picked up by content hash.

A bad rule is reported (file, rule id, field) and left out; it never takes the catalog down. The
catalog is parsed again when a file's content changes, so the next scan sees an edit without a
restart.
"""

import hashlib
import logging
import threading
from pathlib import Path

import yaml

from rules.schema import Catalog, Rule, RuleError, rule_from_entry

logger = logging.getLogger(__name__)

CATALOG_DIR = Path(__file__).resolve().parent / "catalog"
# libyaml's safe loader where PyYAML was built with it: the same documents, read in a tenth of the
# time (the pure-Python one was a tenth of a scan command's CPU).
SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def parse_catalog(files: dict[str, bytes]) -> Catalog:
    """The catalog from each YAML file's name and content, in name order."""
    rules: dict[str, Rule] = {}
    errors: list[str] = []
    for name, content in files.items():
        try:
            document = yaml.load(content, Loader=SAFE_LOADER) or {}  # noqa: S506 (a safe loader)
        except yaml.YAMLError as error:
            errors.append(f"{name}: not valid YAML: {error}")
            continue
        except RecursionError:
            # One file nested deeper than the parser can follow costs that file only.
            errors.append(f"{name}: not valid YAML: nested too deeply")
            continue
        entries = document.get("rules") if isinstance(document, dict) else None
        if not isinstance(entries, list):
            errors.append(f"{name}: top level must be a mapping with a 'rules' list")
            continue
        for entry in entries:
            try:
                rule = rule_from_entry(entry, name)
            except RuleError as error:
                errors.append(str(error))
                continue
            if rule.id in rules:
                errors.append(
                    f"{name}: rule {rule.id}: field 'id': duplicate of a rule in "
                    f"{rules[rule.id].source}"
                )
                continue
            rules[rule.id] = rule
    for error in errors:
        logger.error("Rule catalog: %s", error)
    return Catalog(rules=tuple(rules.values()), errors=tuple(errors))


_cache: dict[Path, tuple[tuple, Catalog]] = {}
_cache_lock = threading.Lock()


def clear_catalog_cache() -> None:
    with _cache_lock:
        _cache.clear()


def _catalog_files(directory: Path) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in sorted(directory.glob("*.yaml"))}


def _signature(files: dict[str, bytes]) -> tuple[tuple[str, bytes], ...]:
    return tuple((name, hashlib.sha256(content).digest()) for name, content in files.items())


def catalog_digest(directory: Path = CATALOG_DIR) -> str:
    """One digest of the catalog's files: it changes when any rule's text does."""
    return hashlib.sha256(repr(_signature(_catalog_files(directory))).encode()).hexdigest()


def load_catalog(directory: Path = CATALOG_DIR) -> Catalog:
    """The catalog, parsed again only when a YAML file was added, removed or changed.

    Changes are told by content, not mtime or size: a same-size edit within one mtime tick, or a
    deploy that preserves mtimes, is still picked up. Hashing the few files costs far less than
    parsing them, and the parse uses the very bytes that were hashed.
    """
    files = _catalog_files(directory)
    signature = _signature(files)
    with _cache_lock:
        cached = _cache.get(directory)
        if cached is None or cached[0] != signature:
            cached = (signature, parse_catalog(files))
            _cache[directory] = cached
        return cached[1]
