"""Rate limits hold across processes: every worker and server counts against the same numbers."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.db import connection

from invitations import ratelimit

ROOT = Path(__file__).resolve().parents[2]
WORKERS = 4
LIMIT = 5
# One window for the whole test, whenever it runs.
PERIOD = 10**9

WORKER = f"""
import django
django.setup()
from invitations import ratelimit
print(sum(ratelimit.hit(scope="shared", identifier="guest@fabrikam.example", limit={LIMIT}, period_seconds={PERIOD})
          for _ in range({LIMIT})))
"""


def _database_url() -> str:
    db = connection.settings_dict
    if db["ENGINE"] == "django.db.backends.sqlite3":
        return f"sqlite:///{db['NAME']}"
    return f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


@pytest.fixture
def empty_cache(transactional_db):
    cache.clear()
    yield
    cache.clear()


def test_four_worker_processes_share_one_limit(empty_cache):
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings", "DATABASE_URL": _database_url()}
    workers = [
        subprocess.Popen([sys.executable, "-c", WORKER], cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True)
        for _ in range(WORKERS)
    ]
    allowed = [int(worker.communicate(timeout=120)[0]) for worker in workers]

    assert all(worker.returncode == 0 for worker in workers)
    assert sum(allowed) == LIMIT, allowed


def test_a_limit_allows_exactly_its_attempts_then_reports_exhaustion(db):
    limit = {"scope": "count", "identifier": "a@b.example", "limit": 3, "period_seconds": PERIOD}

    assert not ratelimit.is_exhausted(**limit)
    assert [ratelimit.hit(**limit) for _ in range(5)] == [True, True, True, False, False]
    assert ratelimit.is_exhausted(**limit)
    assert not ratelimit.is_exhausted(**{**limit, "identifier": "other@b.example"})


def test_migrate_creates_the_cache_table_and_running_it_again_is_harmless(db):
    assert "accessportal_cache" in connection.introspection.table_names()
    call_command("createcachetable", verbosity=0)
    assert cache.add("probe", 1) and not cache.add("probe", 2)
