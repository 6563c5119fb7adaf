# Two commands for a newcomer: `make run` (the demo) and `make test` (the suite).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000
# The demo is a developer's run: DEBUG on unless the environment says otherwise
# (manage.py defaults the same way; Celery has no such default, so say it here).
DEMO_ENV := DEBUG=$${DEBUG:-true}

.PHONY: run test test-fast lint format bench install migrate seed clean

$(VENV)/.installed: requirements.txt requirements-dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed

migrate: install
	$(DEMO_ENV) $(PY) manage.py migrate --noinput

seed: migrate
	$(DEMO_ENV) $(PY) manage.py seed_demo

# The demo: SQLite, a filesystem Celery broker (no server), demo data; web + worker + beat.
run: seed
	@mkdir -p var
	@echo "Jielong demo: http://127.0.0.1:$(PORT)/  (logins printed above; Ctrl-C stops everything)"
	@# On Ctrl-C / TERM / exit: stop the background worker and beat once, and wait for them.
	@trap 'trap - EXIT INT TERM; kill $$(jobs -p) 2>/dev/null; wait' EXIT INT TERM; \
	$(DEMO_ENV) $(PY) -m celery -A config worker --loglevel=warning --concurrency=2 & \
	$(DEMO_ENV) $(PY) -m celery -A config beat --loglevel=warning & \
	$(DEMO_ENV) $(PY) manage.py runserver 0.0.0.0:$(PORT)

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
