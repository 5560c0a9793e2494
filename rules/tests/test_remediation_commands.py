"""Rules that give the full remediation (a summary, what the fix can break and how to prove
nothing broke) give commands only in `cli`: one AWS CLI command a line, each one that a shell
would parse, placeholders written as single <words>."""

import re
import shlex
from pathlib import Path

import pytest
import yaml

from rules.loading import CATALOG_DIR

GUIDANCE_FIELDS = ("summary", "blast_radius", "regression_testing")
PLACEHOLDER = re.compile(r"<([^<>]*)>")


def full_remediations() -> list:
    return [
        pytest.param(entry["remediation"], id=entry["id"])
        for path in sorted(CATALOG_DIR.glob("*.yaml"))
        for entry in yaml.safe_load(Path(path).read_text())["rules"]
        if "summary" in entry.get("remediation", {})
    ]


@pytest.mark.parametrize("remediation", full_remediations())
def test_cli_is_commands_only(remediation):
    assert set(GUIDANCE_FIELDS) <= set(remediation)
    assert "\n" not in remediation["summary"].strip()
    lines = remediation["cli"].splitlines()
    assert lines
    for line in lines:
        assert line.startswith("aws "), line
        assert not line.endswith("\\"), line
        shlex.split(line)
        for placeholder in PLACEHOLDER.findall(line):
            assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", placeholder), placeholder


def test_some_rules_give_the_full_remediation():
    # The test above must not pass vacuously.
    assert len(full_remediations()) >= 5
