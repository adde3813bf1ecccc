"""Settings for `make bench-scale`: the test settings (fast hashing, plain HTTP) with the database task queue."""

import os

os.environ.setdefault("DJANGO_SECRET_KEY", "bench-only-secret-key-not-for-production-0123456789")
# Invitations queue their email as a task row, as in production (the worker sends them).
os.environ.setdefault("ACCESSPORTAL_TASKS", "database")

from tests.settings import *  # noqa: E402,F403

ROOT_URLCONF = "bench.urls"
CONN_MAX_AGE = 600
