"""Reading is a permission of its own (`view_findings`), given to the viewer and operator groups:
a signed-in user in no group reads nothing."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

READERS = ["viewer", "operator"]


def grant_to_readers(apps, schema_editor):
    # Permissions are normally created after all migrations ran; this one is needed now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    permission = apps.get_model("auth", "Permission").objects.get(
        content_type__app_label="findings", codename="view_findings"
    )
    for group in Group.objects.filter(name__in=READERS):
        group.permissions.add(permission)


class Migration(migrations.Migration):
    dependencies = [
        ("findings", "0009_resource_order_and_title_search"),
        ("securescope", "0002_team_groups"),
    ]

    operations = [
        migrations.AlterModelOptions(
            name="finding",
            options={
                "ordering": ["rule_id", "region", "resource_type", "resource_hash"],
                "permissions": [
                    ("view_findings", "Can read scans, findings, reports and exports"),
                    ("identify_resource", "Can reveal which resource a finding is about"),
                    ("view_identifiers", "Can see resource names and ARNs stored encrypted"),
                ],
            },
        ),
        migrations.RunPython(grant_to_readers, migrations.RunPython.noop),
    ]
