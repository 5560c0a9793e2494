"""`manage.py scan --advice`: the export waits for the scan's advice and carries it."""

import json

import pytest
from django.core.management import call_command

from advice.tests.conftest import STAND_IN_MODEL
from testing.aws import seed_region

pytestmark = pytest.mark.django_db(transaction=True)


def failing(output) -> list[dict]:
    return [f for f in json.loads(output.read_text())["findings"] if f["status"] == "FAIL"]


@pytest.mark.slow
def test_the_export_carries_the_models_advice(aws, llm_server, tmp_path, capsys):
    seed_region("eu-west-1")
    output = tmp_path / "scan.json"
    call_command("scan", "--regions", "eu-west-1", "--advice", "--output", str(output))
    findings = failing(output)
    assert findings
    assert {f["advice"]["source"] for f in findings} == {"model"}
    assert {f["advice"]["model"] for f in findings} == {STAND_IN_MODEL}
    assert "from the model, 0 curated" in capsys.readouterr().err


def test_without_a_model_the_export_carries_curated_remediation(aws, tmp_path, capsys):
    seed_region("eu-west-1")
    output = tmp_path / "scan.json"
    call_command("scan", "--regions", "eu-west-1", "--advice", "--output", str(output))
    assert {f["advice"]["source"] for f in failing(output)} == {"curated"}
    assert "no advice: no model is configured" in capsys.readouterr().err
