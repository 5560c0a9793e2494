"""The team's groups: "viewer" reads everything; "operator" also starts scans, identifies
resources and mutes findings. Admins are staff or superusers (rules, users, audit log)."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

GROUPS = {
    "viewer": [],
    "operator": [
        ("scans", "start_scan"),
        ("findings", "identify_resource"),
        ("findings", "add_mute"),
        ("findings", "delete_mute"),
    ],
}


def create_groups(apps, schema_editor):
    # Permissions are normally created after all migrations ran; these need them now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, codenames in GROUPS.items():
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.add(
            *(
                Permission.objects.get(content_type__app_label=app, codename=codename)
                for app, codename in codenames
            )
        )


def remove_groups(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=GROUPS).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("securescope", "0001_audit_log"),
        ("findings", "0003_mutes_and_identify_permission"),
        ("scans", "0004_demo_source"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_groups, remove_groups)]
