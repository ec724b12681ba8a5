# Two commands for a fresh machine (see README):
#   make run    install everything and serve the platform with demo data at http://127.0.0.1:8000
#   make test   install everything and run lint + the whole test suite on SQLite and PostgreSQL

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: run test setup setup-dev assets bench clean

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e .
	touch $@

$(BIN)/.installed-dev: $(BIN)/.installed
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

assets: $(BIN)/.installed node_modules/.installed
	$(BIN)/amtsweg build-assets

setup: assets

setup-dev: $(BIN)/.installed-dev assets

run: setup
	DEMO_DATA=$${DEMO_DATA:-true} TEST_EID_ENABLED=$${TEST_EID_ENABLED:-true} $(BIN)/amtsweg run

test: setup-dev
	scripts/test.sh

bench: setup-dev
	$(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) node_modules src/amtsweg/static/vendor
