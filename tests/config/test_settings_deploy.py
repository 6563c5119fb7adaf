"""Production settings: `check --deploy` is clean, DEBUG off needs a SECRET_KEY, security headers are sent."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

BASE_DIR = Path(__file__).resolve().parents[2]


def run_python(args: list[str], **env: str) -> subprocess.CompletedProcess:
    """Run the project's Python with a clean environment: only what is given here (plus PATH)."""
    clean = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": os.environ.get("HOME", "/tmp"), **env}
    return subprocess.run(
        [sys.executable, *args], cwd=BASE_DIR, env=clean, capture_output=True, text=True, timeout=120, check=False
    )


def production_env(**overrides: str) -> dict[str, str]:
    return {
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "jielong.example.org",
        "CSRF_TRUSTED_ORIGINS": "https://jielong.example.org",
        "DATABASE_URL": os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/jielong"),
        "REDIS_URL": os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/14"),
        **overrides,
    }


def test_check_deploy_is_clean_with_production_settings():
    result = run_python(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], **production_env())
    assert result.returncode == 0, result.stderr + result.stdout
    assert "System check identified no issues" in result.stdout


def test_check_deploy_flags_debug_left_on():
    # The same command with DEBUG on must complain: the clean run above means something.
    result = run_python(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], **production_env(DEBUG="true"))
    assert result.returncode != 0
    assert "security.W018" in result.stderr + result.stdout


@pytest.mark.parametrize("module", ["config.wsgi", "config.celery"])
def test_debug_off_without_secret_key_refuses_to_start(module):
    # SECRET_KEY is given empty (not absent) so a developer's .env cannot fill it in.
    env = production_env(SECRET_KEY="")
    result = run_python(["-c", f"import {module}; import django.conf; django.conf.settings.SECRET_KEY"], **env)
    assert result.returncode != 0
    assert "SECRET_KEY must be set when DEBUG is off." in result.stderr


def test_wsgi_application_starts_with_production_settings():
    result = run_python(["-c", "import config.wsgi; print(callable(config.wsgi.application))"], **production_env())
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "True"


def test_responses_carry_security_headers(client):
    response = client.get(reverse("accounts:login"))
    assert response.status_code == 200
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert response.headers["Cross-Origin-Opener-Policy"] == "same-origin"


def test_https_responses_carry_hsts(client):
    response = client.get(reverse("accounts:login"), secure=True)
    assert response.headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"


def test_plain_http_is_redirected_to_https_in_production(client, settings):
    settings.SECURE_SSL_REDIRECT = True
    response = client.get(reverse("accounts:login"))
    assert response.status_code == 301
    assert response.headers["Location"].startswith("https://")


def test_production_cookies_are_secure_and_http_only():
    assert settings.DEBUG is False
    assert settings.SESSION_COOKIE_SECURE is True
    assert settings.CSRF_COOKIE_SECURE is True
    assert settings.SESSION_COOKIE_HTTPONLY is True
