from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations, models


class PostgreSQLOnly(migrations.RunSQL):
    """SQL that only PostgreSQL has; the embedded SQLite database goes without it."""

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_backwards(app_label, schema_editor, from_state, to_state)


class TrigramOnPostgreSQL(TrigramExtension):
    """pg_trgm; Django's operation skips other databases going forwards, not backwards."""

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_backwards(app_label, schema_editor, from_state, to_state)


class Migration(migrations.Migration):
    dependencies = [
        ("findings", "0008_finding_tallies"),
        ("scans", "0006_scan_timings_and_finding_counts"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="finding",
            index=models.Index(
                fields=["scan", "status", "resource_hash", "resource_type", "region", "severity"],
                name="finding_resource_order",
            ),
        ),
        # A title search of a scan without tallies (a running one) reads the rows whose title
        # matches, not every row: the index is on the expression `icontains` compares.
        TrigramOnPostgreSQL(),
        PostgreSQLOnly(
            sql=(
                "CREATE INDEX finding_title_trigram ON findings_finding "
                "USING gin ((UPPER(title::text)) gin_trgm_ops)"
            ),
            reverse_sql="DROP INDEX finding_title_trigram",
        ),
        # Findings arrive a scan at a time and are never updated: vacuum after every 20,000
        # new rows (not after 20% of the table) so the visibility map soon lets the resource
        # view and the counts read the indexes alone.
        PostgreSQLOnly(
            sql=(
                "ALTER TABLE findings_finding SET (autovacuum_vacuum_insert_threshold = 20000, "
                "autovacuum_vacuum_insert_scale_factor = 0)"
            ),
            reverse_sql=(
                "ALTER TABLE findings_finding RESET (autovacuum_vacuum_insert_threshold, "
                "autovacuum_vacuum_insert_scale_factor)"
            ),
        ),
    ]
