"""The findings templates' filters and tags."""

import uuid

from django.template import Context, Template
from django.urls import reverse

from findings.models import Finding
from findings.reveal import Identity
from findings.tallies import RuleGroup
from findings.templatetags.findings_tags import (
    SUMMARY_LENGTH,
    evidence_summary,
    rule_group_bodies,
)
from findings.triage import ResourceRow


def test_evidence_summary_lists_plain_values_and_counts_nested_ones():
    evidence = {
        "open_ports": [22, 3389],
        "world_ingress": True,
        "ingress_rules": [{"ports": [22], "sources": ["0.0.0.0/0"]}],
        "hop_limit": 2,
        "metadata": {"tokens": "optional", "endpoint": "enabled"},
        "sources": [],
    }
    assert evidence_summary(evidence) == (
        "hop_limit: 2 · ingress_rules: 1 entries · metadata: 2 fields · "
        "open_ports: 22, 3389 · sources: none · world_ingress: yes"
    )


def test_evidence_summary_shows_six_items_then_how_many_more():
    assert evidence_summary({"ports": list(range(10))}) == "ports: 0, 1, 2, 3, 4, 5 +4"


def test_evidence_summary_is_cut_to_its_length():
    summary = evidence_summary({f"key_{index}": "x" * 20 for index in range(20)})
    assert len(summary) == SUMMARY_LENGTH
    assert summary.endswith("…")


def render_cell(resource_hash: str, identities: dict | None) -> str:
    template = Template("{% load findings_tags %}{% resource_hash_cell resource_hash %}")
    return template.render(Context({"resource_hash": resource_hash, "identities": identities}))


def test_a_hash_cell_shows_the_shortened_hash_and_keeps_the_whole_one_to_copy():
    resource_hash = "ab" * 32
    html = render_cell(resource_hash, None)
    assert html == (
        f'<code title="{resource_hash}" data-copy="{resource_hash}">{resource_hash[:16]}…</code>'
    )


def test_a_hash_cell_shows_a_revealed_identity_escaped():
    resource_hash = "cd" * 32
    identities = {
        resource_hash: Identity(arn="arn:aws:ec2:us-east-1:123456789012:instance/i-1", name="<b>")
    }
    html = render_cell(resource_hash, identities)
    assert '<span class="identity"><strong>&lt;b&gt;</strong> ' in html
    assert '<code class="arn">arn:aws:ec2:us-east-1:123456789012:instance/i-1</code>' in html
    assert render_cell("ef" * 32, identities).count("identity") == 0


def test_rule_group_bodies_link_each_rule_with_the_filters_escaped():
    scan_id = uuid.uuid4()
    group = RuleGroup(rule_id="EC2_SG_SSH_OPEN", title="SSH <open>", severity="high")
    group.counts.update({"FAIL": 1234, "PASS": 2})
    html = rule_group_bodies([group], scan_id, "status=FAIL&q=a")
    rows_url = reverse("findings:rule", args=[scan_id, "EC2_SG_SSH_OPEN"])
    assert f'hx-get="{rows_url}?status=FAIL&amp;q=a"' in html
    assert 'data-rule="EC2_SG_SSH_OPEN"' in html
    assert 'id="rows-EC2_SG_SSH_OPEN"' in html
    assert "SSH &lt;open&gt;" in html
    assert '<td class="number">1234</td>' in html
    assert '<td class="number">2</td>' in html
    assert rule_group_bodies([], scan_id, "") == ""


def render_resources(resources: list[ResourceRow], identities: dict | None = None) -> str:
    template = Template("{% load findings_tags %}{% resource_rows resources %}")
    return template.render(Context({"resources": resources, "identities": identities}))


def test_resource_rows_list_each_resources_rules_linked_with_their_state():
    resource_hash = "ab" * 32
    failing = Finding(id=41, rule_id="EC2_SG_SSH_OPEN", severity="high", status="FAIL")
    failing.muted = True
    passing = Finding(id=42, rule_id="EC2_IMDSV2", severity="low", status="PASS")
    passing.muted = False
    resource = ResourceRow(
        resource_hash=resource_hash,
        resource_type="AWS::EC2::SecurityGroup",
        region="eu-west-1",
        count=1234,
        worst="high",
        findings=[failing, passing],
    )
    html = render_resources([resource])
    assert f'data-resource="{resource_hash}"' in html
    assert f'value="{resource_hash}|AWS::EC2::SecurityGroup|eu-west-1"' in html
    assert (
        f'aria-label="Select every finding of AWS::EC2::SecurityGroup {resource_hash[:12]}…"'
        in (html)
    )
    assert '<td class="number">1234</td>' in html
    assert (
        f'<li><span class="sev high">high</span> <a href="{reverse("findings:detail", args=[41])}">'
        'EC2_SG_SSH_OPEN</a> <span class="muted-tag">muted</span></li>'
    ) in html
    assert (
        f'<li><span class="sev low">low</span> <a href="{reverse("findings:detail", args=[42])}">'
        'EC2_IMDSV2</a> <span class="result PASS">PASS</span></li>'
    ) in html
    assert render_resources([]) == ""


def test_resource_rows_show_a_revealed_identity_escaped():
    resource_hash = "cd" * 32
    resource = ResourceRow(
        resource_hash=resource_hash,
        resource_type="AWS::EC2::Instance",
        region="us-east-1",
        count=0,
        worst="info",
    )
    identities = {resource_hash: Identity(arn="arn:aws:ec2:::instance/i-<1>", name="a&b")}
    html = render_resources([resource], identities)
    assert "<strong>a&amp;b</strong>" in html
    assert '<code class="arn">arn:aws:ec2:::instance/i-&lt;1&gt;</code>' in html


def listed_finding(**values) -> Finding:
    return Finding(
        **{
            "id": 7,
            "rule_id": "EC2_SG_SSH_OPEN",
            "title": "SSH <open> & more",
            "service": "ec2",
            "severity": "high",
            "status": "FAIL",
            "region": "eu-west-1",
            "resource_type": "AWS::EC2::SecurityGroup",
            "resource_hash": "ef" * 32,
            "evidence": {"cidr": "<0.0.0.0/0>"},
            **values,
        }
    )


def render_rows(tag: str, findings: list[Finding], identities: dict | None = None) -> str:
    template = Template(f"{{% load findings_tags %}}{{% {tag} findings %}}")
    return template.render(Context({"findings": findings, "identities": identities}))


def test_finding_rows_link_each_finding_and_escape_what_it_holds():
    muted = listed_finding(id=8, status="PASS")
    muted.muted = True
    html = render_rows("finding_rows", [listed_finding(), muted])
    detail = reverse("findings:detail", args=[7])
    assert (
        f'<a href="{detail}"><strong>EC2_SG_SSH_OPEN</strong></a><br>SSH &lt;open&gt; &amp; more'
        in (html)
    )
    assert f'value="7" form="bulk" aria-label="Select EC2_SG_SSH_OPEN on {"ef" * 6}…"' in html
    assert '<span class="result PASS">PASS</span> <span class="muted-tag">muted</span>' in html
    assert '<td class="evidence">cidr: &lt;0.0.0.0/0&gt;</td>' in html
    assert "<td>AWS::EC2::SecurityGroup</td>" in html
    assert render_rows("finding_rows", []) == ""


def test_rule_finding_rows_link_the_status_and_show_a_revealed_identity():
    finding = listed_finding()
    identities = {finding.resource_hash: Identity(arn="arn:aws:ec2:::sg/<1>", name="web")}
    html = render_rows("rule_finding_rows", [finding], identities)
    detail = reverse("findings:detail", args=[7])
    assert f'<a href="{detail}"><span class="result FAIL">FAIL</span></a>' in html
    assert '<code class="arn">arn:aws:ec2:::sg/&lt;1&gt;</code>' in html
    assert "SSH &lt;open&gt;" not in html, "the rule's title is the group's"
