"""Audit events keep their actor's username, so the trail survives the account."""

from django.db import migrations, models


def copy_usernames(apps, schema_editor):
    AuditEvent = apps.get_model("securescope", "AuditEvent")
    for event in AuditEvent.objects.filter(actor__isnull=False).select_related("actor"):
        event.actor_username = event.actor.username
        event.save(update_fields=["actor_username"])


class Migration(migrations.Migration):
    dependencies = [("securescope", "0004_api_audit_actions")]

    operations = [
        migrations.AddField(
            model_name="auditevent",
            name="actor_username",
            field=models.CharField(blank=True, max_length=150),
        ),
        migrations.RunPython(copy_usernames, migrations.RunPython.noop),
    ]
