"""The rule catalog's schema: `Rule` and `Catalog`, and the check of one YAML entry.

An entry is checked field by field against the evaluator it names and the framework registry;
a problem raises `RuleError` naming the file, the rule id and the field.
"""

import shlex
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import urlsplit

from rules.evaluators import REGISTRY as EVALUATORS
from securescope.frameworks import UNMAPPED_KEY, Framework, get_framework
from securescope.severity import Severity

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
FRAMEWORK_MAPPING_FIELDS = frozenset({"version", "sections"})
REMEDIATION_FIELDS = ("summary", "cli", "console", "blast_radius", "regression_testing")
# The one-line fix, as a list or an executive summary shows it.
SUMMARY_MAX_CHARS = 140
# Each curated advice section (the rationale and every remediation field but the summary). Not
# ADVICE_SECTION_MAX_CHARS: that bounds what a model may generate (its grammar and its time) and
# an operator may change it, which must not invalidate reviewed catalog text. 800 is a paragraph
# a reader takes in at once, and holds the longest reviewed command block (four network ACL
# entries, 779 characters) and console steps with their notes.
SECTION_MAX_CHARS = 800


@dataclass(frozen=True)
class Remediation:
    """The curated fix: the same sections a model's advice has, and a one-line summary."""

    summary: str
    # Shell commands only, one per line, each starting with `aws`; a line ending in ` \`
    # continues on the next. Explanations belong in `console`.
    cli: str
    console: str
    # What the fix can break, and for whom.
    blast_radius: str
    # How to prove nothing broke, with commands where they exist.
    regression_testing: str


def cli_command_lines(cli: str) -> list[str]:
    """Each command of a CLI block as one line: a line ending in ` \\` continues on the next."""
    commands: list[str] = []
    current: list[str] = []
    for line in cli.strip().split("\n"):
        if line.endswith(" \\"):
            current.append(line[:-2])
            continue
        current.append(line)
        commands.append(" ".join(current))
        current = []
    if current:
        commands.append(" ".join(current))
    return [command for command in commands if command.strip()]


def cli_commands(cli: str) -> list[list[str]]:
    """The shell words of each command of a CLI block; ValueError if one does not parse (an
    unclosed quote)."""
    return [shlex.split(command) for command in cli_command_lines(cli)]


@dataclass(frozen=True)
class Rule:
    id: str
    service: str
    resource_type: str
    title: str
    severity: str
    rationale: str
    remediation: Remediation
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


def _check_section(value: Any, source: str, rule_id: str, field: str) -> None:
    if not _is_text(value):
        raise RuleError(source, rule_id, field, "must be a non-empty string")
    if len(value) > SECTION_MAX_CHARS:
        raise RuleError(source, rule_id, field, f"is longer than {SECTION_MAX_CHARS} characters")


def _check_cli(cli: str, source: str, rule_id: str) -> None:
    try:
        commands = cli_commands(cli)
    except ValueError as error:
        raise RuleError(
            source, rule_id, "remediation.cli", f"is not shell words ({error})"
        ) from None
    for words in commands:
        if words[0] != "aws":
            raise RuleError(
                source,
                rule_id,
                "remediation.cli",
                "must hold only commands, each line starting with 'aws' (prose goes in console)",
            )


def _check_remediation(remediation: Any, source: str, rule_id: str) -> None:
    if not isinstance(remediation, dict):
        raise RuleError(source, rule_id, "remediation", f"needs {', '.join(REMEDIATION_FIELDS)}")
    unknown = set(remediation) - set(REMEDIATION_FIELDS)
    if unknown:
        field = f"remediation.{sorted(map(str, unknown))[0]}"
        raise RuleError(source, rule_id, field, "unknown field")
    for name in REMEDIATION_FIELDS:
        if remediation.get(name) is None:
            raise RuleError(source, rule_id, f"remediation.{name}", "is required")
    summary = remediation["summary"]
    if not _is_text(summary) or "\n" in summary.strip() or len(summary) > SUMMARY_MAX_CHARS:
        raise RuleError(
            source,
            rule_id,
            "remediation.summary",
            f"must be one line of at most {SUMMARY_MAX_CHARS} characters",
        )
    for name in REMEDIATION_FIELDS[1:]:
        _check_section(remediation[name], source, rule_id, f"remediation.{name}")
    _check_cli(remediation["cli"], source, rule_id)


def _check_references(references: Any, source: str, rule_id: str) -> None:
    if not isinstance(references, list) or not references:
        raise RuleError(source, rule_id, "references", "must be a non-empty list of https URLs")
    for index, reference in enumerate(references):
        if not _is_https_url(reference):
            raise RuleError(source, rule_id, f"references[{index}]", "must be an https:// URL")


def _check_framework_mapping(framework_id: str, mapping: Any, source: str, rule_id: str) -> None:
    field = f"compliance.{framework_id}"
    framework = get_framework(framework_id)
    if framework is None:
        raise RuleError(source, rule_id, field, "unknown framework")
    if not framework.versioned:
        if not _is_text_list(mapping):
            raise RuleError(source, rule_id, field, "must be a non-empty list of control ids")
        return
    # One version as a mapping, or several (CIS AWS Foundations v5.0.0 and v3.0.0) as a list.
    entries = mapping if isinstance(mapping, list) else [mapping]
    if not entries:
        raise RuleError(source, rule_id, field, "lists no version")
    versions = set()
    for index, entry in enumerate(entries):
        where = f"{field}[{index}]" if isinstance(mapping, list) else field
        _check_version_mapping(framework, entry, source, rule_id, where)
        if entry["version"] in versions:
            raise RuleError(source, rule_id, f"{where}.version", "is mapped twice")
        versions.add(entry["version"])


def _check_version_mapping(
    framework: Framework, mapping: Any, source: str, rule_id: str, field: str
) -> None:
    if not isinstance(mapping, dict):
        raise RuleError(source, rule_id, field, "needs 'version' and 'sections'")
    unknown = set(mapping) - FRAMEWORK_MAPPING_FIELDS
    if unknown:
        raise RuleError(source, rule_id, f"{field}.{sorted(map(str, unknown))[0]}", "unknown field")
    version = mapping.get("version")
    if not _is_text(version):
        raise RuleError(source, rule_id, f"{field}.version", "must be a non-empty string")
    if version not in framework.versions:
        raise RuleError(
            source,
            rule_id,
            f"{field}.version",
            f"{framework.label} v{version} is not in the framework registry "
            f"(known: {', '.join(framework.versions)})",
        )
    # Unquoted, YAML reads section 1.10 as the number 1.1: only strings are accepted.
    sections = mapping.get("sections")
    if not _is_text_list(sections):
        raise RuleError(source, rule_id, f"{field}.sections", "must be a non-empty list of strings")
    for section in sections:
        if framework.requirement(version, section) is None:
            raise RuleError(
                source,
                rule_id,
                f"{field}.sections",
                f"{section} is not a requirement of {framework.label} v{version}",
            )


def _check_compliance(compliance: Any, source: str, rule_id: str) -> None:
    if not isinstance(compliance, dict):
        raise RuleError(source, rule_id, "compliance", "must be a mapping")
    for framework_id, mapping in compliance.items():
        if framework_id == UNMAPPED_KEY:
            if not _is_text(mapping):
                raise RuleError(
                    source,
                    rule_id,
                    f"compliance.{UNMAPPED_KEY}",
                    "must say why no framework maps the rule",
                )
            continue
        _check_framework_mapping(framework_id, mapping, source, rule_id)
    mapped = any(framework_id != UNMAPPED_KEY for framework_id in compliance)
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


def _check_evaluation(evaluation: Any, source: str, rule_id: str) -> tuple[str, dict[str, Any]]:
    """The evaluator's name and the rule's params, checked against what the evaluator takes."""
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
    return evaluator.name, params


def rule_from_entry(entry: Any, source: str) -> Rule:
    """The rule one catalog entry of file `source` describes; RuleError when it is invalid."""
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
    _check_section(entry["rationale"], source, rule_id, "rationale")
    if entry["severity"] not in Severity.values:
        raise RuleError(source, rule_id, "severity", f"must be one of {Severity.values}")
    _check_remediation(entry["remediation"], source, rule_id)
    _check_references(entry["references"], source, rule_id)
    _check_compliance(entry["compliance"], source, rule_id)
    evaluator, params = _check_evaluation(entry["evaluation"], source, rule_id)
    remediation = entry["remediation"]
    return Rule(
        id=rule_id,
        service=entry["service"],
        resource_type=entry["resource_type"],
        title=entry["title"],
        severity=entry["severity"],
        rationale=entry["rationale"],
        remediation=Remediation(**{name: remediation[name] for name in REMEDIATION_FIELDS}),
        references=tuple(entry["references"]),
        compliance=entry["compliance"],
        evaluator=evaluator,
        params=params,
        source=source,
    )
