from django.apps import AppConfig


class InvitationsConfig(AppConfig):
    name = "invitations"
    verbose_name = "External Identities"

    def ready(self) -> None:
        from invitations import checks  # noqa: F401  (registers the deployment checks)
