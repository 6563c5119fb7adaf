# Two commands for a newcomer: `make run` (the demo) and `make test` (the suite).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000

.PHONY: run test test-fast lint format bench install migrate seed clean

$(VENV)/.installed: requirements.txt requirements-dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed

migrate: install
	$(PY) manage.py migrate --noinput

seed: migrate
	$(PY) manage.py seed_demo

# The demo: SQLite, a filesystem Celery broker (no server), demo data; web + worker + beat.
run: seed
	@mkdir -p var
	@echo "Jielong demo: http://127.0.0.1:$(PORT)/  (logins printed above; Ctrl-C stops everything)"
	@trap 'kill 0' EXIT INT TERM; \
	$(PY) -m celery -A config worker --loglevel=warning --concurrency=2 & \
	$(PY) -m celery -A config beat --loglevel=warning & \
	$(PY) manage.py runserver 0.0.0.0:$(PORT)

# The suite, on real PostgreSQL and Redis (loopback by default, or DATABASE_URL / REDIS_URL).
test: install
	@$(PY) -m config.check_services
	$(PY) -m pytest $(PYTEST_ARGS)

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: install
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

bench: install
	$(PY) bench/run.py

clean:
	rm -rf var $(VENV)
