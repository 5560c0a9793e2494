"""`manage.py scan` without --output: the export alone on stdout, progress on stderr.

A pipeline pipes stdout into a file or a parser, so one progress line there would corrupt the
export. The command runs in a fresh process (embedded mode) against a moto server on 127.0.0.1.
"""

import json
import os
import re

import pytest

from testing.aws import TEST_ACCESS_KEY_ID, TEST_SECRET_ACCESS_KEY, seed_region
from testing.processes import run_manage

pytestmark = pytest.mark.subprocess

CSV_HEADER = (
    "rule_id,title,service,severity,status,region,resource_type,resource_hash,evidence,"
    "compliance,muted,advice_source,advice_model,advice_generated_at,advice_markdown,"
    "advice_rationale,advice_remediation_cli,advice_remediation_console,advice_blast_radius,"
    "advice_regression_testing,scan_disabled_rules\n"
)


@pytest.fixture
def command_env(moto_endpoint, migrated_data_dir) -> dict[str, str]:
    seed_region("eu-west-1")
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("AWS_", "DJANGO_")) and key not in ("DATABASE_URL", "REDIS_URL")
    }
    env.update(
        DATA_DIR=str(migrated_data_dir),
        AWS_ENDPOINT_URL=moto_endpoint,
        # moto answers some unimplemented APIs with a 500, which botocore retries: keep it short.
        AWS_MAX_ATTEMPTS="2",
        AWS_ACCESS_KEY_ID=TEST_ACCESS_KEY_ID,
        AWS_SECRET_ACCESS_KEY=TEST_SECRET_ACCESS_KEY,
    )
    return env


def test_json_export_on_stdout_and_progress_on_stderr(command_env):
    scan = run_manage(command_env, "scan", "--regions", "eu-west-1")
    assert scan.returncode == 0, scan.stderr
    document = json.loads(scan.stdout)
    assert document["scan"]["status"] == "succeeded"
    assert document["findings"]
    # Log records go to stderr as well, between the command's own lines.
    progress = scan.stderr.splitlines()
    assert f"Scan {document['scan']['id']} of ****9012: 1 regions" in progress
    units = [line for line in progress if line.startswith("[")]
    assert len(units) == 2
    for unit in ("eu-west-1", "global"):
        done = rf"\[[12]/2\] {unit} succeeded: \d+ resources, \d+ findings, \d+ failing"
        assert any(re.fullmatch(done, line) for line in units), (unit, units)
    assert progress[-1] == "Scan succeeded."


@pytest.mark.parametrize(
    ("export_format", "opening"),
    [
        ("csv", CSV_HEADER),
        ("md", "# SecureScope scan of account ****9012\n\n## Summary\n\n"),
        ("html", '<!DOCTYPE html>\n<html lang="en">\n'),
        ("ocsf", '{"activity_id":1,"activity_name":"Create","category_name":"Findings",'),
    ],
    ids=["csv", "md", "html", "ocsf"],
)
def test_text_exports_on_stdout(command_env, export_format, opening):
    scan = run_manage(command_env, "scan", "--regions", "eu-west-1", "--format", export_format)
    assert scan.returncode == 0, scan.stderr
    assert scan.stdout.startswith(opening)
    assert "EC2_SG_SSH_OPEN" in scan.stdout
    assert "Scan succeeded." not in scan.stdout
    assert scan.stderr.splitlines()[-1] == "Scan succeeded."
