from django.db import migrations, models
from django.db.models import OuterRef, Subquery


def copy_names(apps, schema_editor):
    DirectoryUser = apps.get_model("directory", "DirectoryUser")
    UserSearchTerm = apps.get_model("directory", "UserSearchTerm")
    UserSearchTerm.objects.update(
        display_name=Subquery(DirectoryUser.objects.filter(pk=OuterRef("user_id")).values("display_name")[:1])
    )


class Migration(migrations.Migration):
    dependencies = [
        ("directory", "0007_application_logo_hash"),
    ]

    operations = [
        migrations.AddField(
            model_name="usersearchterm",
            name="display_name",
            field=models.CharField(default="", max_length=256),
            preserve_default=False,
        ),
        migrations.RunPython(copy_names, migrations.RunPython.noop),
        migrations.RemoveIndex(model_name="usersearchterm", name="user_search_term_prefix"),
        migrations.AddIndex(
            model_name="usersearchterm",
            index=models.Index(
                fields=["tenant", "term", "display_name", "user"],
                name="user_search_term_covering",
                opclasses=["uuid_ops", "text_pattern_ops", "text_ops", "uuid_ops"],
            ),
        ),
    ]
