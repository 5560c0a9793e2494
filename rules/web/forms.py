from django import forms

from rules.selectors import RuleState
from rules.web.frameworks import framework_choices
from securescope.severity import Severity


class RuleFilterForm(forms.Form):
    q = forms.CharField(required=False, max_length=100, label="Search")
    service = forms.ChoiceField(required=False, label="Service")
    severity = forms.ChoiceField(
        required=False, label="Severity", choices=[("", "Any severity"), *Severity.choices]
    )
    framework = forms.ChoiceField(required=False, label="Framework")
    state = forms.ChoiceField(
        required=False, label="State", choices=[("", "Enabled or not"), *RuleState.choices]
    )

    def __init__(self, *args, services: list[str], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["service"].choices = [("", "Any service"), *((s, s) for s in services)]
        self.fields["framework"].choices = [("", "Any framework"), *framework_choices()]

    def filters(self) -> dict[str, str]:
        data = self.cleaned_data if self.is_valid() else {}
        return {
            "service": data.get("service", ""),
            "severity": data.get("severity", ""),
            "framework": data.get("framework", ""),
            "state": data.get("state", ""),
            "text": data.get("q", ""),
        }
