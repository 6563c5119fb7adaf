"""docker-compose.yml names real modules and commands (checked without Docker)."""

import importlib
import importlib.util
import re
import shlex
from pathlib import Path

import pytest
import yaml
from celery import Celery
from celery.app.utils import find_app
from celery.bin.celery import celery as celery_cli
from django.core.management import get_commands

BASE_DIR = Path(__file__).resolve().parents[2]
COMPOSE = yaml.safe_load((BASE_DIR / "docker-compose.yml").read_text())
SERVICES = COMPOSE["services"]
APP_SERVICES = ("migrate", "web", "worker", "beat")


def command_of(service: str) -> list[str]:
    command = SERVICES[service]["command"]
    return shlex.split(command) if isinstance(command, str) else [str(part) for part in command]


def env_example_keys() -> set[str]:
    keys = set()
    for line in (BASE_DIR / ".env.example").read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#") and "=" in line:
            keys.add(line.split("=", 1)[0].strip())
    return keys


def celery_app_and_subcommand(argv: list[str]) -> tuple[str, str]:
    assert argv[0] == "celery", argv
    app_index = argv.index("-A") + 1
    return argv[app_index], argv[app_index + 1]


def test_stack_has_exactly_the_production_services():
    assert set(SERVICES) == {"migrate", "web", "worker", "beat", "postgres", "redis"}


def test_web_runs_gunicorn_on_an_importable_wsgi_application():
    argv = command_of("web")
    assert argv[0] == "gunicorn"
    module_name, attribute = argv[1].split(":")
    assert (module_name, attribute) == ("config.wsgi", "application")
    application = getattr(importlib.import_module(module_name), attribute)
    assert callable(application)
    assert importlib.util.find_spec("gunicorn") is not None
    assert re.search(r"^gunicorn==", (BASE_DIR / "requirements.txt").read_text(), re.MULTILINE)


def test_web_worker_and_beat_start_only_after_migrations_succeed():
    assert command_of("migrate")[:3] == ["python", "manage.py", "migrate"]
    assert "migrate" in get_commands()
    assert SERVICES["migrate"]["restart"] == "no"
    for service in ("web", "worker", "beat"):
        assert SERVICES[service]["depends_on"]["migrate"] == {"condition": "service_completed_successfully"}
        assert SERVICES[service]["depends_on"]["postgres"] == {"condition": "service_healthy"}
        assert SERVICES[service]["depends_on"]["redis"] == {"condition": "service_healthy"}


@pytest.mark.parametrize(("service", "subcommand"), [("worker", "worker"), ("beat", "beat")])
def test_celery_services_name_the_project_app_and_a_real_subcommand(service, subcommand):
    app_name, given = celery_app_and_subcommand(command_of(service))
    assert given == subcommand
    assert subcommand in celery_cli.commands
    app = find_app(app_name)
    assert isinstance(app, Celery)
    assert app is importlib.import_module("config.celery").app


def test_exactly_one_beat_runs():
    beats = [name for name in SERVICES if "command" in SERVICES[name] and "beat" in command_of(name)]
    assert beats == ["beat"]
    # The worker must not embed a second scheduler.
    assert not {"-B", "--beat"} & set(command_of("worker"))
    beat = SERVICES["beat"]
    assert beat.get("deploy", {}).get("replicas", 1) == 1
    # A fixed container name makes `--scale beat=2` an error instead of a second scheduler.
    assert beat["container_name"]


def test_redis_keeps_queued_tasks_aof_on_and_never_evicts():
    argv = command_of("redis")
    assert argv[0] == "redis-server"
    options = dict(zip(argv[1::2], argv[2::2], strict=True))
    assert options["--appendonly"] == "yes"
    assert options["--maxmemory-policy"] == "noeviction"
    assert SERVICES["redis"]["image"].startswith("redis:")


def test_postgres_is_version_15_with_a_persistent_volume():
    postgres = SERVICES["postgres"]
    assert postgres["image"] == "postgres:15"
    assert any(volume.endswith(":/var/lib/postgresql/data") for volume in postgres["volumes"])
    assert postgres["environment"]["POSTGRES_DB"] in SERVICES["web"]["environment"]["DATABASE_URL"]


@pytest.mark.parametrize("service", ["web", "worker", "postgres", "redis"])
def test_long_running_services_have_healthchecks(service):
    assert SERVICES[service]["healthcheck"]["test"]


@pytest.mark.parametrize("service", APP_SERVICES)
def test_app_services_run_production_settings_on_the_stack_servers(service):
    environment = SERVICES[service]["environment"]
    assert environment["DEBUG"] == "false"
    assert environment["SECRET_KEY"].startswith("${SECRET_KEY:?")  # required, no default
    assert "@postgres:5432/" in environment["DATABASE_URL"]
    assert environment["DATABASE_URL"].startswith("postgres://")
    assert environment["REDIS_URL"].startswith("redis://redis:6379/")
    # Uploads are shared by web and worker, and survive container rebuilds.
    assert f"media:{environment['MEDIA_ROOT']}" in SERVICES[service]["volumes"]


def test_every_environment_name_used_is_documented_in_env_example():
    documented = env_example_keys()
    used = set(re.findall(r"\$\{([A-Z_][A-Z0-9_]*)", (BASE_DIR / "docker-compose.yml").read_text()))
    for service in APP_SERVICES:
        used |= set(SERVICES[service]["environment"])
    assert used - documented == set()


def test_named_volumes_are_declared():
    declared = set(COMPOSE["volumes"])
    for service in SERVICES.values():
        for volume in service.get("volumes", []):
            source = volume.split(":", 1)[0]
            if not source.startswith((".", "/")):
                assert source in declared


def test_dockerfile_builds_the_image_the_services_use():
    dockerfile = (BASE_DIR / "Dockerfile").read_text()
    assert re.search(r"^FROM python:3\.11-slim$", dockerfile, re.MULTILINE)
    assert "pip install -r requirements.txt" in dockerfile
    static_root = SERVICES["web"]["environment"]["STATIC_ROOT"]
    # Static files are collected at build time into the STATIC_ROOT the web service serves.
    assert f"STATIC_ROOT={static_root}" in dockerfile
    assert "collectstatic --noinput" in dockerfile
    for service in APP_SERVICES:
        assert SERVICES[service]["build"] == "."


def test_image_never_contains_local_secrets_or_state():
    ignored = {line.strip() for line in (BASE_DIR / ".dockerignore").read_text().splitlines()}
    assert {".env", ".venv", "var", ".git"} <= ignored
