"""The sign-in log is append-only: the database itself refuses to change a written event.

Deletes stay possible: the retention cleanup removes old events, and a deleted tenant takes
its events with it.
"""

from django.db import migrations

from accessportal.migration_sql import run_sql_per_vendor

SQLITE = [
    """
    CREATE TRIGGER signin_signinevent_append_only
    BEFORE UPDATE ON signin_signinevent
    BEGIN SELECT RAISE(ABORT, 'sign-in events are append-only'); END;
    """,
]
SQLITE_REVERSE = ["DROP TRIGGER IF EXISTS signin_signinevent_append_only;"]

POSTGRESQL = [
    """
    CREATE FUNCTION signin_signinevent_refuse_update() RETURNS trigger AS $$
    BEGIN
        RAISE EXCEPTION 'sign-in events are append-only' USING ERRCODE = 'integrity_constraint_violation';
    END;
    $$ LANGUAGE plpgsql;
    """,
    """
    CREATE TRIGGER signin_signinevent_append_only
    BEFORE UPDATE ON signin_signinevent
    FOR EACH ROW EXECUTE FUNCTION signin_signinevent_refuse_update();
    """,
]
POSTGRESQL_REVERSE = [
    "DROP TRIGGER IF EXISTS signin_signinevent_append_only ON signin_signinevent;",
    "DROP FUNCTION IF EXISTS signin_signinevent_refuse_update();",
]


class Migration(migrations.Migration):
    dependencies = [("signin", "0001_initial")]

    operations = [
        run_sql_per_vendor(
            sqlite=SQLITE, postgresql=POSTGRESQL, sqlite_reverse=SQLITE_REVERSE, postgresql_reverse=POSTGRESQL_REVERSE
        ),
    ]
