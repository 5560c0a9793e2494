"""Saved accounts' pages: who may do what, what each one sees (masked), Test connection and
Scan now."""

import pytest
from django.urls import reverse
from django_q.models import Schedule

from scans.lifecycle.schedules import schedule_name
from scans.models import SavedAccount, Scan
from testing.factories import MEMBER_ROLE_ARN, create_member, create_saved_account

pytestmark = pytest.mark.django_db

# What only the edit form may show whole: the account id, the role's name, the external id.
CONFIGURATION = ("111122223333", "SecureScopeAudit", "Partner-External-42")


@pytest.fixture
def operator(client):
    user = create_member(username="olga", group="operator")
    client.force_login(user)
    return user


@pytest.fixture
def viewer(client):
    user = create_member(username="vera", group="viewer")
    client.force_login(user)
    return user


def test_a_viewer_reads_accounts_masked(client, viewer):
    account = create_saved_account()
    pages = [
        client.get(reverse("scans:account_list")),
        client.get(reverse("scans:account_detail", args=[account.pk])),
    ]
    for page in pages:
        assert page.status_code == 200
        body = page.content.decode()
        assert "****3333" in body
        for value in CONFIGURATION:
            assert value not in body
        assert "Test connection" not in body
        assert "Scan now" not in body


def test_a_viewer_may_not_change_test_or_scan(client, viewer):
    account = create_saved_account()
    assert client.get(reverse("scans:account_new")).status_code == 403
    assert client.get(reverse("scans:account_edit", args=[account.pk])).status_code == 403
    for name in ("account_test", "account_scan", "account_edit"):
        assert client.post(reverse(f"scans:{name}", args=[account.pk])).status_code == 403
    assert Scan.objects.count() == 0


def test_the_operators_edit_form_shows_the_configuration_whole(client, operator):
    account = create_saved_account()
    body = client.get(reverse("scans:account_edit", args=[account.pk])).content.decode()
    assert MEMBER_ROLE_ARN in body
    assert "Partner-External-42" in body
    detail = client.get(reverse("scans:account_detail", args=[account.pk])).content.decode()
    for value in CONFIGURATION:
        assert value not in detail


def test_an_operator_adds_a_scheduled_account(client, operator):
    response = client.post(
        reverse("scans:account_new"),
        {
            "label": "Payments",
            "role_arn": MEMBER_ROLE_ARN,
            "external_id": "Partner-External-42",
            "regions": ["eu-west-1", "us-east-1"],
            "schedule": SavedAccount.Schedule.DAILY,
            "daily_at": "03:30",
            "every_hours": "6",  # not used by a daily schedule: not kept
            "jitter_minutes": "15",
            "enabled": "on",
        },
    )
    account = SavedAccount.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("scans:account_detail", args=[account.pk])
    assert (account.label, account.every_hours, account.created_by) == ("Payments", None, operator)
    assert account.regions == ["eu-west-1", "us-east-1"]
    assert Schedule.objects.filter(name=schedule_name(account.pk)).exists()
    detail = client.get(response.url).content.decode()
    assert "daily at 03:30 UTC" in detail
    assert "next run" in detail


@pytest.mark.parametrize(
    ("fields", "field", "error"),
    [
        ({"schedule": "daily"}, "daily_at", "needs its time"),
        ({"schedule": "interval"}, "every_hours", "how many hours"),
        (
            {"schedule": "interval", "every_hours": "1", "jitter_minutes": "60"},
            "jitter_minutes",
            "shorter than the interval",
        ),
        ({"role_arn": "arn:aws:iam::1111:role/x"}, "role_arn", "looks like"),
    ],
)
def test_a_bad_schedule_or_role_is_refused(client, operator, fields, field, error):
    data = {"label": "x", "role_arn": MEMBER_ROLE_ARN, "schedule": "none", "jitter_minutes": "0"}
    response = client.post(reverse("scans:account_new"), {**data, **fields})
    assert response.status_code == 200
    assert error in " ".join(response.context["form"].errors[field])
    assert SavedAccount.objects.count() == 0


def test_test_connection_shows_the_masked_account(client, operator, aws, ambient_base_identity):
    account = create_saved_account()
    response = client.post(reverse("scans:account_test", args=[account.pk]))
    assert response.status_code == 200
    body = response.content.decode()
    assert "Connected" in body
    assert "****3333" in body
    for value in CONFIGURATION:
        assert value not in body


def test_test_connection_without_a_base_identity_says_so(client, operator):
    account = create_saved_account()
    response = client.post(reverse("scans:account_test", args=[account.pk]))
    assert response.status_code == 200
    assert "SCANNER_BASE_IDENTITY=ambient" in response.content.decode()
    assert "Traceback" not in response.content.decode()


def test_scan_now_starts_a_scan_that_links_back(client, operator, aws, ambient_base_identity):
    account = create_saved_account()
    response = client.post(reverse("scans:account_scan", args=[account.pk]))
    scan = Scan.objects.get()
    assert response.url == reverse("scan_pages:detail", args=[scan.id])
    assert scan.saved_account == account
    page = client.get(response.url).content.decode()
    assert reverse("scans:account_detail", args=[account.pk]) in page
    # Again while it runs: refused, with the reason on the account's page.
    again = client.post(reverse("scans:account_scan", args=[account.pk]), follow=True)
    assert "still running" in again.content.decode()
    assert Scan.objects.count() == 1


def test_the_list_reads_each_accounts_last_scan_in_one_query(
    client, viewer, django_assert_num_queries
):
    for number in range(5):
        account = create_saved_account(label=f"account {number}")
        Scan.objects.create(saved_account=account, account_hash="a" * 64, account_label="****3333")
    # Session, user, permissions (user's and groups'), the accounts.
    with django_assert_num_queries(5):
        response = client.get(reverse("scans:account_list"))
    assert response.content.decode().count('class="status pending"') == 5
