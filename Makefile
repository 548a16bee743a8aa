# Two commands for a fresh machine:
#   make demo   installs dataport in .venv and runs `dataport demo` (SQLite under ~/.dataport)
#   make test   lints, type-checks, and runs the whole suite on SQLite and on PostgreSQL
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell sha256sum pyproject.toml | cut -c1-12)
PG_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/test

.PHONY: demo test lint typecheck test-sqlite test-postgres suite-sqlite suite-postgres postgres fonts browser install bench-classify

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

TEST_TMP ?= $(or $(TMPDIR),/tmp)/dataport-test-$(shell id -u)
PYTEST_SQLITE := mkdir -p $(TEST_TMP) && $(BIN)/pytest --basetemp=$(TEST_TMP)/sqlite
PYTEST_POSTGRES := mkdir -p $(TEST_TMP) && DATAPORT_TEST_DATABASE_URL=$(PG_URL) $(BIN)/pytest --basetemp=$(TEST_TMP)/postgres

test-sqlite: $(STAMP) fonts browser
	$(PYTEST_SQLITE)

postgres:
	bash scripts/ensure-postgres

# PDF reports need a CJK font (fonts-noto-cjk) for their Chinese text.
fonts:
	bash scripts/ensure-fonts

# The console's browser tests drive Debian's Chromium (and need a CJK font to render Chinese).
browser:
	bash scripts/ensure-browser

test-postgres: $(STAMP) postgres fonts browser
	$(PYTEST_POSTGRES)

# The two runs share nothing (own temporary folders; SQLite files against PostgreSQL schemas),
# and each keeps about one core busy: side by side they take the time of the longer one.
# Each run's output is printed whole when it ends.
test: lint typecheck $(STAMP) postgres fonts browser
	$(MAKE) --no-print-directory -j2 --output-sync=target suite-sqlite suite-postgres

# The suites alone, once their prerequisites are in place.
suite-sqlite:
	$(PYTEST_SQLITE)

suite-postgres:
	$(PYTEST_POSTGRES)

# Scanner benchmarks (1 GB CSV and Parquet, Presidio, accuracy): results in bench/results/.
bench-classify: $(STAMP)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev,bench]'
	$(BIN)/python bench/classify.py
