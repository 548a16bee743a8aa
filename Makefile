# Two commands for a fresh machine:
#   make demo   installs dataport in .venv and runs `dataport demo` (SQLite under ~/.dataport)
#   make test   lints, type-checks, and runs the whole suite on SQLite and on PostgreSQL
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell sha256sum pyproject.toml | cut -c1-12)
PG_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/test

.PHONY: demo test lint typecheck test-sqlite test-postgres postgres fonts browser install bench-classify

install: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

demo: $(STAMP) fonts
	$(BIN)/dataport demo

lint: $(STAMP)
	$(BIN)/ruff check src tests
	$(BIN)/ruff format --check src tests

typecheck: $(STAMP)
	$(BIN)/mypy

test-sqlite: $(STAMP) fonts browser
	$(BIN)/pytest

postgres:
	bash scripts/ensure-postgres

# PDF reports need a CJK font (fonts-noto-cjk) for their Chinese text.
fonts:
	bash scripts/ensure-fonts

# The console's browser tests drive Debian's Chromium (and need a CJK font to render Chinese).
browser:
	bash scripts/ensure-browser

test-postgres: $(STAMP) postgres fonts browser
	DATAPORT_TEST_DATABASE_URL=$(PG_URL) $(BIN)/pytest

test: lint typecheck test-sqlite test-postgres

# Scanner benchmarks (1 GB CSV and Parquet, Presidio, accuracy): results in bench/results/.
bench-classify: $(STAMP)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev,bench]'
	$(BIN)/python bench/classify.py
