# Kurashi — two commands: `make run` and `make test`. Everything else is optional.
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV ?= .venv
BIN := $(VENV)/bin
# Python 3.12 or newer: pyenv's choice from .python-version first, then python3.13/3.12 on PATH.
PYTHON ?= $(shell for p in "$$(pyenv which python 2>/dev/null)" python3.13 python3.12 python3; do \
	  [ -n "$$p" ] && command -v "$$p" >/dev/null 2>&1 && "$$p" -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null && { echo "$$p"; break; }; \
	done)
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: help run test install lint typecheck contracts migrations-check unit e2e bench messages clean

help:
	@echo "make run    install into $(VENV), migrate, load the Saga demo data, serve on http://$(HOST):$(PORT)/ with a task worker"
	@echo "make test   lint, type check, import contracts, migration check and the whole test suite (incl. e2e in Chromium)"
	@echo "other: make install | lint | typecheck | contracts | unit | e2e | bench | messages | clean"

$(BIN)/kurashi: pyproject.toml
	@if [ -z "$(PYTHON)" ]; then echo "Kurashi needs Python 3.12 or newer (none found; install one, e.g. with pyenv)."; exit 1; fi
	@echo "Using $(PYTHON) ($$($(PYTHON) --version))"
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet --progress-bar on -e '.[dev]'
	@touch $(BIN)/kurashi

install: $(BIN)/kurashi

run: install
	$(BIN)/kurashi migrate --no-input
	$(BIN)/kurashi demo
	$(BIN)/kurashi run --host $(HOST) --port $(PORT)

lint: install
	$(BIN)/ruff check kurashi e2e bench
	$(BIN)/ruff format --check kurashi e2e bench

typecheck: install
	$(BIN)/mypy kurashi

contracts: install
	$(BIN)/lint-imports

migrations-check: install
	KURASHI_TESTING=1 $(BIN)/kurashi makemigrations --check --dry-run
	@! ls kurashi/*/migrations/*_auto_* kurashi/modules/*/migrations/*_auto_* 2>/dev/null | grep . || { echo "Name migrations (--name); auto names are rejected."; exit 1; }

unit: install
	$(BIN)/pytest -n 2 -q

e2e: install
	$(BIN)/pytest e2e -q -p no:xdist

test: lint typecheck contracts migrations-check unit e2e

bench: install
	@for b in bench/bench_*.py; do $(BIN)/python $$b; done

# Japanese catalogues: kurashi/locale for core, portal and plan; modules/<m>/locale for each module that has one.
messages: install
	cd kurashi && $(CURDIR)/$(BIN)/kurashi makemessages -l ja --no-obsolete -i "modules/*" -i "testing/*" -i "*/tests/*"
	for d in kurashi/modules/*/locale; do (cd $$(dirname $$d) && $(CURDIR)/$(BIN)/kurashi makemessages -l ja --no-obsolete -i "tests/*"); done
	cd kurashi && $(CURDIR)/$(BIN)/kurashi compilemessages -l ja

clean:
	rm -rf $(VENV) var/static .pytest_cache .mypy_cache .ruff_cache
