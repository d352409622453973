# The two commands the README promises: `make run` and `make test`.
# Every install step the product needs lives here, so a fresh machine works.

SHELL := /bin/bash
PYTHON ?= python3.11
VENV ?= .venv
BIN := $(VENV)/bin
export REFLEX_BUN_PATH := $(CURDIR)/node_modules/.bin/bun
export REFLEX_TELEMETRY_ENABLED := false
export REFLEX_CHECK_LATEST_VERSION := false
export REFLEX_DIR := $(CURDIR)/.reflex-home
export BUN_INSTALL_CACHE_DIR := $(CURDIR)/.bun-cache

.PHONY: setup node browser run test lint bench clean

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $@

node: node_modules/.installed

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $@

# Debian's Chromium for the browser tests; Playwright's own download cannot work here.
browser:
	@command -v chromium >/dev/null 2>&1 || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

run: setup node
	./scripts/run-product

test: setup node browser
	./scripts/run-tests

lint: setup
	$(BIN)/ruff check backend shared_types frontend tests
	$(BIN)/ruff format --check backend shared_types frontend tests

# The full set; each writes bench/results/<name>.json, .md and .png (bench/README.md).
bench: setup
	$(BIN)/python -m bench.bench_documents 500 --ceiling 4000
	$(BIN)/python -m bench.bulk_send --employees 1000 --name bulk_send_1000
	$(BIN)/python -m bench.bulk_send --employees 10000
	$(BIN)/python -m bench.profile --employees 10000
	$(BIN)/python -m bench.scale_out --employees 10000
	$(BIN)/python -m bench.status_page --db sqlite --rows 100000
	$(BIN)/python -m bench.status_page --db postgresql --rows 1000000
	$(BIN)/python -m bench.status_page --db sqlite --rows 100000
	$(BIN)/python -m bench.status_page --db postgresql --rows 1000000

clean:
	rm -rf var .web .states .reflex-home .bun-cache
