# PinConsole's developer commands. The README's two commands are `make demo` and `make test`.
#
#   make demo         install, migrate, seed demo data, serve at http://localhost:3000
#   make test         install, then run the whole suite (unit, PostgreSQL, slapd, browser)
#   make test-fast    the suite without the browser tests (no frontend build)
#   make test T="tests/unit -k refs"    any subset, arguments passed to pytest as they are
#   make lint         ruff check and ruff format --check
#   make bench        every benchmarks/*_bench.py
#   make bench-catalog  the catalog benchmark (ARGS="--backend postgres --scale 0.1")
#   make bench-ui     the UI load benchmark: 50, 100, 200 browser sessions against one worker and
#                     against three with Redis (~15 min; ARGS="--sessions 20 --workers 1" to choose)
#   make lock         regenerate requirements.lock from pyproject.toml
#   make manifests    regenerate deploy/kubernetes's copies of deploy/crds and deploy/nginx.conf

SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
PORT ?= 3000
# Two workers on the usual two cores; browser tests stay together in one worker (xdist_group).
PYTEST_WORKERS ?= 2
T ?=
# Python only: code blocks in docs/*.md are examples, not formatted source.
LINT_PATHS := $(wildcard pinconsole tests scripts benchmarks alembic rxconfig.py)

export REFLEX_USE_NPM := 1
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)

.PHONY: bootstrap demo serve test test-fast lint format bench bench-catalog bench-ui lock screenshots \
	settings-table manifests

bootstrap:
	@bash scripts/bootstrap.sh

# In the demo the Platform department (and its teams, through nesting) administers the console.
demo: export PINCONSOLE_ADMIN_GROUP ?= group:default/platform
demo: bootstrap
	$(VENV)/bin/pinconsole db upgrade
	$(VENV)/bin/pinconsole demo seed
	$(VENV)/bin/pinconsole serve --port $(PORT)

serve: bootstrap
	$(VENV)/bin/pinconsole serve --port $(PORT)

test: bootstrap
	@$(PY) -m pytest -n $(PYTEST_WORKERS) --dist loadgroup --durations=10 $(T)

test-fast: bootstrap
	@$(PY) -m pytest -n $(PYTEST_WORKERS) --dist loadgroup -m "not e2e" $(T)

lint: bootstrap
	$(VENV)/bin/ruff check $(LINT_PATHS)
	$(VENV)/bin/ruff format --check $(LINT_PATHS)

format: bootstrap
	$(VENV)/bin/ruff check --fix $(LINT_PATHS)
	$(VENV)/bin/ruff format $(LINT_PATHS)

bench: bootstrap
	@set -e; for f in benchmarks/*_bench.py; do \
	  [ -e "$$f" ] || { echo "no benchmarks/*_bench.py yet"; break; }; \
	  echo "== $$f"; $(PY) "$$f"; \
	done

bench-catalog: bootstrap
	$(PY) benchmarks/catalog_bench.py $(ARGS)

# `make bench` runs the UI load benchmark's defaults (20 sessions, one worker, ~1.5 min).
UI_BENCH_ARGS := --sessions 50,100,200 --workers 1,3
bench-ui: bootstrap
	$(PY) benchmarks/ui_load_bench.py $(or $(ARGS),$(UI_BENCH_ARGS))

lock:
	$(PY) -m uv pip compile --quiet --python-version 3.11 pyproject.toml --extra test \
	  -o requirements.lock

screenshots: bootstrap
	$(PY) scripts/screenshots.py

settings-table: bootstrap
	$(PY) scripts/settings_table.py --write

manifests: bootstrap
	$(PY) scripts/k8s_manifests.py --write
