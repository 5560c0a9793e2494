"""Compliance frameworks: the one registry of their ids, labels, versions and requirements.

Read once from the YAML files in `data/`: `frameworks.yaml` lists the frameworks in the order
pages show them, and `<id>_v<version>.yaml` holds the requirements of one version of a framework
with the provenance of that data. Supporting a new version of a framework is adding its file.
"""

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from types import MappingProxyType
from typing import Any

import yaml

DATA_DIR = Path(__file__).resolve().parent / "data"
INDEX_FILE = "frameworks.yaml"
VERSION_FILE = re.compile(r"^(?P<framework>[a-z0-9_]+)_v(?P<version>[0-9][0-9.]*)\.yaml$")
ASSESSMENTS = {"automated": True, "manual": False}
# The compliance key under which a rule that no framework maps says why.
UNMAPPED_KEY = "unmapped"


@dataclass(frozen=True)
class Requirement:
    id: str
    title: str
    # The CIS profile level (1 or 2); None where the source records none (CIS EKS).
    level: int | None
    # Whether the benchmark marks the requirement (Automated) rather than (Manual).
    automated: bool


@dataclass(frozen=True)
class FrameworkVersion:
    version: str
    title: str
    # Where the requirement data comes from (repository, commit, file).
    source: str
    # Requirement id -> requirement, in benchmark order.
    requirements: Mapping[str, Requirement]
    # Section and subsection number -> its title ("1" -> "Identity and Access Management").
    headings: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))

    def heading(self, requirement_id: str) -> tuple[str, str]:
        """The top-level section a requirement sits in, and its title ("" when unknown)."""
        number = requirement_id.split(".")[0]
        return number, self.headings.get(number, "")


@dataclass(frozen=True)
class Framework:
    id: str
    label: str
    short_label: str
    # Version -> its requirements; empty for a framework mapped by control ids (Security Hub).
    versions: Mapping[str, FrameworkVersion]
    versioned: bool = True

    def requirement(self, version: str, requirement_id: str) -> Requirement | None:
        known = self.versions.get(version)
        return known.requirements.get(requirement_id) if known else None

    def describe(self, mapping: Any) -> str:
        """A rule's mapping to this framework as text: "v5.0.0 5.3, 5.4; v3.0.0 5.2, 5.3" or
        "EC2.13, EC2.53"."""
        if not mapping:
            return ""
        if not self.versioned:
            return ", ".join(map(str, mapping))
        return "; ".join(
            f"v{version} " + ", ".join(map(str, sections))
            for version, sections in version_mappings(mapping)
        )


def version_mappings(mapping: Any) -> list[tuple[str, list[str]]]:
    """(version, sections) of a rule's mapping to a versioned framework, newest version first.

    A rule maps one version as `{version, sections}` or several as a list of those; findings
    stored before rules mapped several versions hold the single form.
    """
    entries = mapping if isinstance(mapping, list) else [mapping] if mapping else []
    pairs = [
        (str(entry.get("version", "?")), [str(section) for section in entry.get("sections", [])])
        for entry in entries
        if isinstance(entry, dict)
    ]
    return sorted(pairs, key=lambda pair: _version_number(pair[0]), reverse=True)


def _version_number(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split(".") if part.isdigit())


def mapped_sections(mapping: Any) -> set[str]:
    """Every section a rule's mapping to a versioned framework names, in any version."""
    return {section for _, sections in version_mappings(mapping) for section in sections}


class FrameworkDataError(ValueError):
    """A data file of the registry is malformed: a defect of the package, not of a catalog."""


def _requirement(entry: Any, where: str) -> Requirement:
    if not isinstance(entry, dict) or not isinstance(entry.get("id"), str):
        raise FrameworkDataError(f"{where}: a requirement needs a quoted string id")
    if entry.get("assessment") not in ASSESSMENTS:
        raise FrameworkDataError(f"{where} {entry['id']}: assessment must be automated or manual")
    level = entry.get("level")
    if level not in (1, 2, None) or isinstance(level, bool):
        raise FrameworkDataError(f"{where} {entry['id']}: level must be 1, 2 or null")
    if not isinstance(entry.get("title"), str) or not entry["title"].strip():
        raise FrameworkDataError(f"{where} {entry['id']}: title is required")
    return Requirement(
        id=entry["id"],
        title=entry["title"],
        level=level,
        automated=ASSESSMENTS[entry["assessment"]],
    )


def _version(path: Path, framework_id: str, version: str) -> FrameworkVersion:
    document = yaml.safe_load(path.read_text())
    if not isinstance(document, dict):
        raise FrameworkDataError(f"{path.name}: top level must be a mapping")
    if (document.get("framework"), document.get("version")) != (framework_id, version):
        raise FrameworkDataError(
            f"{path.name}: framework and version must be {framework_id!r} and the string "
            f"{version!r}, as the file name says"
        )
    requirements: dict[str, Requirement] = {}
    for entry in document.get("requirements") or []:
        requirement = _requirement(entry, path.name)
        if requirement.id in requirements:
            raise FrameworkDataError(f"{path.name} {requirement.id}: duplicate requirement id")
        requirements[requirement.id] = requirement
    if not requirements:
        raise FrameworkDataError(f"{path.name}: lists no requirements")
    return FrameworkVersion(
        version=version,
        title=str(document.get("title", "")),
        source=str(document.get("source", "")),
        requirements=MappingProxyType(requirements),
        headings=MappingProxyType(
            {
                str(number): str(title)
                for key in ("sections", "subsections")
                for number, title in (document.get(key) or {}).items()
            }
        ),
    )


def _version_key(item: tuple[str, FrameworkVersion]) -> tuple[int, ...]:
    return _version_number(item[0])


def load_frameworks(directory: Path = DATA_DIR) -> dict[str, Framework]:
    """Every framework of `directory`'s index, by id, in the index's order."""
    index = yaml.safe_load((directory / INDEX_FILE).read_text())
    versions: dict[str, dict[str, FrameworkVersion]] = {}
    for path in sorted(directory.glob("*.yaml")):
        if path.name == INDEX_FILE:
            continue
        match = VERSION_FILE.match(path.name)
        if match is None:
            raise FrameworkDataError(f"{path.name}: name must be <framework>_v<version>.yaml")
        framework_id, version = match["framework"], match["version"]
        versions.setdefault(framework_id, {})[version] = _version(path, framework_id, version)
    registry: dict[str, Framework] = {}
    for entry in index["frameworks"]:
        framework_id = entry["id"]
        versioned = entry.get("versioned", True)
        found = versions.pop(framework_id, {})
        if versioned and not found:
            raise FrameworkDataError(f"{framework_id}: no {framework_id}_v<version>.yaml file")
        if found and not versioned:
            raise FrameworkDataError(f"{framework_id}: listed as unversioned but has data files")
        registry[framework_id] = Framework(
            id=framework_id,
            label=entry["label"],
            short_label=entry["short_label"],
            versions=MappingProxyType(dict(sorted(found.items(), key=_version_key))),
            versioned=versioned,
        )
    if versions:
        raise FrameworkDataError(
            f"data files of frameworks not in {INDEX_FILE}: {sorted(versions)}"
        )
    return registry


@cache
def _registry() -> dict[str, Framework]:
    return load_frameworks()


def all_frameworks() -> list[Framework]:
    """Every framework, in the order pages list them."""
    return list(_registry().values())


def get_framework(framework_id: str) -> Framework | None:
    return _registry().get(framework_id)
