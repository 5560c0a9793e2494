"""The migration creates the team groups with exactly the permissions the portal documents."""

import pytest
from django.contrib.auth.models import Group

from securescope.services import TEAM_GROUPS

pytestmark = pytest.mark.django_db


def test_migration_created_viewer_and_operator_groups():
    for name, permissions in TEAM_GROUPS.items():
        group = Group.objects.get(name=name)
        granted = {
            f"{app}.{codename}"
            for app, codename in group.permissions.values_list(
                "content_type__app_label", "codename"
            )
        }
        assert granted == set(permissions), name
