# The two commands of the README: `make run` and `make test`.
PYTHON ?= python3.11
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
# Tests run against PostgreSQL (the product's database); override DATABASE_URL to point elsewhere.
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/loanregister
TEST_BROKER_URL ?= redis://127.0.0.1:6379/15
DEMO_LOANS ?= 5000
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test install messages smoke lint format bench clean

$(VENV)/.installed: pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "$(PYTHON) not found: install Python 3.11"; exit 1; }
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	$(PIP) install --quiet -e ".[dev]"
	touch $@

install: $(VENV)/.installed

# Translations are compiled in the build, never committed as binaries.
messages: install
	$(PY) manage.py compilemessages --ignore=.venv -v 0

# Embedded default: SQLite, tasks in-process, the nightly jobs run by run_scheduler beside the web server.
run: messages
	$(PY) manage.py migrate --noinput -v 0
	$(PY) manage.py create_demo_users
	$(PY) manage.py seed_demo --loans $(DEMO_LOANS) --if-empty
	@echo "Serving on http://$(HOST):$(PORT)/  (Ctrl-C stops the web server and the scheduler)"
	@trap 'trap - INT TERM EXIT; kill 0 2>/dev/null' INT TERM EXIT; \
	$(PY) manage.py run_scheduler & \
	$(PY) manage.py runserver $(HOST):$(PORT)

test: messages
	DATABASE_URL=$${DATABASE_URL:-$(TEST_DATABASE_URL)} CELERY_TEST_BROKER_URL=$${CELERY_TEST_BROKER_URL:-$(TEST_BROKER_URL)} \
	$(PY) -m pytest $(PYTEST_ARGS)

# The embedded default end to end, on a throw-away SQLite file: migrate, seed, render the home page.
smoke: messages
	env -u DATABASE_URL -u CELERY_BROKER_URL VAR_DIR=$$(mktemp -d) $(PY) -m tests.smoke

lint: install
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

format: install
	$(PY) -m ruff check --fix .
	$(PY) -m ruff format .

bench: install
	$(PY) bench/run.py

clean:
	rm -rf $(VENV) var staticfiles
