import re
from collections import Counter
from functools import cache

import boto3
from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator

from scans.collection.aws import AwsCredentials
from scans.lifecycle.organizations import DEFAULT_MEMBER_ROLE, ROLE_NAME_PATTERN
from scans.models import SavedAccount, Scan


class NoEchoTextInput(forms.TextInput):
    """A visible text field that is never filled back in: key ids must not reach any HTML."""

    def format_value(self, value: object) -> None:
        return None


@cache
def region_choices() -> list[tuple[str, str]]:
    # From botocore's bundled endpoint data: no network call, but JSON worth parsing only once
    # per process (a form builds its choices every time it is made or validated).
    return [(name, name) for name in boto3.session.Session().get_available_regions("ec2")]


# On in every account. AWS makes each region launched after 20 March 2019 opt-in, so this list
# never grows; the picker offers it because the account's own list needs its keys.
REGIONS_ENABLED_BY_DEFAULT = frozenset(
    {
        "us-east-1",
        "us-east-2",
        "us-west-1",
        "us-west-2",
        "ca-central-1",
        "sa-east-1",
        "eu-west-1",
        "eu-west-2",
        "eu-west-3",
        "eu-central-1",
        "eu-north-1",
        "ap-south-1",
        "ap-northeast-1",
        "ap-northeast-2",
        "ap-northeast-3",
        "ap-southeast-1",
        "ap-southeast-2",
    }
)


class RegionCheckboxes(forms.CheckboxSelectMultiple):
    """One box per region; those every account has enabled are marked for the picker's button."""

    def create_option(self, name, value, label, selected, index, subindex=None, attrs=None):
        option = super().create_option(name, value, label, selected, index, subindex, attrs)
        if value in REGIONS_ENABLED_BY_DEFAULT:
            option["attrs"]["data-default-enabled"] = True
        return option


class RegionListField(forms.MultipleChoiceField):
    """Known regions, each once; a list longer than AWS has is refused before it is read."""

    def validate(self, value: list[str]) -> None:
        known = len(list(self.choices))
        if len(value) > known:
            raise ValidationError(f"{len(value)} regions given; AWS has {known}.", code="too_many")
        duplicated = sorted(name for name, count in Counter(value).items() if count > 1)
        if duplicated:
            raise ValidationError(
                f"Listed more than once: {', '.join(duplicated)}.", code="duplicated"
            )
        super().validate(value)


def role_arn_field(*, required: bool) -> forms.CharField:
    return forms.CharField(
        label="Role ARN to assume",
        required=required,
        max_length=2048,
        validators=[
            RegexValidator(
                r"^arn:aws[a-z-]*:iam::\d{12}:role/[\w+=,.@/-]{1,512}$",
                "A role ARN looks like arn:aws:iam::<account-id>:role/<name>.",
                # \w alone would let any Unicode letter through; IAM names are ASCII.
                flags=re.ASCII,
            )
        ],
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )


def external_id_field() -> forms.CharField:
    return forms.CharField(
        label="External id",
        required=False,
        max_length=1224,
        validators=[
            RegexValidator(
                r"^[\w+=,.@:/-]{2,1224}$",
                "An external id is 2 to 1224 of A-Z, 0-9, +=,.@:/-_",
                flags=re.ASCII,
            )
        ],
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )


class ScanForm(forms.Form):
    access_key_id = forms.CharField(
        label="Access key id",
        max_length=20,
        validators=[
            RegexValidator(
                r"^(AKIA|ASIA)[A-Z0-9]{16}$",
                "An access key id is 20 characters starting with AKIA or ASIA.",
            )
        ],
        widget=NoEchoTextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    secret_access_key = forms.CharField(
        label="Secret access key",
        max_length=40,
        validators=[
            RegexValidator(
                r"^[A-Za-z0-9/+=]{40}$", "A secret access key is 40 characters (A-Z, 0-9, / + =)."
            )
        ],
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
    )
    session_token = forms.CharField(
        label="Session token",
        required=False,
        max_length=8192,
        validators=[
            RegexValidator(r"^[A-Za-z0-9/+=]+$", "A session token contains only A-Z, 0-9, / + =.")
        ],
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        help_text="Required with temporary keys (ASIA...).",
    )
    role_arn = role_arn_field(required=False)
    # Not a secret (AWS: it guards against a confused deputy, it proves nothing alone): kept on a
    # form error like the role ARN, so only the keys must be pasted again.
    external_id = external_id_field()
    expires_at = forms.DateTimeField(
        label="Credentials expire at (UTC)",
        required=False,
        help_text="Optional, e.g. 2026-11-27 18:30. The Expiration of `aws configure "
        "export-credentials` or of the console's temporary keys.",
    )
    start_anyway = forms.BooleanField(
        label="Start even if the credentials may expire first", required=False
    )
    organization = forms.BooleanField(
        label="Scan the whole organization",
        required=False,
        help_text="With the management (or a delegated administrator) account's keys: each "
        "ACTIVE account is scanned through the role below, the keys' own account with the keys.",
    )
    member_role_name = forms.CharField(
        label="Role name in each member account",
        required=False,
        max_length=64,
        initial=DEFAULT_MEMBER_ROLE,
        validators=[
            RegexValidator(
                ROLE_NAME_PATTERN, "A role name is 1 to 64 of A-Z, 0-9 and +=,.@-_ (no path)."
            )
        ],
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
        help_text="With the whole organization; the external id above, if any, goes with it.",
    )
    regions = RegionListField(
        required=False,
        choices=region_choices,
        widget=RegionCheckboxes,
        help_text="Leave every box empty to scan each region enabled in the account, as AWS "
        "lists it for these keys.",
    )

    def clean(self) -> dict:
        cleaned = super().clean()
        key_id = cleaned.get("access_key_id", "")
        if key_id.startswith("ASIA") and not cleaned.get("session_token"):
            self.add_error("session_token", "Temporary keys (ASIA...) need their session token.")
        organization = self.cleaned_data.get("organization")
        if cleaned.get("external_id") and not (cleaned.get("role_arn") or organization):
            self.add_error("external_id", "An external id is only used with a role to assume.")
        if organization and self.cleaned_data.get("role_arn"):
            self.add_error(
                "role_arn",
                "An organization is scanned with the management account's own keys: leave the "
                "role empty and name the members' role below.",
            )
        if organization and not self.cleaned_data.get("member_role_name"):
            self.cleaned_data["member_role_name"] = DEFAULT_MEMBER_ROLE
        return cleaned

    def credentials(self) -> AwsCredentials:
        data = self.cleaned_data
        return AwsCredentials(
            access_key_id=data["access_key_id"],
            secret_access_key=data["secret_access_key"],
            session_token=data["session_token"],
            role_arn=data["role_arn"],
            external_id=data["external_id"],
        )


class ScanFilterForm(forms.Form):
    status = forms.ChoiceField(required=False, choices=[("", "Any status"), *Scan.Status.choices])
    account = forms.ChoiceField(required=False, label="Account")
    source = forms.ChoiceField(required=False, choices=[("", "Any source"), *Scan.Source.choices])

    def __init__(self, *args, accounts: list[tuple[str, str]], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["account"].choices = [("", "Any account"), *accounts]

    def filters(self) -> dict[str, str]:
        data = self.cleaned_data if self.is_valid() else {}
        return {
            "status": data.get("status", ""),
            "account_hash": data.get("account", ""),
            "source": data.get("source", ""),
        }


# A week: anything rarer is better left to a person pressing "Scan now".
MAX_EVERY_HOURS = 168


class SavedAccountForm(forms.ModelForm):
    """An account's configuration. The external id is shown whole here: only operators reach
    this form (every other page masks it)."""

    role_arn = role_arn_field(required=True)
    external_id = external_id_field()
    regions = RegionListField(
        required=False,
        choices=region_choices,
        widget=RegionCheckboxes,
        help_text="Leave every box empty to scan each region the account has enabled.",
    )
    daily_at = forms.TimeField(
        label="Daily at (UTC)", required=False, widget=forms.TimeInput(attrs={"type": "time"})
    )
    every_hours = forms.IntegerField(
        label="Every N hours", required=False, min_value=1, max_value=MAX_EVERY_HOURS
    )
    jitter_minutes = forms.IntegerField(
        label="Jitter (minutes)",
        min_value=0,
        max_value=120,
        initial=0,
        help_text="Each run starts at a fixed offset of up to this much after its time.",
    )

    class Meta:
        model = SavedAccount
        fields = [
            "label",
            "role_arn",
            "external_id",
            "regions",
            "schedule",
            "daily_at",
            "every_hours",
            "jitter_minutes",
            "enabled",
        ]

    def clean(self) -> dict:
        super().clean()
        cleaned = self.cleaned_data
        schedule = cleaned.get("schedule")
        if schedule == SavedAccount.Schedule.DAILY and cleaned.get("daily_at") is None:
            self.add_error("daily_at", "A daily schedule needs its time (UTC).")
        if schedule == SavedAccount.Schedule.INTERVAL:
            hours = cleaned.get("every_hours")
            if hours is None:
                self.add_error("every_hours", "Say how many hours apart the scans run.")
            elif (cleaned.get("jitter_minutes") or 0) >= hours * 60:
                self.add_error("jitter_minutes", "The jitter must be shorter than the interval.")
        return cleaned

    def account_fields(self) -> dict:
        """The cleaned fields, the ones the schedule does not use emptied."""
        fields = {name: self.cleaned_data[name] for name in self.Meta.fields}
        if fields["schedule"] != SavedAccount.Schedule.DAILY:
            fields["daily_at"] = None
        if fields["schedule"] != SavedAccount.Schedule.INTERVAL:
            fields["every_hours"] = None
        return fields
