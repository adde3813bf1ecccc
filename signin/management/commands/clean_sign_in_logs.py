from django.conf import settings
from django.core.management.base import BaseCommand

from signin.services import delete_expired_sign_in_events


class Command(BaseCommand):
    help = "Deletes sign-in log entries older than ACCESSPORTAL_SIGN_IN_LOG_RETENTION_DAYS (default 30)."

    def handle(self, *args: object, **options: object) -> None:
        deleted = delete_expired_sign_in_events()
        days = settings.SIGN_IN_LOG_RETENTION_DAYS
        self.stdout.write(f"Deleted {deleted} sign-in log entries older than {days} days.")
