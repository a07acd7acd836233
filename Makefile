# One task runner: `make run` and `make test` are all a fresh clone needs.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
DB     ?= $(or $(CHIPWATCH_DB),data/chipwatch.db)
PORT   ?= 8501

.PHONY: run test test-fast lint bench install install-dev chromium clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(VENV)/.installed: $(BIN)/python pyproject.toml
	$(BIN)/pip install -q -e .
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed
	$(BIN)/pip install -q -e '.[dev]'
	touch $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

## make run: install, load the bundled synthetic demo if the database is empty, serve the dashboard
run: install
	$(BIN)/chipwatch --db $(DB) demo --bundled --if-empty
	CHIPWATCH_DB=$(DB) $(BIN)/python -m dashboard.serve --server.port $(PORT)

## make test: install dev deps and Debian's chromium when missing, run the whole suite
chromium:
	@if [ ! -x /usr/bin/chromium ]; then \
		echo "Installing Debian chromium for the browser tests"; \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -q && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -q chromium; \
	fi

test: install-dev chromium
	$(BIN)/python -m pytest -q

## make test-fast: the suite without the browser tests, for a quick local loop
test-fast: install-dev
	$(BIN)/python -m pytest -q -m "not browser and not slow"

lint: install-dev
	$(BIN)/ruff check dashboard tests bench
	$(BIN)/ruff format --check dashboard tests bench

bench: install-dev chromium
	$(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) artefacts .pytest_cache
