"""Trigram indexes for the admin center's user search on PostgreSQL.

The users list and the pickers search by substring (`icontains`), which Django compiles to
`UPPER(column::text) LIKE UPPER('%q%')` on PostgreSQL: a GIN `gin_trgm_ops` index on exactly
that expression answers it. SQLite has no such index (its LIKE scans), so nothing is created
there, and the indexes live in this migration only, not in the model's Meta.
"""

from django.db import migrations

COLUMNS = {
    "user_display_name_trgm": "display_name",
    "user_mail_trgm": "mail",
    "user_upn_trgm": "user_principal_name",
}


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, column in COLUMNS.items():
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {name} ON directory_directoryuser USING gin (UPPER({column}::text) gin_trgm_ops)"
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in COLUMNS:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [
        ("directory", "0008_search_keys_sorted_by_name"),
    ]

    operations = [migrations.RunPython(create, drop)]
