import re
from typing import Any, cast

from django import forms
from django.forms.utils import flatatt
from django.http import QueryDict
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

from findings.models import Finding
from findings.selectors import SORT_KEYS, Change, MutedFilter
from findings.triage import cursor_decode
from findings.web.choices import PAGE_DEFAULTS, FindingsView
from scans.web.forms import ScanForm
from securescope.frameworks import get_framework
from securescope.privacy import find_identifiers
from securescope.severity import Severity


def _blank(label: str, values: list[str]) -> list[tuple[str, str]]:
    return [("", label), *((value, value) for value in values)]


def _section_label(value: str) -> str:
    """ "cis_eks:5.4.1" as "CIS EKS 5.4.1": the framework's short label, then the section."""
    framework_id, _, number = value.partition(":")
    framework = get_framework(framework_id)
    return f"{framework.short_label} {number}" if framework else value


class QuickSelect(forms.Select):
    """A select written out in Python. Django renders each option through its own template
    include; the compliance section select has hundreds of options, and rendering them cost a
    findings page more than its rows did. Same elements and attributes as Django's templates."""

    def render(
        self,
        name: str,
        value: Any,
        attrs: dict[str, Any] | None = None,
        renderer: Any = None,
    ) -> SafeString:
        widget = self.get_context(name, value, attrs)["widget"]
        groups = []
        for group_name, options, _ in widget["optgroups"]:
            rendered = format_html_join(
                "",
                '<option value="{}"{}>{}</option>',
                (
                    (option["value"], flatatt(option["attrs"]), option["label"])
                    for option in options
                ),
            )
            groups.append(
                format_html('<optgroup label="{}">{}</optgroup>', group_name, rendered)
                if group_name
                else rendered
            )
        return format_html(
            '<select name="{}"{}>{}</select>',
            widget["name"],
            flatatt(widget["attrs"]),
            mark_safe("".join(groups)),  # noqa: S308 - each part went through format_html
        )


class FindingFilterForm(forms.Form):
    severity = forms.MultipleChoiceField(
        required=False, choices=Severity.choices, widget=forms.CheckboxSelectMultiple
    )
    rule = forms.RegexField(
        required=False,
        regex=r"^[A-Z0-9_]+(,[A-Z0-9_]+)*$",
        widget=forms.HiddenInput,
        help_text="Comma-separated rule ids, as the compliance view links them.",
    )
    status = forms.ChoiceField(
        required=False, choices=[("", "Any status"), *Finding.Status.choices], widget=QuickSelect
    )
    service = forms.ChoiceField(required=False, label="Service", widget=QuickSelect)
    region = forms.ChoiceField(required=False, label="Region", widget=QuickSelect)
    resource_type = forms.ChoiceField(required=False, label="Resource type", widget=QuickSelect)
    section = forms.ChoiceField(required=False, label="Compliance section", widget=QuickSelect)
    change = forms.ChoiceField(
        required=False,
        label="Since previous scan",
        choices=[("", "Any change"), *Change.choices],
        widget=QuickSelect,
    )
    muted = forms.ChoiceField(
        required=False, label="Muted", choices=MutedFilter.choices, widget=QuickSelect
    )
    q = forms.CharField(required=False, max_length=100, label="Search rule titles")
    sort = forms.ChoiceField(
        required=False,
        widget=forms.HiddenInput,
        choices=[("", "")] + [(f"{sign}{key}", key) for key in SORT_KEYS for sign in ("", "-")],
    )
    view = forms.ChoiceField(required=False, widget=forms.HiddenInput, choices=FindingsView.choices)
    after = forms.CharField(required=False, max_length=2000, widget=forms.HiddenInput)
    before = forms.CharField(required=False, max_length=2000, widget=forms.HiddenInput)
    page = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)

    def __init__(
        self,
        data: QueryDict | None = None,
        *args,
        choices: dict[str, list[str]] | None = None,
        page_defaults: bool = False,
        **kwargs,
    ) -> None:
        """`page_defaults`: what the findings page opens on (failing findings, grouped by
        rule, most severe first) for every field the query leaves out; exports and API calls
        keep "no filter" for a missing field."""
        if page_defaults:
            data = (data or QueryDict()).copy()
            for name, value in PAGE_DEFAULTS.items():
                data.setdefault(name, value)
        super().__init__(data, *args, **kwargs)
        choices = choices or {}
        self.fields["service"].choices = _blank("Any service", choices.get("service", []))
        self.fields["region"].choices = _blank("Any region", choices.get("region", []))
        self.fields["resource_type"].choices = _blank(
            "Any resource type", choices.get("resource_type", [])
        )
        self.fields["section"].choices = [("", "Any section")] + [
            (value, _section_label(value)) for value in choices.get("section", [])
        ]

    def filters(self) -> dict:
        """Keyword arguments for `finding_list`; a field with invalid input filters nothing."""
        data = {}
        if self.is_bound:
            # Run validation: cleaned_data then holds every field that was valid.
            self.is_valid()
            data = self.cleaned_data
        return {
            "severities": data.get("severity") or None,
            "status": data.get("status") or None,
            "rule_ids": data["rule"].split(",") if data.get("rule") else None,
            "service": data.get("service", ""),
            "region": data.get("region", ""),
            "resource_type": data.get("resource_type", ""),
            "section": data.get("section", ""),
            "change": data.get("change", ""),
            "muted": data.get("muted", ""),
            "search": data.get("q", "").strip(),
            "sort": data.get("sort", ""),
        }

    def navigation(self) -> dict:
        """Which view, and where in it: cursors of the flat list, a page number."""
        data = {}
        if self.is_bound:
            self.is_valid()
            data = self.cleaned_data
        return {
            "view": data.get("view") or FindingsView.FLAT,
            "after": cursor_decode(data["after"]) if data.get("after") else None,
            "before": cursor_decode(data["before"]) if data.get("before") else None,
            "page": data.get("page") or 1,
        }


class MuteForm(forms.Form):
    scope = forms.ChoiceField(
        choices=[("finding", "This finding only"), ("rule", "Every finding of this rule")],
        widget=forms.RadioSelect,
        initial="finding",
    )
    justification = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), max_length=2000)
    owner = forms.ModelChoiceField(queryset=None)
    expires_on = forms.DateField(label="Expires on", widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, owners, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = owners

    def clean_justification(self) -> str:
        value = self.cleaned_data["justification"]
        if kinds := find_identifiers(value):
            # The justification is stored as typed and shown to every reader: no identifiers.
            raise forms.ValidationError(
                f"Leave identifiers out of the justification (found: {', '.join(kinds)}): say "
                "why without names, ARNs, account or resource ids, addresses or host names."
            )
        return value

    def clean_expires_on(self):
        value = self.cleaned_data["expires_on"]
        if value <= timezone.now().date():
            raise forms.ValidationError("A mute must expire in the future.")
        return value


class ValuesField(forms.Field):
    """Many values of one name (ticked checkboxes), each matching `pattern`."""

    widget = forms.MultipleHiddenInput

    def __init__(self, *, pattern: str, **kwargs) -> None:
        super().__init__(required=False, **kwargs)
        self.pattern = re.compile(pattern)

    def to_python(self, value: object) -> list[str]:
        values = list(value) if isinstance(value, list | tuple) else []
        if any(not self.pattern.fullmatch(str(item)) for item in values):
            raise forms.ValidationError("Not a selection this page made.")
        return values


class SelectionForm(forms.Form):
    """Ticked findings, rules and resources of a findings page, and what to do with them."""

    ACTIONS = ("mute", "export-json", "export-csv", "export-md")

    finding = ValuesField(pattern=r"[0-9]{1,18}")
    rule = ValuesField(pattern=r"[A-Z0-9_]{1,64}")
    resource = ValuesField(pattern=r"[0-9a-f]{64}\|[A-Za-z0-9:]{1,64}\|[a-z0-9-]{1,32}")
    action = forms.ChoiceField(choices=[(action, action) for action in ACTIONS])
    next = forms.CharField(required=False, max_length=4000)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not (data.get("finding") or data.get("rule") or data.get("resource")):
            raise forms.ValidationError("Nothing is selected: tick findings, rules or resources.")
        return data

    def resources(self) -> list[tuple[str, str, str]]:
        return [tuple(value.split("|")) for value in self.cleaned_data.get("resource", [])]


class IdentifyForm(ScanForm):
    """The scan form's key fields: the keys are used for this one request and forgotten."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for name in ("regions", "expires_at", "start_anyway"):
            del self.fields[name]


class ComplianceFilterForm(forms.Form):
    """The compliance page's CIS level filter: Level 1 or Level 2 recommendations only."""

    level = forms.TypedChoiceField(
        required=False,
        coerce=int,
        empty_value=None,
        label="CIS level",
        choices=[("", "All levels"), ("1", "Level 1"), ("2", "Level 2 only")],
    )


class ExposureFilterForm(forms.Form):
    """The Exposure page's filters: one account (by its hash) and one region, or all."""

    account = forms.ChoiceField(required=False)
    region = forms.ChoiceField(required=False)

    def __init__(
        self, *args: Any, accounts: list[tuple[str, str]], regions: list[str], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["account"]).choices = [("", "All accounts"), *accounts]
        cast(forms.ChoiceField, self.fields["region"]).choices = _blank("All regions", regions)
