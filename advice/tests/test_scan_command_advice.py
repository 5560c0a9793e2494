"""`manage.py scan --advice`: the export waits for the scan's advice and carries it."""

import json

import pytest
from django.conf import settings
from django.core.management import call_command

from advice.shape import shape_key
from advice.tests.conftest import STAND_IN_MODEL, rules_beyond_the_stand_in
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
    beyond = rules_beyond_the_stand_in(settings.ADVICE_SECTION_MAX_CHARS)
    from_model = [f for f in findings if f["rule_id"] not in beyond]
    assert from_model
    assert {f["advice"]["source"] for f in from_model} == {"model"}
    assert {f["advice"]["model"] for f in from_model} == {STAND_IN_MODEL}
    assert {f["advice"]["source"] for f in findings if f["rule_id"] in beyond} <= {"curated"}
    curated_shapes = {
        (f["rule_id"], shape_key(f["rule_id"], f["evidence"]))
        for f in findings
        if f["rule_id"] in beyond
    }
    assert f"from the model, {len(curated_shapes)} curated" in capsys.readouterr().err


def test_without_a_model_the_export_carries_curated_remediation(aws, tmp_path, capsys):
    seed_region("eu-west-1")
    output = tmp_path / "scan.json"
    call_command("scan", "--regions", "eu-west-1", "--advice", "--output", str(output))
    assert {f["advice"]["source"] for f in failing(output)} == {"curated"}
    assert "no advice: no model is configured" in capsys.readouterr().err
