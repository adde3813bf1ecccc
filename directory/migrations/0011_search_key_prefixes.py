"""The search keys' first one, two and three characters, indexed with the name: a short search reads in name order."""

from django.db import migrations, models
from django.db.models.functions import Substr


def copy_prefixes(apps, schema_editor):
    UserSearchTerm = apps.get_model("directory", "UserSearchTerm")
    UserSearchTerm.objects.update(
        prefix1=Substr("term", 1, 1), prefix2=Substr("term", 1, 2), prefix3=Substr("term", 1, 3)
    )


class Migration(migrations.Migration):
    dependencies = [
        ("directory", "0010_apps_changes"),
    ]

    operations = [
        migrations.AddField(
            model_name="usersearchterm",
            name="prefix1",
            field=models.CharField(default="", max_length=1),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="usersearchterm",
            name="prefix2",
            field=models.CharField(default="", max_length=2),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="usersearchterm",
            name="prefix3",
            field=models.CharField(default="", max_length=3),
            preserve_default=False,
        ),
        migrations.RunPython(copy_prefixes, migrations.RunPython.noop),
        migrations.RemoveIndex(model_name="usersearchterm", name="user_search_term_covering"),
        migrations.AddIndex(
            model_name="usersearchterm",
            index=models.Index(
                fields=["tenant", "term", "display_name", "user", "prefix3"],
                name="user_search_term_covering",
                opclasses=["uuid_ops", "text_pattern_ops", "text_ops", "uuid_ops", "text_ops"],
            ),
        ),
        migrations.AddIndex(
            model_name="usersearchterm",
            index=models.Index(fields=["tenant", "prefix1", "display_name", "user"], name="user_search_term_prefix1"),
        ),
        migrations.AddIndex(
            model_name="usersearchterm",
            index=models.Index(fields=["tenant", "prefix2", "display_name", "user"], name="user_search_term_prefix2"),
        ),
        migrations.AddIndex(
            model_name="usersearchterm",
            index=models.Index(
                fields=["tenant", "prefix3", "display_name", "user", "term"],
                name="user_search_term_prefix3",
                opclasses=["uuid_ops", "text_ops", "text_ops", "uuid_ops", "text_pattern_ops"],
            ),
        ),
    ]
