"""Starting an organization scan from the New scan form."""

import pytest
from django.urls import reverse

from scans.lifecycle.organizations import organization_members_start
from scans.lifecycle.services import scan_wait
from scans.models import OrganizationRun, Scan
from scans.web.forms import ScanForm
from securescope import executor
from securescope.privacy import account_label
from testing.factories import create_user
from testing.organizations import moto_organization, organization_started

pytestmark = pytest.mark.django_db(transaction=True)
# Keys of the form's shape, for the requests that fail before any AWS call.
KEYS = {
    "access_key_id": "AKIAIOSFODNN7EXAMPLE",
    "secret_access_key": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
}


def test_the_whole_organization_is_scanned_and_its_page_follows(client, aws, monkeypatch):
    organization = moto_organization(monkeypatch)
    user = create_user()
    client.force_login(user)
    response = client.post(
        reverse("scans:new"),
        {
            **organization.keys,
            "organization": "on",
            "member_role_name": "OrganizationAccountAccessRole",
            "external_id": "org-external-id",
            "regions": ["eu-west-1"],
        },
    )
    assert response.status_code == 302
    run = organization_started(run_id=OrganizationRun.objects.get().id)
    assert response.url == reverse("organizations:detail", args=[run.id])
    scans = [scan_wait(scan_id=scan.id, timeout=120) for scan in run.scans.all()]
    assert len(scans) == 1 + len(organization.members)
    assert {scan.status for scan in scans} == {Scan.Status.SUCCEEDED}
    assert run.created_by == user
    assert {scan.created_by_id for scan in scans} == {user.pk}
    html = client.get(response.url).content.decode()
    assert all(account_label(refused) in html for refused in organization.refused)
    assert "Starting scans of the organization&#x27;s 4 accounts." in html


def test_the_run_page_shows_the_starts_progress_until_every_member_is_started(
    client, aws, monkeypatch, settings
):
    organization = moto_organization(monkeypatch)
    monkeypatch.setitem(executor.EXECUTORS, "record", lambda task, calls, cluster: None)
    settings.SCAN_EXECUTOR = "record"
    client.force_login(create_user())
    response = client.post(
        reverse("scans:new"),
        {**organization.keys, "organization": "on", "regions": ["eu-west-1"]},
    )
    run = OrganizationRun.objects.get()
    page = client.get(response.url).content.decode()
    assert "Starting 0 of 4 accounts" in page
    assert 'hx-trigger="every 5s"' in page
    organization_members_start(run_id=run.id, executor="record")
    page = client.get(response.url).content.decode()
    assert "Starting" not in page
    assert account_label(organization.members[0]) in page


def test_keys_outside_an_organization_get_a_form_error_and_store_nothing(client, aws):
    client.force_login(create_user())
    response = client.post(
        reverse("scans:new"),
        {
            **KEYS,
            "organization": "on",
            "regions": ["eu-west-1"],
        },
    )
    assert response.status_code == 200
    assert "part of an organization" in response.content.decode()
    assert not OrganizationRun.objects.exists()
    assert not Scan.objects.exists()


@pytest.mark.parametrize(
    ("extra", "field", "message"),
    [
        ({"role_arn": "arn:aws:iam::123456789012:role/x"}, "role_arn", "management account"),
        ({"member_role_name": "path/role"}, "member_role_name", "role name"),
    ],
)
def test_organization_options_are_validated(client, extra, field, message):
    client.force_login(create_user())
    response = client.post(
        reverse("scans:new"),
        {
            **KEYS,
            "organization": "on",
            **extra,
        },
    )
    assert message in " ".join(response.context["form"].errors[field])


def test_an_external_id_goes_with_the_organization_without_a_role_arn():

    form = ScanForm(
        {
            **KEYS,
            "organization": "on",
            "external_id": "org-external-id",
        }
    )
    assert form.is_valid(), form.errors
    assert form.cleaned_data["member_role_name"] == "OrganizationAccountAccessRole"
