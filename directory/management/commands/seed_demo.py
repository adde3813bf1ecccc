from django.core.management.base import BaseCommand, CommandParser
from django.urls import reverse

from accessportal.links import site_url
from directory.demo import DEMO_ACCOUNTS, DEMO_PASSWORD, reset_demo, seed_demo


class Command(BaseCommand):
    help = (
        "Seed the Contoso and Fabrikam demo organizations. Creates only what is missing, so running it "
        "again changes nothing; --reset deletes ALL data first (every tenant, account, directory object, "
        "invitation, email and request) and seeds again, in one transaction."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--reset",
            action="store_true",
            help="Delete all data, including anything made after seeding, then seed again.",
        )

    def handle(self, *args: object, reset: bool = False, **options: object) -> None:
        created = reset_demo() if reset else seed_demo()
        if reset:
            self.stdout.write(self.style.SUCCESS(f"Deleted all data and seeded the demo again ({created} objects)."))
        elif created:
            self.stdout.write(self.style.SUCCESS(f"Seeded the demo ({created} objects created)."))
        else:
            self.stdout.write(self.style.SUCCESS("The demo data is already there; nothing changed."))

        site = site_url()
        width = max(len(person.mail) for _, person in DEMO_ACCOUNTS)
        lines = [
            "",
            f"My Apps:           {site}/",
            f"Admin (Azure):     {site}{reverse('admin:index')}",
            f"Demo password:     {DEMO_PASSWORD}   (the same for every account below)",
            "",
            "Accounts:",
        ]
        for tenant, person in DEMO_ACCOUNTS:
            lines.append(f"  {person.mail.ljust(width)}  {person.display_name} ({tenant.display_name})")
            lines.append(f"  {'':{width}}  {person.story}")
        self.stdout.write("\n".join(lines))
