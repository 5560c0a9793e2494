"""Counting a scan's findings by rule, region, status and severity reads one index: the tallies
when a scan closes, and the pages of a scan that runs (it has no tallies yet)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("findings", "0011_finding_is_new"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="finding",
            index=models.Index(
                fields=["scan", "rule_id", "region", "status", "severity", "id", "fingerprint"],
                name="finding_tally_order",
            ),
        ),
    ]
