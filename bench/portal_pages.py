"""How fast the busiest portal pages render at the product's limits, on a fresh test database.

My Apps with 950 apps (Azure's per-user limit), Manage app with 1,000 members, the people
search over 5,000 directory users, and the Groups page with 200 owned groups. Prints the
median and 95th percentile time and the query count of each page.

    make bench                      # SQLite
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/accessportal make bench
"""

import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext, setup_test_environment  # noqa: E402
from django.urls import reverse  # noqa: E402

RUNS = 30


def build_world() -> tuple[Client, list[tuple[str, str]]]:
    from directory.models import AppRole, AppRoleAssignment, DirectoryUser, GroupMember, GroupOwner, UserSearchTerm
    from directory.search import term_rows
    from directory.services import update_application
    from tests.factories import ApplicationFactory, DirectoryUserFactory, GroupFactory, TenantFactory

    tenant = TenantFactory(owners_can_manage_group_membership_requests=True)
    owner = DirectoryUserFactory(tenant=tenant, display_name="Megan Bowen")
    people = DirectoryUser.objects.bulk_create(
        DirectoryUser(
            tenant=tenant,
            display_name=f"Person {n:05}",
            mail=f"p{n}@contoso.test",
            user_principal_name=f"p{n}@contoso.test",
        )
        for n in range(5_000)
    )
    # bulk_create sends no post_save, so the people's search keys are written here.
    UserSearchTerm.objects.bulk_create(term_rows(people))
    apps = [ApplicationFactory(tenant=tenant, display_name=f"App {n:04}") for n in range(950)]
    roles = {role.application_id: role for role in AppRole.objects.filter(application__in=apps)}
    AppRoleAssignment.objects.bulk_create(
        AppRoleAssignment(application=app, app_role=roles[app.pk], principal_user=owner) for app in apps
    )
    group = GroupFactory(tenant=tenant, display_name="Salesforce Users", owners=[owner])
    GroupMember.objects.bulk_create(GroupMember(group=group, user=person) for person in people[:1_000])
    update_application(application=apps[0], actor=None, self_service_enabled=True, self_service_group=group)
    owned = [GroupFactory(tenant=tenant) for _ in range(200)]
    GroupOwner.objects.bulk_create(GroupOwner(group=g, user=owner) for g in owned)

    if connection.vendor == "postgresql":
        # A live database has planner statistics (autovacuum); freshly bulk-loaded tables don't.
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    client = Client()
    client.force_login(owner.account)
    pages = [
        ("My Apps (950 apps)", reverse("portal:my-apps")),
        ("Manage app (1,000 members)", reverse("portal:manage-app", args=[apps[0].pk])),
        ("People search (5,000 users)", reverse("portal:people-search") + f"?group={group.pk}&q=Person%2001"),
        ("Groups I own (200 groups)", reverse("portal:groups")),
    ]
    return client, pages


def measure(client: Client, url: str) -> tuple[float, float, int]:
    for _ in range(3):
        assert client.get(url).status_code == 200, url
    timings = []
    for _ in range(RUNS):
        with CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            client.get(url)
            timings.append((time.perf_counter() - started) * 1000)
    timings.sort()
    return statistics.median(timings), timings[int(len(timings) * 0.95) - 1], len(queries)


def main() -> None:
    setup_test_environment()
    old_name = connection.creation.create_test_db(verbosity=0)
    try:
        client, pages = build_world()
        print(f"{connection.vendor}, {RUNS} runs each")
        print(f"{'page':32} {'median ms':>10} {'p95 ms':>8} {'queries':>8}")
        for name, url in pages:
            median, p95, queries = measure(client, url)
            print(f"{name:32} {median:10.1f} {p95:8.1f} {queries:8}")
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()
