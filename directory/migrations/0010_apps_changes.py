"""The apps version: triggers record every change to what My Apps pages show (see AppsChange).

PostgreSQL's triggers run once per statement (a bulk insert of 5,000 members is one change) and
insert the writing transaction's own row, so no writer waits on another; SQLite's run per row and
give the tenant's one row a new random tag. An application's tenant, and an assignment's
application or a member's group, never change, so updates are recorded for the new row only.
"""

import django.db.models.deletion
from django.db import migrations, models

from accessportal.migration_sql import run_sql_per_vendor

# Table → how a changed row (in the trigger's transition table `changed_rows`, or NEW/OLD) finds its tenant.
TENANT_OF = {
    "directory_application": ("", "{row}.tenant_id"),
    "directory_approleassignment": ("directory_application", "{row}.application_id"),
    "directory_groupmember": ("directory_group", "{row}.group_id"),
    "directory_groupowner": ("directory_group", "{row}.group_id"),
}
EVENTS = {"insert": "NEW", "update": "NEW", "delete": "OLD"}

POSTGRESQL = [
    """
    CREATE FUNCTION directory_apps_changed(tenants uuid[]) RETURNS void LANGUAGE plpgsql AS $$
    DECLARE
        me bigint := pg_current_xact_id()::text::bigint;
        changed uuid;
    BEGIN
        FOREACH changed IN ARRAY tenants LOOP
            -- A new tag for each statement, XORed into the transaction's row (which may hold merged
            -- tags): a page read inside the transaction between two changes isn't kept past the second.
            INSERT INTO directory_appschange AS own (tenant_id, transaction_id, tag)
            VALUES (changed, me, (random() * 9007199254740991)::bigint)
            ON CONFLICT (tenant_id, transaction_id) DO UPDATE SET tag = own.tag # excluded.tag;
            -- Merge the committed rows into this transaction's own, keeping their XOR; rows another
            -- merge holds are left to it, so this never waits.
            IF (SELECT count(*) FROM directory_appschange WHERE tenant_id = changed) > 32 THEN
                WITH merged AS (
                    DELETE FROM directory_appschange WHERE id IN (
                        SELECT id FROM directory_appschange
                        WHERE tenant_id = changed AND transaction_id <> me
                        FOR UPDATE SKIP LOCKED
                    ) RETURNING tag
                )
                UPDATE directory_appschange
                SET tag = directory_appschange.tag # coalesce((SELECT bit_xor(merged.tag) FROM merged), 0)
                WHERE tenant_id = changed AND transaction_id = me;
            END IF;
        END LOOP;
    END $$;
    """,
    """
    CREATE FUNCTION directory_tenant_forget_apps_changes() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        DELETE FROM directory_appschange WHERE tenant_id IN (SELECT id FROM changed_rows);
        RETURN NULL;
    END $$;
    """,
    """
    CREATE TRIGGER directory_tenant_forget_apps_changes AFTER DELETE ON directory_tenant
    REFERENCING OLD TABLE AS changed_rows
    FOR EACH STATEMENT EXECUTE FUNCTION directory_tenant_forget_apps_changes();
    """,
]
POSTGRESQL_REVERSE = [
    "DROP TRIGGER IF EXISTS directory_tenant_forget_apps_changes ON directory_tenant;",
    "DROP FUNCTION IF EXISTS directory_tenant_forget_apps_changes();",
]
SQLITE = [
    """
    CREATE TRIGGER directory_tenant_forget_apps_changes AFTER DELETE ON directory_tenant
    BEGIN DELETE FROM directory_appschange WHERE tenant_id = OLD.id; END;
    """,
]
SQLITE_REVERSE = ["DROP TRIGGER IF EXISTS directory_tenant_forget_apps_changes;"]

for table, (parent, key) in TENANT_OF.items():
    pg_tenants = (
        f"SELECT DISTINCT p.tenant_id FROM changed_rows c JOIN {parent} p ON p.id = {key.format(row='c')}"
        if parent
        else "SELECT DISTINCT tenant_id FROM changed_rows"
    )
    POSTGRESQL.append(
        f"""
        CREATE FUNCTION {table}_apps_changed() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            PERFORM directory_apps_changed(ARRAY({pg_tenants}));
            RETURN NULL;
        END $$;
        """
    )
    POSTGRESQL_REVERSE.append(f"DROP FUNCTION IF EXISTS {table}_apps_changed();")
    for event, row in EVENTS.items():
        trigger = f"{table}_apps_changed_{event}"
        POSTGRESQL.append(
            f"""
            CREATE TRIGGER {trigger} AFTER {event.upper()} ON {table}
            REFERENCING {row} TABLE AS changed_rows
            FOR EACH STATEMENT EXECUTE FUNCTION {table}_apps_changed();
            """
        )
        POSTGRESQL_REVERSE.insert(0, f"DROP TRIGGER IF EXISTS {trigger} ON {table};")
        sqlite_tenant = (
            f"SELECT tenant_id, 0, random() FROM {parent} WHERE id = {key.format(row=row)}"
            if parent
            else f"SELECT {key.format(row=row)}, 0, random() WHERE true"
        )
        SQLITE.append(
            f"""
            CREATE TRIGGER {trigger} AFTER {event.upper()} ON {table}
            BEGIN
                INSERT INTO directory_appschange (tenant_id, transaction_id, tag) {sqlite_tenant}
                ON CONFLICT (tenant_id, transaction_id) DO UPDATE SET tag = excluded.tag;
            END;
            """
        )
        SQLITE_REVERSE.append(f"DROP TRIGGER IF EXISTS {trigger};")
POSTGRESQL_REVERSE.append("DROP FUNCTION IF EXISTS directory_apps_changed(uuid[]);")


class Migration(migrations.Migration):
    dependencies = [
        ("directory", "0009_user_search_trigram_indexes"),
    ]

    operations = [
        migrations.CreateModel(
            name="AppsChange",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("transaction_id", models.BigIntegerField()),
                ("tag", models.BigIntegerField()),
                (
                    "tenant",
                    models.ForeignKey(
                        db_constraint=False,
                        db_index=False,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to="directory.tenant",
                    ),
                ),
            ],
            options={
                "constraints": [
                    models.UniqueConstraint(fields=("tenant", "transaction_id"), name="apps_change_one_per_transaction")
                ],
            },
        ),
        run_sql_per_vendor(
            sqlite=SQLITE, postgresql=POSTGRESQL, sqlite_reverse=SQLITE_REVERSE, postgresql_reverse=POSTGRESQL_REVERSE
        ),
    ]
