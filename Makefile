# Gilda: the two commands are `make run` and `make test`. Everything else is a helper.
SHELL := /bin/bash
.DEFAULT_GOAL := run

export UV_PYTHON_DOWNLOADS := never
export UV_LINK_MODE := copy

# Python 3.13 (3.12 works too): from PATH, else from pyenv.
PYTHON := $(shell for p in python3.13 $$HOME/.pyenv/versions/3.13*/bin/python3.13 python3.12 $$HOME/.pyenv/versions/3.12*/bin/python3.12; do if command -v $$p >/dev/null 2>&1; then command -v $$p; break; fi; done)
# uv from PATH, else a private copy installed from PyPI into .tools/ (git-ignored).
UV := $(shell command -v uv 2>/dev/null || echo .tools/bin/uv)
MANAGE := .venv/bin/python manage.py
PORT ?= 8000
# GILDA_ENV (dev, test or prod) is set per command below, never inherited from the shell.
DEV := GILDA_ENV=dev

.PHONY: run test setup venv messages seed bench bench-directory bench-suggestions bench-task-runtimes seed-large bench-pages bench-load lint format security drills

venv: .venv/.synced

.tools/bin/uv:
	@if [ -z "$(PYTHON)" ]; then echo "Python >= 3.12 is needed (pyenv install 3.13)." >&2; exit 1; fi
	$(PYTHON) -m venv .tools
	.tools/bin/pip install --quiet uv

.venv/.synced: pyproject.toml uv.lock | $(UV)
	$(UV) sync --frozen --python "$(PYTHON)"
	@touch $@

messages: venv
	$(DEV) $(MANAGE) compilemessages --ignore=.venv -v 0

setup: venv messages
	$(DEV) $(MANAGE) migrate --noinput -v 0
	$(MAKE) --no-print-directory seed

seed:
	$(DEV) $(MANAGE) seed_demo --seed 2026

## make run: set up everything and serve http://127.0.0.1:8000 in GILDA_ENV=dev (SQLite, Celery
## eager, console email).
run: setup
	@echo "Gilda on http://127.0.0.1:$(PORT)/ - demo login: alice@gilda.demo / gilda-demo-2026 (admin: admin@gilda.demo)"
	$(DEV) $(MANAGE) runserver 127.0.0.1:$(PORT)

## make test: the whole test suite in GILDA_ENV=test (embedded defaults; set DATABASE_URL/REDIS_URL
## for the real services).
test: venv messages
	@command -v chromium >/dev/null 2>&1 || { echo "Installing Debian's chromium for the browser tests"; \
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
		|| echo "chromium could not be installed: the browser tests will fail" >&2; }
	GILDA_ENV=test .venv/bin/pytest $(PYTEST_ARGS)

## make drills: fault drills on a private PostgreSQL, Redis and SMTP (free ports of their own),
## with gunicorn, a worker and beat; prints failed requests, lost/duplicated side effects
## (emails, notifications) and recovery time, and fails if any. DRILLS_ARGS=--short: CI's.
drills: venv messages
	.venv/bin/python bench/drills.py $(DRILLS_ARGS)

## make bench: every benchmark (PostgreSQL), from bench/ (never deployed). Each one adds itself
## as `bench: bench-<name>`. They wipe their database, and refuse one not named gilda_bench*.
bench:

## make bench-directory: the directory's "near me" at 10k and 100k profiles (wipes its own DB).
BENCH_DIRECTORY_DB ?= gilda_bench_dir
bench: bench-directory
bench-directory: venv
	@psql -h 127.0.0.1 -U postgres -d $(BENCH_DIRECTORY_DB) -c "select 1" >/dev/null 2>&1 || \
		createdb -h 127.0.0.1 -U postgres $(BENCH_DIRECTORY_DB)
	$(DEV) DATABASE_URL=postgres://postgres@127.0.0.1:5432/$(BENCH_DIRECTORY_DB) \
		.venv/bin/python -m bench.directory $(BENCH_ARGS)

## make bench-suggestions: "people you may know" at 10k and 100k users, two graph kinds, against
## the scipy floor, plus refresh latency with a real Celery worker (wipes its own DB and Redis db).
BENCH_SUGGESTIONS_DB ?= gilda_bench_conn
# Production settings: the engine is measured as it runs for real.
BENCH_SUGGESTIONS_ENV := GILDA_ENV=prod DATABASE_URL=postgres://postgres@127.0.0.1:5432/$(BENCH_SUGGESTIONS_DB) \
	REDIS_URL=redis://127.0.0.1:6379/6 CELERY_EAGER=false MAIL_URL=locmem:// \
	SECRET_KEY=bench-suggestions-not-a-secret-$(shell printf '%060d' 0)
bench: bench-suggestions
bench-suggestions: venv
	@psql -h 127.0.0.1 -U postgres -d $(BENCH_SUGGESTIONS_DB) -c "select 1" >/dev/null 2>&1 || \
		createdb -h 127.0.0.1 -U postgres $(BENCH_SUGGESTIONS_DB)
	$(BENCH_SUGGESTIONS_ENV) $(MANAGE) migrate --noinput -v 0
	$(BENCH_SUGGESTIONS_ENV) .venv/bin/python -m bench.suggestions $(BENCH_ARGS)

## make bench-task-runtimes: the longest background tasks at 100k members, through the outbox
## runner, to size the visibility timeout (wipes its own DB; its wake-ups stay unpublished).
BENCH_TASKS_DB ?= gilda_bench_tasks
BENCH_TASKS_ENV := $(DEV) DATABASE_URL=postgres://postgres@127.0.0.1:5432/$(BENCH_TASKS_DB) \
	REDIS_URL=redis://127.0.0.1:1/0 CELERY_EAGER=false
bench: bench-task-runtimes
bench-task-runtimes: venv
	@psql -h 127.0.0.1 -U postgres -d $(BENCH_TASKS_DB) -c "select 1" >/dev/null 2>&1 || \
		createdb -h 127.0.0.1 -U postgres $(BENCH_TASKS_DB)
	$(BENCH_TASKS_ENV) $(MANAGE) migrate --noinput -v 0
	$(BENCH_TASKS_ENV) .venv/bin/python -m bench.task_runtimes $(BENCH_ARGS)

## make seed-large: the large community (20k members, 180k posts…) for bench-pages, loaded
## with COPY from a seed (wipes its own DB). SEED_ARGS="--scale 0.1" for a quick one.
BENCH_PAGES_DB ?= gilda_bench_pages
BENCH_PAGES_REDIS ?= redis://127.0.0.1:6379/14
seed-large: venv
	@psql -h 127.0.0.1 -U postgres -d $(BENCH_PAGES_DB) -c "select 1" >/dev/null 2>&1 || \
		createdb -h 127.0.0.1 -U postgres $(BENCH_PAGES_DB)
	$(DEV) DATABASE_URL=postgres://postgres@127.0.0.1:5432/$(BENCH_PAGES_DB) \
		.venv/bin/python -m bench.seed_large $(SEED_ARGS)

## make bench-pages: every key page on gunicorn (prod settings) against the bare-Django floor,
## on the seed-large data; writes bench/results/pages.md.
bench: bench-pages
bench-pages: venv
	DATABASE_URL=postgres://postgres@127.0.0.1:5432/$(BENCH_PAGES_DB) REDIS_URL=$(BENCH_PAGES_REDIS) \
		.venv/bin/python -m bench.pages $(BENCH_ARGS)

## make bench-load: 40 members for 5 minutes, 20% writes, with locust on the seed-large data
## (gunicorn + a Celery worker, prod settings); writes bench/results/load.md, exits 1 on any 5xx
## or lost write. BENCH_ARGS="--minutes 1" for the short version.
bench: bench-load
bench-load: venv
	DATABASE_URL=postgres://postgres@127.0.0.1:5432/$(BENCH_PAGES_DB) REDIS_URL=$(BENCH_PAGES_REDIS) \
		.venv/bin/python -m bench.load $(BENCH_ARGS)

lint: venv
	.venv/bin/ruff check .
	.venv/bin/ruff format --check .
	.venv/bin/lint-imports

## make security: bandit (no medium/high finding) and pip-audit against uv.lock (.ci/security.py).
## The naughty-strings and axe-core gates are tests in `make test`.
security: venv
	UV=$(UV) .venv/bin/python .ci/security.py

format:
	.venv/bin/ruff check --fix .
	.venv/bin/ruff format .
