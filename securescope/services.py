"""Installation-level writes: the first admin account, the audit log."""

from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser, Group, Permission
from django.db import transaction

from securescope.models import AuditEvent
from securescope.selectors import superuser_exists


@transaction.atomic
def admin_ensure(*, username: str, password: str) -> AbstractBaseUser | None:
    """Create the first superuser; return None, changing nothing, when one exists already."""
    if superuser_exists():
        return None
    return get_user_model().objects.create_superuser(username=username, password=password)


def audit_record(
    *,
    actor: AbstractBaseUser | AnonymousUser | None,
    action: AuditEvent.Action,
    target: object = "",
    detail: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append one event; `detail` must carry no credential and no raw resource identifier."""
    actor = actor if actor is not None and actor.is_authenticated else None
    return AuditEvent.objects.create(
        actor=actor,
        actor_username=actor.get_username() if actor is not None else "",
        action=action,
        target=str(target),
        detail=detail or {},
    )


# What each team group may do; admins are staff or superusers. Migrations securescope.0002 and
# findings.0010 made these groups; this restores them where a test flushed the database.
TEAM_GROUPS = {
    "viewer": ("findings.view_findings",),
    "operator": (
        "findings.view_findings",
        "scans.start_scan",
        "findings.identify_resource",
        "findings.add_mute",
        "findings.delete_mute",
    ),
}


@transaction.atomic
def team_groups_ensure() -> None:
    for name, permissions in TEAM_GROUPS.items():
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.set(
            Permission.objects.get(content_type__app_label=app, codename=codename)
            for app, codename in (permission.split(".") for permission in permissions)
        )
