"""The audit log is append-only: the database itself refuses to change a written event."""

from django.db import migrations

SQLITE = [
    """
    CREATE TRIGGER directory_auditevent_append_only
    BEFORE UPDATE ON directory_auditevent
    BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END;
    """,
]
SQLITE_REVERSE = ["DROP TRIGGER IF EXISTS directory_auditevent_append_only;"]

POSTGRESQL = [
    """
    CREATE FUNCTION directory_auditevent_refuse_update() RETURNS trigger AS $$
    BEGIN RAISE EXCEPTION 'audit events are append-only'; END;
    $$ LANGUAGE plpgsql;
    """,
    """
    CREATE TRIGGER directory_auditevent_append_only
    BEFORE UPDATE ON directory_auditevent
    FOR EACH ROW EXECUTE FUNCTION directory_auditevent_refuse_update();
    """,
]
POSTGRESQL_REVERSE = [
    "DROP TRIGGER IF EXISTS directory_auditevent_append_only ON directory_auditevent;",
    "DROP FUNCTION IF EXISTS directory_auditevent_refuse_update();",
]


def run(statements_by_vendor):
    def operation(apps, schema_editor):
        for statement in statements_by_vendor.get(schema_editor.connection.vendor, []):
            schema_editor.execute(statement)

    return operation


class Migration(migrations.Migration):
    dependencies = [("directory", "0001_initial")]

    operations = [
        migrations.RunPython(
            run({"sqlite": SQLITE, "postgresql": POSTGRESQL}),
            run({"sqlite": SQLITE_REVERSE, "postgresql": POSTGRESQL_REVERSE}),
        ),
    ]
