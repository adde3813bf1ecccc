"""The database cache table (rate limits), so `migrate` alone sets up a fresh database."""

from django.core.management import call_command
from django.db import migrations


def create_cache_table(apps, schema_editor):
    # Creates the table of every DatabaseCache in CACHES (none when REDIS_URL is set); idempotent.
    call_command("createcachetable", database=schema_editor.connection.alias, verbosity=0)


class Migration(migrations.Migration):
    dependencies = [("invitations", "0002_inviter_email_blank_for_apps")]

    operations = [migrations.RunPython(create_cache_table, migrations.RunPython.noop)]
