# notes-sync: `make run` serves the local stack, `make test` lints and runs every test tier.
# Both create the virtualenvs they need first (Python 3.12; sam-cli in its own, it pins boto3).

SHELL := /bin/bash
PYTHON312 ?= $(firstword $(wildcard $(HOME)/.pyenv/versions/3.12*/bin/python3.12) $(shell command -v python3.12 2>/dev/null))
VENV := .venv
SAM_VENV := .venv-sam
PY := $(VENV)/bin/python
SAM := $(SAM_VENV)/bin/sam
# sam build needs a python3.12 on PATH: the sam virtualenv's own.
SAM_ENV := PATH="$(CURDIR)/$(SAM_VENV)/bin:$$PATH" SAM_CLI_TELEMETRY=0
PYTEST := $(PY) -m pytest
SOAK_EXAMPLES ?= 2000

.PHONY: run test lint unit integration property e2e template soak bench openapi build clean

run: $(VENV)/.installed
	$(PY) -m local

test: lint unit integration property e2e template

$(VENV)/.installed: requirements/dev.txt layers/core/requirements.txt
	@test -n "$(PYTHON312)" || { echo "Python 3.12 not found (set PYTHON312=/path/to/python3.12)"; exit 1; }
	test -x $(PY) || $(PYTHON312) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements/dev.txt
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

$(SAM_VENV)/.installed: requirements/sam.txt
	@test -n "$(PYTHON312)" || { echo "Python 3.12 not found (set PYTHON312=/path/to/python3.12)"; exit 1; }
	test -x $(SAM_VENV)/bin/python || $(PYTHON312) -m venv $(SAM_VENV)
	$(SAM_VENV)/bin/python -m pip install --quiet --disable-pip-version-check -r requirements/sam.txt
	touch $@

lint: $(VENV)/.installed node_modules/.installed
	node_modules/.bin/asl-validator $(foreach f,$(wildcard statemachines/*.asl.json),--json-path $(f))
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	cd layers/core && ../../$(PY) -m notes_core.openapi.generate --check || { echo "openapi.json is stale: run make openapi"; exit 1; }

unit: $(VENV)/.installed
	$(PYTEST) tests/unit

integration: $(VENV)/.installed
	$(PYTEST) tests/integration

property: $(VENV)/.installed
	$(PYTEST) tests/property

e2e: $(VENV)/.installed
	$(PYTEST) tests/e2e

# cfn-lint, sam validate --lint, sam build (no container) and the template's own tests.
template: $(VENV)/.installed $(SAM_VENV)/.installed
	$(VENV)/bin/cfn-lint template.yaml
	$(SAM_ENV) $(SAM) validate --lint --region us-east-1
	$(SAM_ENV) $(SAM) build --build-dir .aws-sam/build
	$(PYTEST) tests/template

soak: $(VENV)/.installed
	NOTES_SYNC_EXAMPLES=$(SOAK_EXAMPLES) $(PYTEST) tests/property

bench: $(VENV)/.installed
	$(PY) -m bench.cold_start
	$(PY) -m bench.sync_cost
	$(PY) -m bench.deletion

openapi: $(VENV)/.installed
	cd layers/core && ../../$(PY) -m notes_core.openapi.generate

build: $(SAM_VENV)/.installed
	$(SAM_ENV) $(SAM) build

clean:
	rm -rf .aws-sam .pytest_cache .mypy_cache .ruff_cache .hypothesis
