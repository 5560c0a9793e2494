from datetime import timedelta

from django import forms
from django.conf import settings
from django.utils import timezone


class ApiTokenForm(forms.Form):
    name = forms.CharField(max_length=100, help_text="What uses it, e.g. “nightly pipeline”.")
    expires_on = forms.DateField(label="Expires on", widget=forms.DateInput(attrs={"type": "date"}))

    def clean_expires_on(self):
        value = self.cleaned_data["expires_on"]
        today = timezone.now().date()
        if value <= today:
            raise forms.ValidationError("A token must expire in the future.")
        if value > today + timedelta(days=settings.API_TOKEN_MAX_DAYS):
            raise forms.ValidationError(
                f"A token lives at most {settings.API_TOKEN_MAX_DAYS} days."
            )
        return value
