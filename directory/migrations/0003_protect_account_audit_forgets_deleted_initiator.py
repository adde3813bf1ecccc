"""An account is protected while directory users use it; the audit log lets a deleted initiator go.

Deleting a directory user sets `initiated_by_user` to NULL on the events it initiated
(ON DELETE SET NULL, done by Django with an UPDATE). The append-only trigger refused that
UPDATE, so nobody who had ever done anything could be deleted. The trigger now allows
exactly that one change (the initiator's name stays in `initiated_by`) and still refuses
every other. PostgreSQL raises an integrity error so both databases fail the same way.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

from accessportal.migration_sql import run_sql_per_vendor

# Every column except initiated_by_user_id: a new column must be added here too.
_UNCHANGED = " AND ".join(
    f"NEW.{column} IS OLD.{column}"
    for column in (
        "id",
        "tenant_id",
        "activity_date_time",
        "category",
        "activity",
        "result",
        "result_reason",
        "initiated_by",
        "target_type",
        "target_id",
        "target",
        "details",
    )
)

SQLITE = [
    "DROP TRIGGER IF EXISTS directory_auditevent_append_only;",
    f"""
    CREATE TRIGGER directory_auditevent_append_only
    BEFORE UPDATE ON directory_auditevent
    WHEN NOT (NEW.initiated_by_user_id IS NULL AND {_UNCHANGED})
    BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END;
    """,
]
SQLITE_REVERSE = [
    "DROP TRIGGER IF EXISTS directory_auditevent_append_only;",
    """
    CREATE TRIGGER directory_auditevent_append_only
    BEFORE UPDATE ON directory_auditevent
    BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END;
    """,
]

POSTGRESQL = [
    """
    CREATE OR REPLACE FUNCTION directory_auditevent_refuse_update() RETURNS trigger AS $$
    BEGIN
        IF NEW.initiated_by_user_id IS NULL
           AND (to_jsonb(NEW) - 'initiated_by_user_id') = (to_jsonb(OLD) - 'initiated_by_user_id') THEN
            RETURN NEW;
        END IF;
        RAISE EXCEPTION 'audit events are append-only' USING ERRCODE = 'integrity_constraint_violation';
    END;
    $$ LANGUAGE plpgsql;
    """,
]
POSTGRESQL_REVERSE = [
    """
    CREATE OR REPLACE FUNCTION directory_auditevent_refuse_update() RETURNS trigger AS $$
    BEGIN RAISE EXCEPTION 'audit events are append-only'; END;
    $$ LANGUAGE plpgsql;
    """,
]


class Migration(migrations.Migration):
    dependencies = [
        ("directory", "0002_audit_append_only"),
    ]

    operations = [
        migrations.AlterField(
            model_name="directoryuser",
            name="account",
            field=models.ForeignKey(
                blank=True,
                help_text="The sign-in account linked to this user. Empty for a guest until redemption.",
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="directory_users",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        run_sql_per_vendor(
            sqlite=SQLITE, postgresql=POSTGRESQL, sqlite_reverse=SQLITE_REVERSE, postgresql_reverse=POSTGRESQL_REVERSE
        ),
    ]
