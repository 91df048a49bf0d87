# Bihuan — `make help` lists the targets.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
BIHUAN := $(BIN)/bihuan
PG_URL ?= postgresql://postgres:postgres@127.0.0.1:5432/postgres
REDIS_TEST_URL ?= redis://127.0.0.1:6379/15
PYTEST_ARGS ?=
XDIST ?= -n 2 --dist loadgroup
# Every Python process of `make test` (the Django checks, pytest, its two workers, the servers
# and workers tests start) imports the same ~2,000 modules: keep their compiled bytecode even
# where the environment sets PYTHONDONTWRITEBYTECODE, or each process compiles them all again.
TEST_ENV := PYTHONDONTWRITEBYTECODE=

.DEFAULT_GOAL := help
.PHONY: help install venv frontend run serve demo lint fmt test test-sqlite test-postgres \
        services system-packages messages bench bench-quick bench-1m bench-inbox bench-background clean

help: ## List the targets
	@grep -hE '^[a-zA-Z_-]+:.*?## ' $(MAKEFILE_LIST) | \
	  awk 'BEGIN {FS = ":.*?## "}; {printf "  \033[36m%-15s\033[0m %s\n", $$1, $$2}'

$(BIN)/uv:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check uv

$(VENV)/.installed: $(BIN)/uv requirements.lock pyproject.toml
	$(BIN)/uv pip sync --quiet --python $(BIN)/python requirements.lock
	$(BIN)/uv pip install --quiet --python $(BIN)/python --no-deps -e .
	touch $@

venv: $(VENV)/.installed ## Create the virtualenv and install the locked Python dependencies

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

frontend: venv node_modules/.installed ## Install front-end packages (npm) into static/vendor
	$(BIN)/python scripts/frontend.py

install: venv frontend ## Everything the app needs to run

run: install ## Install, migrate SQLite in ./data, load the demo data, serve on :8000
	$(BIHUAN) migrate --no-input -v 0
	$(BIHUAN) demo
	$(BIHUAN) triage train --if-missing
	@echo "Bihuan on http://127.0.0.1:8000 — sign in with a demo user above (API docs: /api/v1/docs)"
	BIHUAN_CHAT_DEMO=1 $(BIHUAN) serve --host 127.0.0.1 --port 8000

serve: install ## Serve without reloading demo data
	$(BIHUAN) migrate --no-input -v 0
	$(BIHUAN) serve

lint: venv ## ruff, ruff format --check, mypy --strict, Django checks, migrations up to date
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy bihuan tests conftest.py
	$(TEST_ENV) DJANGO_SETTINGS_MODULE=bihuan.settings $(BIN)/python -m django check --fail-level WARNING
	$(TEST_ENV) DJANGO_SETTINGS_MODULE=bihuan.settings $(BIN)/python -m django makemigrations --check --dry-run

fmt: venv ## Format and autofix
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

system-packages: ## Debian packages for tests: chromium, CJK fonts, gettext, dovecot (IMAP)
	bash scripts/system-packages.sh

services: ## Start PostgreSQL and Redis on 127.0.0.1 if none answer (Debian packages)
	bash scripts/services.sh

test: install system-packages services lint test-sqlite test-postgres ## Install everything, lint, run the whole suite on SQLite and PostgreSQL

test-sqlite: ## The suite on SQLite
	$(TEST_ENV) $(BIN)/python -m pytest $(XDIST) $(PYTEST_ARGS)

# The browser journeys drive the pages the same way on either database: they run once, in the
# SQLite pass (the embedded default a new user clicks through); the process-kill tests are
# split between the passes by the tests themselves (each starts its own servers).
test-postgres: services ## The suite on PostgreSQL + Redis (the browser journeys run in the SQLite pass)
	$(TEST_ENV) BIHUAN_TEST_DATABASE_URL=$(PG_URL) BIHUAN_TEST_REDIS_URL=$(REDIS_TEST_URL) \
	  $(BIN)/python -m pytest $(XDIST) -m "not browser" $(PYTEST_ARGS)

messages: venv ## Extract and compile translations (zh_Hans)
	DJANGO_SETTINGS_MODULE=bihuan.settings $(BIN)/python -m django makemessages -l zh_Hans --ignore=.venv --ignore=node_modules
	DJANGO_SETTINGS_MODULE=bihuan.settings $(BIN)/python -m django compilemessages --ignore=.venv --ignore=node_modules

BENCH_ARGS ?=
bench: install services ## Benchmarks at 10k and 100k tickets vs django-helpdesk (BENCH_ARGS=--with-1m; see bench/README.md)
	$(BIN)/python bench/run.py $(BENCH_ARGS)

bench-quick: install services ## Smoke run of the benchmarks (~3 min)
	$(BIN)/python bench/run.py --quick

bench-1m: install services ## Benchmarks including 1,000,000 tickets
	$(BIN)/python bench/run.py --with-1m $(BENCH_ARGS)

bench-inbox: install services ## Inbox latency at 2,000 and 100,000 tickets
	$(BIN)/python bench/inbox_latency.py

bench-background: install services ## Background work: reaction lag, drain of 10,000 due items at 100,000 tickets, idle tick
	$(BIN)/python bench/background_work.py $(BENCH_ARGS)

clean: ## Remove the virtualenv, node_modules and generated static files
	rm -rf $(VENV) node_modules bihuan/static/vendor
