from django import forms

from findings.models import Finding, Severity


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
        required=False, choices=[("", "Any status"), *Finding.Status.choices]
    )
