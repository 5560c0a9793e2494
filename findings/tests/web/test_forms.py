"""The filter form's selects, written out in Python, say what Django's templates say."""

from html.parser import HTMLParser

import pytest
from django import forms

from findings.web.forms import FindingFilterForm, QuickSelect


class _Elements(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.found: list[tuple] = []

    def handle_starttag(self, tag, attrs):
        self.found.append(("start", tag, sorted(attrs, key=lambda pair: pair[0])))

    def handle_endtag(self, tag):
        self.found.append(("end", tag))

    def handle_data(self, data):
        if data.strip():
            self.found.append(("text", data.strip()))


def _elements(html: str) -> list[tuple]:
    parser = _Elements()
    parser.feed(html)
    return parser.found


CHOICES = [
    ("", "Any"),
    ("a", "A & b"),
    ("b", 'B "quoted"'),
    ("<x>", "<script>x</script>"),
    ("Group", [("g1", "In a group")]),
]


@pytest.mark.parametrize("value", ["", "b", "<x>", "g1", None, "unknown"])
def test_quick_select_writes_the_elements_django_writes(value):
    attrs = {"hx-get": "/findings/?a=1&b=2", "required": True, "disabled": False}
    django_select = forms.Select(attrs=attrs, choices=CHOICES)
    quick = QuickSelect(attrs=attrs, choices=CHOICES)
    expected = django_select.render("region", value, attrs={"id": "id_region"})
    written = quick.render("region", value, attrs={"id": "id_region"})
    assert _elements(written) == _elements(expected)
    assert "<script>" not in written


def test_the_filter_form_selects_are_quick_and_keep_the_chosen_value():
    form = FindingFilterForm(
        {"region": "eu-west-1", "status": "FAIL"},
        choices={"region": ["us-east-1", "eu-west-1"]},
    )
    for name in ("status", "service", "region", "resource_type", "section", "change", "muted"):
        assert isinstance(form.fields[name].widget, QuickSelect), name
    html = str(form["region"])
    assert '<option value="eu-west-1" selected>eu-west-1</option>' in html
    assert '<option value="us-east-1">us-east-1</option>' in html
