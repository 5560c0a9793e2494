from django import forms

from findings.models import Finding, Severity


class FindingFilterForm(forms.Form):
    severity = forms.MultipleChoiceField(
        required=False, choices=Severity.choices, widget=forms.CheckboxSelectMultiple
    )
    status = forms.ChoiceField(
        required=False, choices=[("", "Any status"), *Finding.Status.choices]
    )
