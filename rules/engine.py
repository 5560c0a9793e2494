"""Load, validate and evaluate the YAML rule catalog.

A bad rule is reported (file, rule id, field) and left out; it never takes the catalog down. The
catalog is parsed again when a file's content changes (by content hash), so the next scan sees an
edit without a restart.
"""

import hashlib
import logging
import threading
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

from rules.evaluators import REGISTRY as EVALUATORS
from rules.evaluators import Result
from securescope.resources import Resource
from securescope.severity import Severity

logger = logging.getLogger(__name__)

CATALOG_DIR = Path(__file__).resolve().parent / "catalog"
REQUIRED_FIELDS = (
    "id",
    "service",
    "resource_type",
    "title",
    "severity",
    "rationale",
    "remediation",
    "references",
    "compliance",
    "evaluation",
)
TEXT_FIELDS = ("id", "service", "resource_type", "title", "rationale")
KNOWN_FRAMEWORKS = frozenset({"cis_aws_foundations", "cis_eks", "cis_aws_compute"})
FRAMEWORK_MAPPING_FIELDS = frozenset({"version", "sections"})
# A rule that no framework maps says why under this compliance key rather than mapping nothing.
UNMAPPED_KEY = "unmapped"


@dataclass(frozen=True)
class Rule:
    id: str
    service: str
    resource_type: str
    title: str
    severity: str
    rationale: str
    remediation: dict[str, str]
    references: tuple[str, ...]
    compliance: dict[str, Any]
    evaluator: str
    params: dict[str, Any]
    source: str


@dataclass(frozen=True)
class Catalog:
    rules: tuple[Rule, ...]
    errors: tuple[str, ...]

    def rules_for(self, resource_type: str) -> list[Rule]:
        return [rule for rule in self.rules if rule.resource_type == resource_type]

    def with_settings(self, rule_settings: dict[str, Any]) -> "Catalog":
        """The catalog as an installation configured it: disabled rules left out, severities
        overridden. `rule_settings` is {"disabled": [ids], "severity_overrides": {id: sev}}."""
        disabled = set(rule_settings.get("disabled", ()))
        overrides = rule_settings.get("severity_overrides", {})
        return Catalog(
            rules=tuple(
                replace(rule, severity=overrides.get(rule.id, rule.severity))
                for rule in self.rules
                if rule.id not in disabled
            ),
            errors=self.errors,
        )


@dataclass(frozen=True)
class Evaluation:
    rule: Rule
    resource: Resource
    result: Result


class RuleError(ValueError):
    def __init__(self, source: str, rule_id: str, field: str, problem: str) -> None:
        super().__init__(f"{source}: rule {rule_id}: field {field!r}: {problem}")


def _is_text(value: Any) -> bool:
    return isinstance(value, str) and bool(value.strip())


def _is_text_list(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and all(_is_text(item) for item in value)


def _is_https_url(value: Any) -> bool:
    if not _is_text(value) or any(character.isspace() for character in value):
        return False
    parts = urlsplit(value)
    return parts.scheme == "https" and bool(parts.netloc)


def _check_text_fields(entry: dict[str, Any], source: str, rule_id: str) -> None:
    for name in TEXT_FIELDS:
        if not _is_text(entry[name]):
            raise RuleError(source, rule_id, name, "must be a non-empty string")


def _check_remediation(remediation: Any, source: str, rule_id: str) -> None:
    if not isinstance(remediation, dict) or set(remediation) != {"cli", "console"}:
        raise RuleError(source, rule_id, "remediation", "needs exactly 'cli' and 'console'")
    for name in ("cli", "console"):
        if not _is_text(remediation[name]):
            raise RuleError(source, rule_id, f"remediation.{name}", "must be a non-empty string")


def _check_references(references: Any, source: str, rule_id: str) -> None:
    if not isinstance(references, list) or not references:
        raise RuleError(source, rule_id, "references", "must be a non-empty list of https URLs")
    for index, reference in enumerate(references):
        if not _is_https_url(reference):
            raise RuleError(source, rule_id, f"references[{index}]", "must be an https:// URL")


def _check_compliance(compliance: Any, source: str, rule_id: str) -> None:
    if not isinstance(compliance, dict):
        raise RuleError(source, rule_id, "compliance", "must be a mapping")
    for framework, mapping in compliance.items():
        field = f"compliance.{framework}"
        if framework == UNMAPPED_KEY:
            if not _is_text(mapping):
                raise RuleError(source, rule_id, field, "must say why no framework maps the rule")
            continue
        if framework == "security_hub":
            if not _is_text_list(mapping):
                raise RuleError(source, rule_id, field, "must be a non-empty list of control ids")
            continue
        if framework not in KNOWN_FRAMEWORKS:
            raise RuleError(source, rule_id, field, "unknown framework")
        if not isinstance(mapping, dict):
            raise RuleError(source, rule_id, field, "needs 'version' and 'sections'")
        unknown = set(mapping) - FRAMEWORK_MAPPING_FIELDS
        if unknown:
            raise RuleError(
                source, rule_id, f"{field}.{sorted(map(str, unknown))[0]}", "unknown field"
            )
        if not _is_text(mapping.get("version")):
            raise RuleError(source, rule_id, f"{field}.version", "must be a non-empty string")
        # Unquoted, YAML reads section 1.10 as the number 1.1: only strings are accepted.
        if not _is_text_list(mapping.get("sections")):
            raise RuleError(
                source, rule_id, f"{field}.sections", "must be a non-empty list of strings"
            )
    mapped = any(framework != UNMAPPED_KEY for framework in compliance)
    if mapped and UNMAPPED_KEY in compliance:
        raise RuleError(
            source, rule_id, f"compliance.{UNMAPPED_KEY}", "contradicts the framework mapping"
        )
    if not mapped and UNMAPPED_KEY not in compliance:
        raise RuleError(
            source,
            rule_id,
            "compliance",
            f"maps no framework: give sections or control ids, or '{UNMAPPED_KEY}' with the reason",
        )


def _validate(entry: Any, source: str) -> Rule:
    if not isinstance(entry, dict):
        raise RuleError(source, "?", "<entry>", "must be a mapping")
    rule_id = str(entry.get("id", "?"))
    unknown = set(entry) - set(REQUIRED_FIELDS)
    if unknown:
        raise RuleError(source, rule_id, sorted(map(str, unknown))[0], "unknown field")
    for name in REQUIRED_FIELDS:
        # Present but empty is left to each field's own check, which says what it needs.
        if entry.get(name) is None:
            raise RuleError(source, rule_id, name, "is required")
    _check_text_fields(entry, source, rule_id)
    if entry["severity"] not in Severity.values:
        raise RuleError(source, rule_id, "severity", f"must be one of {Severity.values}")
    _check_remediation(entry["remediation"], source, rule_id)
    _check_references(entry["references"], source, rule_id)
    _check_compliance(entry["compliance"], source, rule_id)
    evaluation = entry["evaluation"]
    if not isinstance(evaluation, dict) or set(evaluation) - {"evaluator", "params"}:
        raise RuleError(source, rule_id, "evaluation", "takes only 'evaluator' and 'params'")
    evaluator_name = evaluation.get("evaluator")
    evaluator = EVALUATORS.get(evaluator_name) if isinstance(evaluator_name, str) else None
    if evaluator is None:
        raise RuleError(source, rule_id, "evaluation.evaluator", "is not a registered evaluator")
    params = evaluation.get("params") or {}
    if not isinstance(params, dict):
        raise RuleError(source, rule_id, "evaluation.params", "must be a mapping")
    for name, value in params.items():
        spec = evaluator.params.get(name)
        if spec is None:
            raise RuleError(source, rule_id, f"evaluation.params.{name}", "unknown parameter")
        if problem := spec.problem(value):
            raise RuleError(source, rule_id, f"evaluation.params.{name}", problem)
    missing = evaluator.required_params - set(params)
    if missing:
        raise RuleError(source, rule_id, f"evaluation.params.{sorted(missing)[0]}", "is required")
    remediation = entry["remediation"]
    return Rule(
        id=rule_id,
        service=entry["service"],
        resource_type=entry["resource_type"],
        title=entry["title"],
        severity=entry["severity"],
        rationale=entry["rationale"],
        remediation={"cli": remediation["cli"], "console": remediation["console"]},
        references=tuple(entry["references"]),
        compliance=entry["compliance"],
        evaluator=evaluator.name,
        params=params,
        source=source,
    )


def _parse_catalog(files: dict[str, bytes]) -> Catalog:
    """The catalog from each YAML file's name and content, in name order."""
    rules: dict[str, Rule] = {}
    errors: list[str] = []
    for name, content in files.items():
        try:
            document = yaml.safe_load(content) or {}
        except yaml.YAMLError as error:
            errors.append(f"{name}: not valid YAML: {error}")
            continue
        entries = document.get("rules") if isinstance(document, dict) else None
        if not isinstance(entries, list):
            errors.append(f"{name}: top level must be a mapping with a 'rules' list")
            continue
        for entry in entries:
            try:
                rule = _validate(entry, name)
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


def load_catalog(directory: Path = CATALOG_DIR) -> Catalog:
    """The catalog, parsed again only when a YAML file was added, removed or changed.

    Changes are told by content, not mtime or size: a same-size edit within one mtime tick, or a
    deploy that preserves mtimes, is still picked up. Hashing the few files costs far less than
    parsing them, and the parse uses the very bytes that were hashed.
    """
    files = {path.name: path.read_bytes() for path in sorted(directory.glob("*.yaml"))}
    signature = tuple((name, hashlib.sha256(content).digest()) for name, content in files.items())
    with _cache_lock:
        cached = _cache.get(directory)
        if cached is None or cached[0] != signature:
            cached = (signature, _parse_catalog(files))
            _cache[directory] = cached
        return cached[1]


NOT_EVALUATED_KEY = "_not_evaluated"


def evaluate(catalog: Catalog, resources: Iterable[Resource]) -> Iterator[Evaluation]:
    """Every applicable (rule, resource) pair: PASS, FAIL or NOT_EVALUATED.

    A resource whose data carries `_not_evaluated` stands for a whole type that could not be
    collected (a denied or unavailable listing call): its rules are not evaluated, with the reason.
    An evaluator that raises costs only its own rule: that pair is NOT_EVALUATED, never PASS, and
    the other rules of the region still run.
    """
    by_type: dict[str, list[Rule]] = defaultdict(list)
    for rule in catalog.rules:
        by_type[rule.resource_type].append(rule)
    failed_rules: set[str] = set()
    for resource in resources:
        for rule in by_type.get(resource.type, ()):
            reason = resource.data.get(NOT_EVALUATED_KEY)
            if reason:
                result = Result("NOT_EVALUATED", {"reason": reason})
            else:
                result = _evaluate_guarded(rule, resource, failed_rules)
            if result is not None:
                yield Evaluation(rule=rule, resource=resource, result=result)


def _evaluate_guarded(rule: Rule, resource: Resource, failed_rules: set[str]) -> Result | None:
    try:
        return EVALUATORS[rule.evaluator](resource, params=rule.params)
    except Exception as error:
        error_type = type(error).__name__
        if rule.id not in failed_rules:
            failed_rules.add(rule.id)
            # The type only: the message and traceback may quote resource data (names, ids).
            logger.error("Rule %s raised %s; its results are NOT_EVALUATED", rule.id, error_type)
        return Result("NOT_EVALUATED", {"reason": f"rule error: {error_type}"})
