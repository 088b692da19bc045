# Manabi — everything a developer runs. Needs only Python 3.11+ on the machine.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install run stop worker test check lint typecheck openapi openapi-check migrate seed bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV) || { $(PYTHON) -m pip install --quiet --user virtualenv && $(PYTHON) -m virtualenv $(VENV); }
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)

## make run: embedded PostgreSQL (unless DATABASE_URL is set), migrations, demo data, worker,
## SMTP sink, API on http://127.0.0.1:8000 (docs at /docs). Ctrl-C stops all but the database.
run: $(STAMP)
	$(BIN)/python scripts/dev.py run

## make stop: stop the embedded PostgreSQL (data stays under .devdb/).
stop: $(STAMP)
	$(BIN)/python scripts/devdb.py stop

worker: $(STAMP)
	$(BIN)/python scripts/dev.py worker

migrate: $(STAMP)
	$(BIN)/python scripts/dev.py migrate

seed: $(STAMP)
	$(BIN)/python scripts/dev.py seed

## make test: the whole suite on real PostgreSQL (embedded unless DATABASE_URL is set).
test: $(STAMP)
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check app tests scripts migrations bench
	$(BIN)/ruff format --check app tests scripts migrations bench

typecheck: $(STAMP)
	$(BIN)/mypy app

openapi: $(STAMP)
	$(BIN)/python scripts/export_openapi.py write

openapi-check: $(STAMP)
	$(BIN)/python scripts/export_openapi.py check

## make bench: load benchmark — the app against a bare FastAPI + asyncpg ceiling, as ratios.
## Embedded PostgreSQL under .benchdb/ (unless DATABASE_URL is set), wrk installed if missing.
## ~5 minutes on 2 cores the first time; BENCH_ARGS="--quick" for a small dataset, short runs.
bench: $(STAMP)
	$(BIN)/python bench/run.py $(BENCH_ARGS)

## make check: what CI and a reviewer expect before a commit.
check: lint typecheck test openapi-check

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
