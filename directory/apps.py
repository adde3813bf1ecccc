from django.apps import AppConfig
from django.db.models.signals import post_save


class DirectoryConfig(AppConfig):
    name = "directory"
    verbose_name = "Microsoft Entra ID"

    def ready(self) -> None:
        from directory import search
        from directory.models import DirectoryUser

        # Every save keeps the user's search keys in step, whichever service or admin made it.
        post_save.connect(search._user_saved, sender=DirectoryUser, dispatch_uid="directory-user-search-terms")
