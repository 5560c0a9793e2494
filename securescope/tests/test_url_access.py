"""Every route of the URL conf, requested as anonymous, viewer and operator.

A route added without an expectation below fails `test_every_route_has_an_expectation`, so
nobody can ship a page without deciding who may see it.
"""

import re
from datetime import timedelta

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from rules.loading import load_catalog
from rules.models import RuleSetting
from rules.services import rule_settings_sync
from testing.factories import (
    create_finding,
    create_member,
    create_mute,
    create_organization_run,
    create_scan,
    create_user,
)

pytestmark = pytest.mark.django_db

LOGIN = "sign-in"  # 302 to the site's or the admin's sign-in page
ROLES = ("anonymous", "viewer", "operator")

# route name: expected GET outcome for (anonymous, viewer, operator)
EXPECTED = {
    "home": (LOGIN, 200, 200),
    "login": (200, 200, 200),
    "logout": (LOGIN, 405, 405),
    "scans:list": (LOGIN, 200, 200),
    "scans:new": (LOGIN, 403, 200),
    "scans:demo": (LOGIN, 403, 405),
    "scan_pages:detail": (LOGIN, 200, 200),
    "scans:progress": (LOGIN, 200, 200),
    "scan_pages:compliance": (LOGIN, 200, 200),
    "scan_pages:reveal": (LOGIN, 403, 405),
    # Anyone may drop their own session's reveal; it takes a POST.
    "scan_pages:reveal_forget": (LOGIN, 405, 405),
    "scans:cancel": (LOGIN, 403, 405),
    "findings:list": (LOGIN, 200, 200),
    "findings:table": (LOGIN, 200, 200),
    "findings:export": (LOGIN, 200, 200),
    # 410: nothing revealed in this session.
    "findings:export_revealed": (LOGIN, 403, 410),
    "findings:diff": (LOGIN, 200, 200),
    "findings:diff_export": (LOGIN, 200, 200),
    "findings:detail": (LOGIN, 200, 200),
    "findings:identify": (LOGIN, 403, 405),
    "findings:mute": (LOGIN, 403, 405),
    "findings:mutes": (LOGIN, 200, 200),
    # Exposure paths of each account's latest succeeded scan: read-only, like the findings.
    "findings:exposure": (LOGIN, 200, 200),
    # A rule's findings, unfolded by htmx in the grouped view.
    "findings:rule": (LOGIN, 200, 200),
    # Bulk mute or export of ticked rows: a POST.
    "findings:selection": (LOGIN, 405, 405),
    "findings:mute_delete": (LOGIN, 403, 405),
    "findings:severity": (LOGIN, 405, 405),
    "advice:scan": (LOGIN, 200, 200),
    "rules:list": (LOGIN, 200, 200),
    # Organization scans: read-only roll-ups of the member accounts' scans, like the overview.
    "organizations:list": (LOGIN, 200, 200),
    "organizations:detail": (LOGIN, 200, 200),
    "organizations:export": (LOGIN, 200, 200),
    # The API takes a bearer token and no session (findings/api/tests cover each role's token).
    "api_docs": (LOGIN, 200, 200),
    "api_tokens:list": (LOGIN, 200, 200),
    "api_tokens:revoke": (LOGIN, 405, 405),
    "api:openapi-json": (LOGIN, 200, 200),
    "api:api-root": (404, 404, 404),
    "api:scan_create": (401, 401, 401),
    "api:scan_list": (401, 401, 401),
    "api:scan_create_demo": (405, 405, 405),
    "api:scan_get": (401, 401, 401),
    "api:scan_cancel_endpoint": (405, 405, 405),
    "api:scan_findings": (401, 401, 401),
    "api:findings_latest": (401, 401, 401),
    "api:finding_detail": (401, 401, 401),
    "api:scan_export": (401, 401, 401),
    "api:scans_compare": (401, 401, 401),
    "api:mutes": (401, 401, 401),
    "api:mute_add": (401, 401, 401),
    "api:mute_remove": (405, 405, 405),
    "api:rules": (401, 401, 401),
}
# The admin is for staff: every admin route sends team members to the admin's sign-in page.
ADMIN_EXPECTED = (LOGIN, LOGIN, LOGIN)
ADMIN_OPEN = {
    "admin:login": (200, 200, 200),
    # Django's admin logout, for a non-staff user, goes back to the admin (which refuses them).
    "admin:logout": (LOGIN, "302 to /admin/", "302 to /admin/"),
}

# Writes: who may POST. Viewer is refused; operator gets past the permission check.
POST_REFUSED_TO_VIEWER = [
    "scans:new",
    # The operator's post starts a scan of the demo account: a moto server.
    pytest.param("scans:demo", marks=[pytest.mark.moto, pytest.mark.slow]),
    "scans:cancel",
    "scan_pages:reveal",
    "findings:identify",
    "findings:mute",
    "findings:mute_delete",
]


def named_routes(patterns=None, namespace: str = "") -> list[tuple[str, URLPattern]]:
    routes = []
    for entry in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(entry, URLResolver):
            inner = ":".join(part for part in (namespace, entry.namespace) if part)
            routes.extend(named_routes(entry.url_patterns, inner))
        elif entry.name:
            routes.append((f"{namespace}:{entry.name}" if namespace else entry.name, entry))
    return routes


def unnamed_routes(patterns=None, namespace: str = "") -> list[str]:
    found = []
    for entry in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(entry, URLResolver):
            found.extend(unnamed_routes(entry.url_patterns, entry.namespace or namespace))
        elif not entry.name and namespace != "admin":
            found.append(str(entry.pattern))
    return found


@pytest.fixture
def world():
    earlier = create_scan(created_at=timezone.now() - timedelta(days=1), finished_at=timezone.now())
    run = create_organization_run()
    scan = create_scan(finished_at=timezone.now(), organization_run=run)
    create_finding(earlier)
    finding = create_finding(scan)
    operator = create_member(username="olga", group="operator")
    mute = create_mute(
        account_hash=scan.account_hash,
        account_label=scan.account_label,
        rule_id=finding.rule_id,
        owner=operator,
    )
    return {
        "scan_id": scan.id,
        "finding_id": finding.id,
        "rule_id": finding.rule_id,
        "mute_id": mute.id,
        "token_id": "1",
        "base_id": earlier.id,
        "head_id": scan.id,
        "run_id": run.id,
        "export_format": "csv",
        "object_id": "1",
        "id": "1",
        "app_label": "scans",
        "content_type_id": "1",
        "operator": operator,
        "viewer": create_member(username="vera", group="viewer"),
    }


def url_for(name: str, pattern: URLPattern, world: dict) -> str:
    regex = pattern.pattern.regex
    kwargs = {parameter: world[parameter] for parameter in regex.groupindex}
    return reverse(name, kwargs=kwargs)


def expected_for(name: str) -> tuple:
    if name in EXPECTED:
        return EXPECTED[name]
    if name in ADMIN_OPEN:
        return ADMIN_OPEN[name]
    if name.startswith("admin:"):
        return ADMIN_EXPECTED
    raise AssertionError(f"route {name!r} has no access expectation in {__name__}")


def outcome(response) -> object:
    if response.status_code == 302:
        if response.url.startswith((reverse("admin:login"), reverse("login"))):
            return LOGIN
        return f"302 to {response.url}"
    return response.status_code


def test_every_route_has_an_expectation():
    missing = [name for name, _ in named_routes() if not name.startswith("admin:")]
    assert sorted(set(missing) - set(EXPECTED)) == []
    assert sorted(set(EXPECTED) - set(missing)) == [], "expectations for routes that are gone"
    assert unnamed_routes() == [], "every route outside the admin needs a name to be checked"


@pytest.mark.slow
def test_every_route_answers_each_role_as_expected(client, world):
    failures = []
    for name, pattern in named_routes():
        url = url_for(name, pattern, world)
        for role, expected in zip(ROLES, expected_for(name), strict=True):
            client.logout()
            if role != "anonymous":
                client.force_login(world[role])
            got = outcome(client.get(url))
            if got != expected:
                failures.append(f"{role} GET {url} ({name}): {got}, expected {expected}")
    assert not failures, "\n".join(failures)


@pytest.mark.slow
def test_a_user_in_no_group_is_refused_everywhere(client, world):
    """Signed in but given no role: every page, partial and export a viewer reads says 403."""
    client.force_login(create_user(username="nobody", can_scan=False, can_view=False))
    failures = []
    for name, pattern in named_routes():
        if name.startswith("admin:") or name == "login":
            continue
        viewer = expected_for(name)[1]
        got = outcome(client.get(url_for(name, pattern, world)))
        if got == 200 or (viewer == 200 and got != 403):
            failures.append(f"GET {name}: {got}, expected 403")
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("name", POST_REFUSED_TO_VIEWER)
def test_viewer_may_not_post_and_operator_gets_past_the_permission_check(client, world, name):
    pattern = dict(named_routes())[name]
    url = url_for(name, pattern, world)
    client.force_login(world["viewer"])
    assert client.post(url, {}).status_code == 403
    client.force_login(world["operator"])
    assert client.post(url, {}).status_code != 403


def test_operator_cannot_toggle_rules(client, world):
    rule_settings_sync(catalog=load_catalog())
    setting = RuleSetting.objects.get(rule_id="IAM_ROOT_MFA")
    client.force_login(world["operator"])
    response = client.post(
        reverse("admin:rules_rulesetting_changelist"),
        {"action": "disable_rules", "_selected_action": [setting.pk]},
    )
    assert outcome(response) == LOGIN
    setting.refresh_from_db()
    assert setting.enabled


def test_route_names_are_checked_by_pattern_not_by_hand():
    # Guards the walker itself: it must see the admin and every app's routes.
    names = {name for name, _ in named_routes()}
    assert {"admin:index", "scans:list", "findings:list", "home"} <= names
    # django-ninja names its schema and root routes with a hyphen (api:openapi-json).
    assert all(re.match(r"^[\w:-]+$", name) for name in names)
