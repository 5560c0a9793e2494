"""The README and .env.example keep up with the code: settings, and the IAM policy."""

import json
import re
from pathlib import Path

from django.conf import settings

from scans.collectors import REGISTRY, required_permissions
from scans.permissions import policy_document, scan_actions

ROOT = Path(settings.BASE_DIR)
README = (ROOT / "README.md").read_text()


def settings_variables() -> set[str]:
    """Every variable that settings.py or the gunicorn config reads from the environment."""
    sources = (ROOT / "securescope" / "settings.py").read_text()
    sources += (ROOT / "deploy" / "gunicorn.conf.py").read_text()
    found = set(re.findall(r'env\.\w+\(\s*"([A-Z0-9_]+)"', sources))
    found |= set(re.findall(r'os\.environ(?:\.get\(|\[)\s*"([A-Z0-9_]+)"', sources))
    return found


def test_readme_table_and_env_example_list_every_setting():
    documented = set(re.findall(r"^\| `([A-Z0-9_]+)` \|", README, re.MULTILINE))
    example = set(re.findall(r"^# ?([A-Z0-9_]+)=", (ROOT / ".env.example").read_text(), re.M))
    variables = settings_variables()
    assert variables, "the pattern no longer finds settings"
    assert variables - documented == set(), "missing from the README configuration table"
    assert variables - example == set(), "missing from .env.example"
    assert documented == example, "README table and .env.example disagree"


# Not a read, but it only asks IAM to refresh the credential report (SecurityAudit grants it).
NON_READ_ACTIONS = {"iam:GenerateCredentialReport"}


def test_readme_policy_is_the_one_the_collectors_need():
    block = re.search(r"## Read-only IAM policy.*?```json\n(.*?)```", README, re.S).group(1)
    assert json.loads(block) == json.loads(policy_document(scan_actions()))
    assert set(required_permissions()) <= set(scan_actions())
    reads = {a for a in scan_actions() if re.match(r"^[a-z0-9-]+:(Describe|Get|List)", a)}
    assert set(scan_actions()) - reads == NON_READ_ACTIONS


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
