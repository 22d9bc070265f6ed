"""On PostgreSQL, the database itself refuses overlapping windows of one logger (RULES.md §1).
SQLite has no exclusion constraints; there the service's check is the guard."""

from django.db import migrations

CREATE = """
CREATE EXTENSION IF NOT EXISTS btree_gist;
ALTER TABLE shipments_loggerassignment ADD CONSTRAINT assignment_windows_disjoint
    EXCLUDE USING gist (logger_id WITH =, tstzrange(assigned_at, released_at, '[)') WITH &&);
"""
DROP = "ALTER TABLE shipments_loggerassignment DROP CONSTRAINT IF EXISTS assignment_windows_disjoint;"


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("shipments", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]
