import html
import importlib
import re

import pytest

from advice.prompts import SECTION_TITLES, curated_sections
from advice.render import curated_markdown, markdown_html, sections_markdown
from advice.tests.test_quality_gate import GOOD
from rules.loading import load_catalog


def test_model_html_never_reaches_the_page():
    markdown = (
        "### Fix\n\n<script>alert(1)</script> <img src=x onerror=alert(2)>\n\n"
        "[click](javascript:alert(3)) <a href='https://evil.example'>x</a>\n\n"
        "```sh\naws ec2 describe-instances\n```\n"
    )
    html = markdown_html(markdown)
    assert "<script" not in html
    assert "<img" not in html
    assert "<a" not in html
    # What is left of the tags is inert text.
    assert "&lt;img src=x onerror=alert(2)&gt;" in html
    assert "<pre><code>aws ec2 describe-instances" in html
    assert "&lt;script&gt;" in html


def test_sections_render_in_order_with_the_cli_fenced():
    markdown = sections_markdown({**GOOD, "remediation_cli": "aws ec2 x ```evil```"})
    titles = [line for line in markdown.splitlines() if line.startswith("### ")]
    assert titles == [
        "### Why it matters",
        "### Fix it with the AWS CLI",
        "### Fix it in the console",
        "### Blast radius",
        "### Regression testing",
    ]
    # A fence inside the command cannot close the code block early.
    assert "<pre><code" in markdown_html(markdown)
    assert "evil" in markdown_html(markdown).split("</pre>")[0]


def test_curated_markdown_has_the_five_sections_of_model_advice():
    rule = next(rule for rule in load_catalog().rules if rule.id == "EC2_IMDSV2_REQUIRED")
    markdown = curated_markdown(rule)
    titles = [line[4:] for line in markdown.splitlines() if line.startswith("### ")]
    assert titles == list(SECTION_TITLES.values())
    assert f"```sh\n{rule.remediation.cli}\n```" in markdown
    for text in (
        rule.rationale,
        rule.remediation.blast_radius,
        rule.remediation.regression_testing,
    ):
        assert text.strip() in markdown


def test_stored_model_advice_is_read_back_into_its_sections():
    """The migration that gave cached model advice its sections reads what the renderer wrote."""
    migration = importlib.import_module("advice.migrations.0002_advice_sections")
    sections = {**GOOD, "remediation_cli": "aws ec2 a ```b```\naws ec2 c \\\n  --d e"}
    assert migration.sections_of(sections_markdown(sections)) == sections
    assert migration.sections_of("### Why it matters\n\nonly one section\n") == {}


@pytest.mark.parametrize("rule", load_catalog().rules, ids=lambda rule: rule.id)
def test_curated_prose_reads_on_the_page_as_the_catalog_wrote_it(rule):
    """Catalog text is not Markdown: Principal "*" and Action "s3:*" are no emphasis, and a
    JSON statement in the console steps survives whole; `backticks` mark commands."""
    page = markdown_html(curated_markdown(rule))
    assert "<em>" not in page
    assert "<strong>" not in page
    assert re.findall(r"<h3>(.*?)</h3>", page) == list(SECTION_TITLES.values())
    text = html.unescape(re.sub(r"<[^>]+>", "", page))
    for name, section in curated_sections(rule).items():
        # The commands are a code block, JMESPath `literals` and all.
        expected = section if name == "remediation_cli" else section.replace("`", "")
        assert expected in text, name
