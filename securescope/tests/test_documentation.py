"""The README and .env.example keep up with the code: settings, the IAM policy, the ARN forms."""

import json
import re
from pathlib import Path

from django.conf import settings

from scans.collection.collectors import REGISTRY, required_permissions
from scans.collection.permissions import OPTIONAL_ACTIONS, policy_document, scan_actions
from scans.management.readme import TABLES, stale_tables

ROOT = Path(settings.BASE_DIR)
README = (ROOT / "README.md").read_text()


def settings_variables() -> set[str]:
    """Every variable that settings.py or the gunicorn config reads from the environment."""
    sources = (ROOT / "securescope" / "settings.py").read_text()
    sources += (ROOT / "deploy" / "gunicorn.conf.py").read_text()
    found = set(re.findall(r'env\.\w+\(\s*"([A-Z0-9_]+)"', sources))
    found |= set(re.findall(r'os\.environ(?:\.get\(|\[)\s*"([A-Z0-9_]+)"', sources))
    return found


SETTINGS_TABLE = "## Configuration"
PROCESS_TABLE = "### Read by the scan command and per worker process"
# Read by libraries, not by our code, so the scan of the sources below cannot find them.
READ_BY_LIBRARIES = {"AWS_ENDPOINT_URL": "boto3", "Q_CLUSTER_NAME": "django-q2"}
ENVIRONMENT_READS = (
    r'os\.environ\.get\(\s*"([A-Z0-9_]+)"',
    r'os\.environ\[\s*"([A-Z0-9_]+)"\s*\](?!\s*=[^=])',  # not an assignment
    r'os\.getenv\(\s*"([A-Z0-9_]+)"',
    r'"([A-Z0-9_]+)"\s+(?:not\s+)?in\s+os\.environ\b',
    r'\benv\.(?:str|int|bool|float|list|dict|json|url|db_url|cache_url)\(\s*"([A-Z0-9_]+)"',
)


def table_variables(heading: str) -> set[str]:
    """The variables in the first column of the table under `heading`, up to the next heading."""
    section = README.split(f"\n{heading}\n", 1)[1]
    section = re.split(r"^#{2,3} ", section, maxsplit=1, flags=re.MULTILINE)[0]
    return set(re.findall(r"^\| `([A-Z0-9_]+)` \|", section, re.MULTILINE))


def variables_read_anywhere() -> dict[str, list[str]]:
    """Every variable a project Python file (tests aside) reads from the environment."""
    found: dict[str, list[str]] = {}
    for path in sorted(ROOT.rglob("*.py")):
        parts = path.relative_to(ROOT).parts
        if any(part.startswith(".") or part in ("tests", "var") for part in parts):
            continue
        if parts[-1] == "conftest.py":
            continue
        text = path.read_text()
        for pattern in ENVIRONMENT_READS:
            for name in re.findall(pattern, text):
                found.setdefault(name, []).append(str(path.relative_to(ROOT)))
    return found


def test_readme_table_and_env_example_list_every_setting():
    documented = table_variables(SETTINGS_TABLE)
    example = set(re.findall(r"^# ?([A-Z0-9_]+)=", (ROOT / ".env.example").read_text(), re.M))
    variables = settings_variables()
    assert variables, "the pattern no longer finds settings"
    assert variables - documented == set(), "missing from the README configuration table"
    assert variables - example == set(), "missing from .env.example"
    assert documented == example, "README table and .env.example disagree"


def test_every_variable_read_anywhere_is_documented():
    read = variables_read_anywhere()
    assert {"AWS_SECRET_ACCESS_KEY", "SECURESCOPE_BIND", "LOG_LEVEL"} <= set(read), (
        "the patterns no longer find the reads"
    )
    settings_table, process_table = table_variables(SETTINGS_TABLE), table_variables(PROCESS_TABLE)
    undocumented = {
        name: files
        for name, files in read.items()
        if name not in settings_table and name not in process_table
    }
    assert undocumented == {}, "add them to a README configuration table"
    assert set(READ_BY_LIBRARIES) <= process_table
    # The process table lists what is read outside settings, and nothing stale or duplicated.
    assert process_table - set(read) - set(READ_BY_LIBRARIES) == set(), "no longer read"
    assert process_table & settings_table == set()


# Not reads: one asks IAM to refresh the credential report (SecurityAudit grants it), the other
# runs IAM's policy simulator for the scan's own principal.
NON_READ_ACTIONS = {"iam:GenerateCredentialReport", "iam:SimulatePrincipalPolicy"}


def test_readme_tables_are_the_ones_the_code_writes():
    # `manage.py docs_tables --write` rewrites them from the same functions.
    assert set(TABLES) == {
        "iam-policy",
        "arn-table",
        "cis-aws-foundations-coverage",
        "cis-eks-coverage",
        "candidates-not-implemented",
        "pacing-table",
    }
    assert stale_tables(README) == []


def test_readme_policy_is_the_one_the_collectors_need():
    section = README.split("\n## Read-only IAM policy\n", 1)[1]
    block = re.search(r"```json\n(.*?)```", section, re.S).group(1)
    assert json.loads(block) == json.loads(policy_document(scan_actions()))
    assert set(required_permissions()) <= set(scan_actions())
    reads = {a for a in scan_actions() if re.match(r"^[a-z0-9-]+:(Describe|Get|BatchGet|List)", a)}
    assert set(scan_actions()) - reads == NON_READ_ACTIONS
    # An optional action is one no collector needs, and the README says so next to the policy.
    assert set(OPTIONAL_ACTIONS) <= set(scan_actions())
    assert set(OPTIONAL_ACTIONS).isdisjoint(required_permissions())
    for action in OPTIONAL_ACTIONS:
        assert f"`{action}` is optional" in section.split("```json")[0]


def test_readme_opens_with_the_two_commands():
    first_block = re.search(r"```sh\n(.*?)```", README, re.S).group(1)
    commands = [line.split("#")[0].strip() for line in first_block.splitlines()]
    assert commands == ["bash deploy/start", "bash deploy/test"]
    ci = (ROOT / ".ci" / "run").read_text()
    assert "deploy/test" in ci


def test_readme_documents_the_arn_form_of_every_resource_type():
    table = README.split("| resource type | ARN hashed |")[1].split("\n\n")[0]
    documented = set(re.findall(r"`(AWS::[A-Za-z0-9]+::[A-Za-z0-9]+)`", table))
    produced = {t for collector in REGISTRY.values() for t in collector.resource_types}
    assert produced - documented == set()
    assert all(set(c.arn_forms) == set(c.resource_types) for c in REGISTRY.values())
