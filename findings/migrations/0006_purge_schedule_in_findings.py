from django.db import migrations

OLD = "scans.tasks.purge_expired_scans"
NEW = "findings.tasks.purge_expired_scans"


def point_at(func_from: str, func_to: str):
    def forwards(apps, schema_editor):
        Schedule = apps.get_model("django_q", "Schedule")
        Schedule.objects.filter(func=func_from).update(func=func_to)

    return forwards


class Migration(migrations.Migration):
    """The retention purge deletes findings, so its task lives in the findings app."""

    dependencies = [
        ("findings", "0005_findings_in_severity_order"),
        ("scans", "0005_cancelled_and_housekeeping"),
    ]

    operations = [migrations.RunPython(point_at(OLD, NEW), point_at(NEW, OLD))]
