"""The audit log is append-only: the database itself refuses to change a written event."""

from django.db import migrations

from accessportal.migration_sql import run_sql_per_vendor

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


class Migration(migrations.Migration):
    dependencies = [("directory", "0001_initial")]

    operations = [
        run_sql_per_vendor(
            sqlite=SQLITE, postgresql=POSTGRESQL, sqlite_reverse=SQLITE_REVERSE, postgresql_reverse=POSTGRESQL_REVERSE
        ),
    ]
