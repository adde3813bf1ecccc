"""Test settings: the real settings with a fixed key, fast hashing and immediate tasks."""

import os

os.environ.setdefault("DJANGO_SECRET_KEY", "test-only-secret-key-not-for-production-0123456789")
os.environ.setdefault("DJANGO_DEBUG", "false")
os.environ.setdefault("ACCESSPORTAL_TASKS", "immediate")

from accessportal.settings import *  # noqa: E402,F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405
    # A file rather than shared-cache memory: threads in the concurrency tests then wait for
    # SQLite's lock (busy timeout, IMMEDIATE transactions) instead of failing with "table is locked".
    import tempfile

    DATABASES["default"]["TEST"] = {  # noqa: F405
        "NAME": os.path.join(tempfile.gettempdir(), f"accessportal-test-{os.getpid()}.sqlite3")
    }
else:
    # The live server answers each HTTP connection on a thread of its own, and clients that keep the
    # connection alive (the SDK's httpx, the samples' requests) keep that thread; with persistent
    # database connections it would hold one open past the test, and PostgreSQL would refuse to drop
    # the test database. Each request closes its connection instead.
    DATABASES["default"]["CONN_MAX_AGE"] = 0  # noqa: F405
MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
SECURE_SSL_REDIRECT = False
ALLOWED_HOSTS = ["testserver", "localhost", "127.0.0.1"]
# Browser tests talk plain HTTP to the live server.
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
SECURE_HSTS_SECONDS = 0
# Serve static files from the source folders; tests never run collectstatic.
WHITENOISE_AUTOREFRESH = True
WHITENOISE_USE_FINDERS = True
