"""Without a model's advice, every failing finding still shows and exports the five sections of
advice (why it matters, CLI, console, blast radius, regression testing), labelled curated."""

import csv
import io
import json
import re

import pytest
from django.urls import reverse

from advice.prompts import SECTION_TITLES, SECTIONS
from advice.services import advice_plan_for_scan, advice_wait
from findings.exports import ADVICE_SECTION_COLUMNS, EXPORTERS
from findings.selectors import finding_list
from scans.lifecycle.services import scan_start_demo, scan_wait
from scans.models import Scan
from testing.factories import create_finding, create_scan, create_user

TITLES = list(SECTION_TITLES.values())
CURATED_LABEL = "_Remediation: the rule catalog's curated advice._"


def h3_titles(html: str) -> list[str]:
    return re.findall(r"<h3>([^<]*)</h3>", html)


@pytest.fixture
def no_model(settings):
    settings.LLM_MODEL_PATH = settings.LLM_ENDPOINT = ""


@pytest.mark.moto
@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_the_demo_accounts_exports_carry_five_curated_sections_on_every_failing_finding(
    demo, no_model
):
    scan = scan_wait(scan_id=scan_start_demo().id, timeout=120)
    assert scan.status == Scan.Status.SUCCEEDED

    def export(export_format: str) -> str:
        return "".join(EXPORTERS[export_format](scan, finding_list(scan_id=scan.id)))

    document = json.loads(export("json"))
    failing = [f for f in document["findings"] if f["status"] == "FAIL"]
    failing_rules = {f["rule_id"] for f in failing}
    assert len(failing) > 50, "the demo fails many findings"
    assert len(failing_rules) > 20, "the demo fails many rules"
    for finding in failing:
        advice = finding["advice"]
        assert (advice["source"], advice["model"], advice["generated_at"]) == (
            "curated",
            None,
            None,
        )
        assert list(advice["sections"]) == sorted(SECTIONS), finding["rule_id"]
        assert all(text.strip() for text in advice["sections"].values()), finding["rule_id"]
        assert re.findall(r"^### (.*)$", advice["markdown"], re.M) == TITLES
        assert advice["sections"]["remediation_cli"].startswith("aws ")

    rows = [row for row in csv.DictReader(io.StringIO(export("csv"))) if row["status"] == "FAIL"]
    assert len(rows) == len(failing)
    for row in rows:
        assert row["advice_source"] == "curated"
        assert all(row[column].strip() for column in ADVICE_SECTION_COLUMNS), row["rule_id"]

    report = export("md")
    # One piece of curated advice below each failing rule's table, with all five sections. The
    # report lists failing findings by severity then rule: a rule whose findings fail at two
    # severities (a world-open group attached to nothing fails at low) has a table under each.
    tables = {(finding["severity"], finding["rule_id"]) for finding in failing}
    assert len(tables) > len(failing_rules), "some rule fails at two severities in the demo"
    assert report.count(CURATED_LABEL) == len(tables)
    for title in TITLES:
        assert report.count(f"\n##### {title}\n") == len(tables), title
    assert "advice written by" not in report


@pytest.mark.django_db
def test_a_failing_finding_without_a_model_shows_the_five_curated_sections(client, no_model):
    scan = create_scan(status=Scan.Status.SUCCEEDED)
    finding = create_finding(scan, rule_id="EC2_SG_SSH_OPEN", evidence={"open_ports": [22]})
    client.force_login(create_user())
    page = client.get(reverse("findings:detail", args=[finding.id])).content.decode()
    advice = page.split('id="advice"', 1)[1].split("</section>", 1)[0]
    assert "The rule catalog's curated remediation" in advice
    assert "no model writes advice here" in advice
    assert h3_titles(advice) == TITLES
    assert "<pre><code" in advice, "the commands are a code block"


@pytest.mark.django_db
def test_a_passing_finding_shows_the_five_curated_sections(client):
    scan = create_scan(status=Scan.Status.SUCCEEDED)
    finding = create_finding(scan, rule_id="EC2_SG_SSH_OPEN", status="PASS")
    client.force_login(create_user())
    page = client.get(reverse("findings:detail", args=[finding.id])).content.decode()
    advice = page.split('id="advice"', 1)[1].split("</section>", 1)[0]
    assert "The rule catalog's curated remediation." in advice
    assert h3_titles(advice) == TITLES


@pytest.mark.django_db(transaction=True)
def test_the_scan_card_shows_five_curated_sections_when_the_models_answer_is_rejected(
    client, llm_server
):
    llm_server.mode = "not-json"
    scan = create_scan(status=Scan.Status.SUCCEEDED)
    create_finding(scan, rule_id="EC2_SG_SSH_OPEN", evidence={"open_ports": [22]})
    advice_plan_for_scan(scan_id=scan.id)
    assert advice_wait(scan_id=scan.id, timeout=30) == 0
    client.force_login(create_user())
    page = client.get(reverse("advice:scan", args=[scan.id])).content.decode()
    assert "curated (model answer rejected: not JSON" in page
    assert h3_titles(page) == TITLES
