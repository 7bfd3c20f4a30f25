# Two commands do all the set-up on a fresh machine with only Python 3.11:
#   make run    create .venv, install, migrate, load the demo on first run, serve on 127.0.0.1:$(PORT)
#               with the notification worker (reminders, digests, e-mail, webhooks) beside it
#   make test   lint, types, the import rule, migrations check and the whole test suite

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
HOST ?= 127.0.0.1
TEST_DATA := $(CURDIR)/build/test-data

.PHONY: run test check lint types imports migrations pytest clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(VENV)/.installed-run: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e '.[dev]'
	touch $(VENV)/.installed-run $@

run: $(VENV)/.installed-run
	$(BIN)/backcast demo --if-empty
	$(BIN)/backcast serve --host $(HOST) --port $(PORT) --worker

test: $(VENV)/.installed-dev lint types imports migrations pytest

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

types: $(VENV)/.installed-dev
	BACKCAST_DATA_DIR=$(TEST_DATA) $(BIN)/mypy src tests

imports: $(VENV)/.installed-dev
	$(BIN)/lint-imports

migrations: $(VENV)/.installed-dev
	BACKCAST_DATA_DIR=$(TEST_DATA) DATABASE_URL= $(BIN)/backcast manage makemigrations --check --dry-run

# The planning core must stay at 100% branch coverage: the run fails below it.
# Tests that need a PostgreSQL server of their own run in CI's PostgreSQL pass (.ci/run).
pytest: $(VENV)/.installed-dev
	BACKCAST_DATA_DIR=$(TEST_DATA) $(BIN)/pytest -q -m "not postgres" --cov=backcast.planning --cov-branch \
		--cov-report=term:skip-covered --cov-fail-under=100

clean:
	rm -rf $(VENV) build .pytest_cache .mypy_cache .ruff_cache
