"""Settings for Access Portal, read from the environment.

Every variable is documented in README.md ("Configuration"). Defaults give the
seeded demo on SQLite; production sets DJANGO_SECRET_KEY and DJANGO_DEBUG=false.
"""

import os
import secrets
import shutil
import sys
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    lowered = value.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {value!r}.")


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def env_count(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    if not value.isdigit():
        raise ImproperlyConfigured(f"{name} must be a whole number (0, 1, 2, ...), not {value!r}.")
    return int(value)


DEBUG = env_bool("DJANGO_DEBUG", False)
# Demo mode: the built-in mailbox is open to everyone and background tasks run
# immediately, so a trainer needs nothing but this process.
DEMO_MODE = env_bool("ACCESSPORTAL_DEMO", False)

# Commands that only read the models sign nothing, so they run on a bare checkout with a
# throwaway key (the stop hook and editors run `makemigrations --check` that way).
SCHEMA_ONLY_COMMANDS = {"makemigrations", "showmigrations", "sqlmigrate"}
_schema_only = Path(sys.argv[0]).name == "manage.py" and sys.argv[1:2] and sys.argv[1] in SCHEMA_ONLY_COMMANDS


def demo_secret_key(path: Path) -> str:
    """The demo's own key, generated on first use into an ignored file, so sessions survive restarts."""
    try:
        with os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "w") as file:
            file.write(secrets.token_urlsafe(50))
    except FileExistsError:
        # Made earlier, or a moment ago by the other runserver process: everyone reads the same key.
        pass
    return path.read_text().strip()


SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
if not SECRET_KEY and _schema_only:
    SECRET_KEY = secrets.token_urlsafe(50)
if not SECRET_KEY and DEMO_MODE:
    SECRET_KEY = demo_secret_key(BASE_DIR / ".demo-secret-key")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "Set DJANGO_SECRET_KEY to a long random string (for example the output of "
            "`python -c 'import secrets; print(secrets.token_urlsafe(50))'`), "
            "or set DJANGO_DEBUG=true for local development."
        )
    SECRET_KEY = "insecure-development-key-only-for-debug-mode-0123456789abcdef"

ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost" if DEBUG or DEMO_MODE else "")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")
# The absolute address used in links inside emails (no trailing slash). Required in production
# (`check --deploy` says so); in demo mode links follow the address the demo is served on.
SITE_URL = os.environ.get("ACCESSPORTAL_SITE_URL", "").rstrip("/")

INSTALLED_APPS = [
    # Django's admin with the admin center's site as admin.site.
    "admincenter.apps.AdminCenterConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_htmx",
    "django_tasks_db",
    "directory",
    "invitations",
    "portal",
    "signin",
    "samlidp",
    "graph",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # WhiteNoise right after SecurityMiddleware so static files skip the rest.
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Compresses pages (My Apps with 100 tiles: ~140 KB of HTML, ~15 KB on the wire); static files
    # never get here, WhiteNoise serves them precompressed. BREACH needs a secret repeated in every
    # response next to text the attacker chooses: Django masks the CSRF token anew in each response
    # and this middleware pads with random bytes (Heal The Breach), and no other secret is in a page.
    "django.middleware.gzip.GZipMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    # Before CSRF and every view, so nothing ever sees a NUL or another control character.
    "accessportal.middleware.control_characters_middleware",
    "accessportal.middleware.demo_links_middleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "accessportal.urls"
WSGI_APPLICATION = "accessportal.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "portal.context_processors.portal",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=600,
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # One connection per request on SQLite; WAL and a busy timeout let the
    # runserver threads and the worker share the file without "database is locked".
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "directory.Account"
# Django's own permissions, plus those of the directory roles an account holds (Global Administrator…).
AUTHENTICATION_BACKENDS = ["django.contrib.auth.backends.ModelBackend", "directory.backends.DirectoryRoleBackend"]
LOGIN_URL = "portal:sign-in"

# pysaml2 signs SAML assertions with Debian's xmlsec1 (scripts/ensure-xmlsec1 installs it).
SAML_XMLSEC_BINARY = shutil.which("xmlsec1") or "/usr/bin/xmlsec1"
LOGIN_REDIRECT_URL = "portal:my-apps"
LOGOUT_REDIRECT_URL = "portal:sign-in"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# The cache holds the rate limits, so it must be shared by every worker and server: Redis
# when REDIS_URL is set, else a table in the database (created by `migrate`). Culling
# drops expired rows first; the bound is far above what 15-minute windows leave behind.
REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "accessportal_cache",
            "OPTIONS": {"MAX_ENTRIES": 100_000},
        }
    }

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True
# Dates as people read them ("12/2/2026, 12:44 PM"); see accessportal/formats/.
FORMAT_MODULE_PATH = ["accessportal.formats"]

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG or DEMO_MODE
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
# The demo (debug off) has WhiteNoise serve straight from the source folders: a fresh clone
# has nothing collected, and nothing needs collecting.
WHITENOISE_USE_FINDERS = DEBUG or DEMO_MODE
# Uploads are logos and CSV files: keep them small and in memory.
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440

# Email (Django's MAILERS). Without EMAIL_HOST, messages are printed to the console;
# the demo mailbox reads the outbox either way.
if os.environ.get("EMAIL_HOST"):
    MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {
                "host": os.environ["EMAIL_HOST"],
                "port": int(os.environ.get("EMAIL_PORT", "25")),
                "username": os.environ.get("EMAIL_HOST_USER", ""),
                "password": os.environ.get("EMAIL_HOST_PASSWORD", ""),
                "use_tls": env_bool("EMAIL_USE_TLS", False),
                "timeout": 10,
            },
        }
    }
else:
    MAILERS = {"default": {"BACKEND": "django.core.mail.backends.console.EmailBackend"}}
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "Access Portal <invites@accessportal.localhost>")

# Background tasks: the database backend and `manage.py db_worker` in production;
# immediate execution in the demo.
TASKS_BACKEND = os.environ.get("ACCESSPORTAL_TASKS", "immediate" if DEMO_MODE else "database")
if TASKS_BACKEND not in {"immediate", "database"}:
    raise ImproperlyConfigured("ACCESSPORTAL_TASKS must be 'immediate' or 'database'.")
TASKS = {
    "default": {
        "BACKEND": "django.tasks.backends.immediate.ImmediateBackend"
        if TASKS_BACKEND == "immediate"
        else "django_tasks_db.DatabaseBackend"
    }
}

# Sign-in logs older than this are removed by `manage.py clean_sign_in_logs` (Entra keeps 30 days).
SIGN_IN_LOG_RETENTION_DAYS = int(os.environ.get("ACCESSPORTAL_SIGN_IN_LOG_RETENTION_DAYS", "30"))
if SIGN_IN_LOG_RETENTION_DAYS < 1:
    raise ImproperlyConfigured("ACCESSPORTAL_SIGN_IN_LOG_RETENTION_DAYS must be at least 1.")

# Content-Security-Policy: no inline scripts or styles anywhere.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "connect-src": [CSP.SELF],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
    "frame-src": [CSP.SELF],
    "base-uri": [CSP.NONE],
    "object-src": [CSP.NONE],
}

SESSION_COOKIE_HTTPONLY = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# The demo runs with debug off but on plain http://127.0.0.1:8000: no HTTPS redirect, no HSTS.
if not DEBUG and not DEMO_MODE:
    SESSION_COOKIE_SECURE = env_bool("DJANGO_SECURE_COOKIES", True)
    CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
    SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = int(os.environ.get("DJANGO_HSTS_SECONDS", "31536000"))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("DJANGO_LOG_LEVEL", "INFO")},
}

# How many reverse proxies stand in front of the portal; the client's address for lockouts and the
# sign-in log is then taken from X-Forwarded-For (accessportal.network.client_address).
TRUSTED_PROXY_COUNT = env_count("ACCESSPORTAL_TRUSTED_PROXIES", 0)

# Microsoft Graph (graph/): requests per application per window, answered 429 with Retry-After beyond.
GRAPH_THROTTLE_LIMIT = env_count("GRAPH_THROTTLE_LIMIT", 1200)
GRAPH_THROTTLE_PERIOD_SECONDS = 60
