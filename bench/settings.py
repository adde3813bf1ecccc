"""Settings for `make bench-scale`: the test settings (fast hashing, plain HTTP) with the database task queue."""

import os

os.environ.setdefault("DJANGO_SECRET_KEY", "bench-only-secret-key-not-for-production-0123456789")
# Invitations queue their email as a task row, as in production (the worker sends them).
os.environ.setdefault("ACCESSPORTAL_TASKS", "database")

from tests.settings import *  # noqa: E402,F403

ROOT_URLCONF = "bench.urls"
if DATABASES["default"]["ENGINE"] != "django.db.backends.sqlite3":  # noqa: F405
    # Persistent connections, as in production: the test settings close each request's connection
    # (for the live server's sake), which would add a PostgreSQL connection to every request measured.
    DATABASES["default"]["CONN_MAX_AGE"] = 600  # noqa: F405
