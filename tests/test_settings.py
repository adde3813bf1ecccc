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
