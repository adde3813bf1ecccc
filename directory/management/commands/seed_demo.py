from django.core.management.base import BaseCommand, CommandParser
from django.urls import reverse

from accessportal.links import site_url
from directory.demo import DEMO_ACCOUNTS, DEMO_PASSWORD, SCENARIOS, reset_demo, seed_demo


class Command(BaseCommand):
    help = (
        "Seed the Contoso and Fabrikam demo organizations. Creates only what is missing, so running it "
        "again changes nothing; --reset deletes ALL data first (every tenant, account, directory object, "
        "invitation, email and request) and seeds again, in one transaction; --scenario NAME does the same "
        "and starts the demo at that training scenario."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--reset",
            action="store_true",
            help="Delete all data, including anything made after seeding, then seed again.",
        )
        parser.add_argument(
            "--scenario",
            choices=list(SCENARIOS),
            help="Delete all data (the mailbox too) and seed this training scenario: "
            + "; ".join(f"{name}: {scenario.title}" for name, scenario in SCENARIOS.items())
            + ".",
        )

    def handle(self, *args: object, reset: bool = False, scenario: str | None = None, **options: object) -> None:
        if scenario:
            created = reset_demo(scenario=scenario)
            chosen = SCENARIOS[scenario]
            self.stdout.write(
                self.style.SUCCESS(f"Deleted all data and seeded the scenario “{chosen.title}” ({created} objects).")
            )
            self.stdout.write(chosen.audience_sees)
        elif reset:
            created = reset_demo()
            self.stdout.write(self.style.SUCCESS(f"Deleted all data and seeded the demo again ({created} objects)."))
        elif created := seed_demo():
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
