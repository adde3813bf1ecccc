import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def load_settings(**env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_URL", "EMAIL_"))}
    return subprocess.run(
        [
            sys.executable,
            "-c",
            "import json, accessportal.settings as s; print(json.dumps({"
            "'debug': s.DEBUG, 'db': s.DATABASES['default'], 'mailer': s.MAILERS['default']['BACKEND'],"
            "'hsts': getattr(s, 'SECURE_HSTS_SECONDS', 0), 'secure': getattr(s, 'SESSION_COOKIE_SECURE', False)},"
            " default=str))",
        ],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        check=False,
    )


def test_missing_secret_key_fails_fast_with_instructions_when_debug_is_off():
    result = load_settings(DJANGO_DEBUG="false")
    assert result.returncode != 0
    assert "Set DJANGO_SECRET_KEY" in result.stderr


def test_debug_mode_runs_without_a_secret_key_on_sqlite():
    result = load_settings(DJANGO_DEBUG="true")
    assert result.returncode == 0, result.stderr
    assert '"debug": true' in result.stdout
    assert "sqlite3" in result.stdout


def test_database_url_selects_postgresql_with_persistent_checked_connections():
    result = load_settings(DJANGO_SECRET_KEY="x" * 50, DATABASE_URL="postgres://app:pw@db.internal:5432/portal")
    assert result.returncode == 0, result.stderr
    assert '"ENGINE": "django.db.backends.postgresql"' in result.stdout
    assert '"CONN_MAX_AGE": 600' in result.stdout
    assert '"CONN_HEALTH_CHECKS": true' in result.stdout
    assert '"NAME": "portal"' in result.stdout


def test_production_settings_use_secure_cookies_hsts_and_smtp_when_configured():
    result = load_settings(DJANGO_SECRET_KEY="x" * 50, EMAIL_HOST="smtp.example.com")
    assert result.returncode == 0, result.stderr
    assert '"secure": true' in result.stdout
    assert '"hsts": 31536000' in result.stdout
    assert "smtp.EmailBackend" in result.stdout


def test_invalid_boolean_is_refused_with_a_sentence():
    result = load_settings(DJANGO_DEBUG="maybe")
    assert result.returncode != 0
    assert "DJANGO_DEBUG must be true or false" in result.stderr


def run_manage(*args: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_URL", "EMAIL_"))}
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=clean, capture_output=True, text=True, check=False
    )


def test_schema_only_commands_run_without_a_secret_key():
    result = run_manage("makemigrations", "--check", "--dry-run")
    assert result.returncode == 0, result.stderr
    assert "No changes detected" in result.stdout


def test_other_commands_still_fail_fast_without_a_secret_key():
    result = run_manage("check")
    assert result.returncode != 0
    assert "Set DJANGO_SECRET_KEY" in result.stderr


def demo_settings(**env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_URL", "EMAIL_", "ACCESS"))}
    return subprocess.run(
        [
            sys.executable,
            "-c",
            "import json, accessportal.settings as s; print(json.dumps({'debug': s.DEBUG, 'key': s.SECRET_KEY,"
            " 'hosts': s.ALLOWED_HOSTS, 'ssl': getattr(s, 'SECURE_SSL_REDIRECT', False),"
            " 'hsts': getattr(s, 'SECURE_HSTS_SECONDS', 0), 'static': s.STORAGES['staticfiles']['BACKEND']}))",
        ],
        cwd=ROOT,
        env={**clean, "ACCESSPORTAL_DEMO": "true", **env},
        capture_output=True,
        text=True,
        check=False,
    )


def test_demo_mode_runs_with_debug_off_on_a_key_generated_once_into_an_ignored_file():
    first, second = demo_settings(), demo_settings()

    assert first.returncode == 0, first.stderr
    shown = json.loads(first.stdout)
    assert shown["debug"] is False
    assert json.loads(second.stdout)["key"] == shown["key"]
    key_file = ROOT / ".demo-secret-key"
    assert key_file.read_text().strip() == shown["key"] and len(shown["key"]) >= 50
    assert key_file.stat().st_mode & 0o077 == 0
    ignored = subprocess.run(["git", "check-ignore", "-q", str(key_file)], cwd=ROOT, check=False)
    assert ignored.returncode == 0, ".demo-secret-key must be in .gitignore"


def test_demo_mode_serves_plain_http_on_localhost():
    shown = json.loads(demo_settings().stdout)

    assert shown["hosts"] == ["127.0.0.1", "localhost"]
    assert (shown["ssl"], shown["hsts"]) == (False, 0)


DEMO_REQUESTS = """
from django.test import Client
client = Client()
missing = client.get("/no-such-page/", HTTP_HOST="127.0.0.1")
css = client.get("/static/css/portal.css", HTTP_HOST="127.0.0.1")
print(missing.status_code, "We can't find that page" in missing.content.decode(), b"URLconf" in missing.content)
print(css.status_code)
"""


def test_the_demo_from_a_fresh_clone_shows_the_product_404_page_and_serves_static_files(tmp_path):
    # Nothing collected, a database never migrated: as `make demo` finds a fresh clone.
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "--no-imports", "-c", DEMO_REQUESTS],
        cwd=ROOT,
        env={
            **{k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_URL", "ACCESS"))},
            "ACCESSPORTAL_DEMO": "true",
            "DATABASE_URL": f"sqlite:///{tmp_path / 'demo.sqlite3'}",
        },
        capture_output=True,
        text=True,
        check=False,
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["404", "True", "False", "200"]


def test_make_demo_runs_without_debug_mode():
    dry_run = subprocess.run(["make", "-n", "demo"], cwd=ROOT, capture_output=True, text=True, check=True).stdout

    assert "DJANGO_DEBUG" not in dry_run
    assert "ACCESSPORTAL_DEMO=true" in dry_run and "runserver 127.0.0.1:8000" in dry_run


def test_deploy_check_says_the_site_url_is_required_in_production():
    env = {
        "DJANGO_SECRET_KEY": "deploy-check-key-" + "".join(chr(97 + n % 26) for n in range(60)),
        "DJANGO_ALLOWED_HOSTS": "portal.example.com",
        "EMAIL_HOST": "smtp.example.com",
    }
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_URL", "EMAIL_", "ACCESS"))}
    missing = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy"],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        check=False,
    )
    configured = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env={**clean, **env, "ACCESSPORTAL_SITE_URL": "https://portal.example.com"},
        capture_output=True,
        text=True,
        check=False,
    )

    assert "accessportal.W002" in missing.stderr + missing.stdout
    assert "ACCESSPORTAL_SITE_URL is not set" in missing.stderr + missing.stdout
    assert configured.returncode == 0, configured.stderr
