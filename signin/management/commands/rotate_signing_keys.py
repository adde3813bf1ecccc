from django.core.management.base import BaseCommand

from signin.keys import rotate_signing_keys


class Command(BaseCommand):
    help = (
        "Rotates the token signing keys: the published next key starts signing, the old key stays in JWKS "
        "until the following rotation, and a new next key is published."
    )

    def handle(self, *args: object, **options: object) -> None:
        current = rotate_signing_keys()
        self.stdout.write(f"Tokens are now signed with key {current.kid}.")
