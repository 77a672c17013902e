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
# The OpenAPI generator is build-time code (tools/), outside the layer: it reads notes_core from it.
OPENAPI := PYTHONPATH=layers/core $(PY) -m tools.openapi.generate
SOAK_EXAMPLES ?= 2000
CLIENT_SOAK_EXAMPLES ?= 200
FUZZ_EXAMPLES ?= 100

.PHONY: help run test lint unit integration property e2e client template soak fuzz bench openapi invoke sam-env build deploy clean

help:  ## list the targets
	@grep -E '^[a-z0-9-]+:.*## ' $(MAKEFILE_LIST) | sed -E 's/^([a-z0-9-]+):.*## (.*)/  make \1\t\2/' | expand -t 24

run: $(VENV)/.installed  ## serve the local stack on HOST (127.0.0.1): the API on PORT (3000), moto on MOTO_PORT (5000)
	$(PY) -m local

# The tiers run TEST_JOBS at a time (2: this machine's cores), longest first; each tier's output is
# printed whole when it ends. One failing tier fails the run.
TEST_JOBS ?= 2
test:  ## lint and run every test tier (TEST_JOBS at a time)
	$(MAKE) --no-print-directory -j$(TEST_JOBS) --output-sync=target integration e2e property client template lint unit

$(VENV)/.installed: requirements/dev.txt layers/core/requirements.txt layers/images/requirements.txt layers/jwt/requirements.txt clients/python/pyproject.toml
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

lint: $(VENV)/.installed node_modules/.installed  ## ruff, mypy, asl-validator, the OpenAPI document being current
	node_modules/.bin/asl-validator $(foreach f,$(wildcard statemachines/*.asl.json),--json-path $(f))
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	$(OPENAPI) --check --errors docs/errors.md

unit: $(VENV)/.installed  ## the tests that need no AWS
	$(PYTEST) tests/unit

integration: $(VENV)/.installed  ## every handler in-process against moto
	$(PYTEST) tests/integration

property: $(VENV)/.installed  ## devices editing offline and syncing: the same examples every run
	$(PYTEST) tests/property

# The generated clients' test compiles TypeScript with node_modules' tools; tests/e2e/test_sam_env.py
# has sam-cli (its own virtualenv) make a container's environment.
e2e: $(VENV)/.installed node_modules/.installed $(SAM_VENV)/.installed  ## the local stack over HTTP
	$(PYTEST) tests/e2e

# The reference client's own tests (no server), then the client as devices against a local stack.
client: $(VENV)/.installed  ## the reference client (clients/python): its tests, then mirrors and devices over a local stack
	$(PYTEST) clients/python/tests tests/client

# cfn-lint, sam validate --lint, sam build (no container) and the template's own tests.
template: $(VENV)/.installed $(SAM_VENV)/.installed  ## cfn-lint, sam validate --lint, sam build, the template's tests
	$(VENV)/bin/cfn-lint template.yaml
	$(SAM_ENV) $(SAM) validate --lint --region us-east-1
	$(SAM_ENV) $(SAM) build --build-dir .aws-sam/build
	$(PYTEST) tests/template

soak: $(VENV)/.installed  ## the property tier at SOAK_EXAMPLES (2000) examples (its client devices at CLIENT_SOAK_EXAMPLES, 200), new ones each run; the client tier's devices too
	NOTES_SYNC_EXAMPLES=$(SOAK_EXAMPLES) NOTES_SYNC_CLIENT_PROPERTY_EXAMPLES=$(CLIENT_SOAK_EXAMPLES) NOTES_SYNC_HYPOTHESIS=explore $(PYTEST) tests/property
	NOTES_SYNC_CLIENT_EXAMPLES=$(CLIENT_SOAK_EXAMPLES) NOTES_SYNC_CLIENT_SEED=$$RANDOM$$RANDOM $(PYTEST) tests/client/test_devices.py

fuzz: $(VENV)/.installed  ## schemathesis against a local stack at FUZZ_EXAMPLES (100) examples per operation
	NOTES_SYNC_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) $(PYTEST) -s tests/e2e/test_openapi_fuzz.py

bench: $(VENV)/.installed  ## the benchmarks: figures to bench/results/
	$(PY) -m bench.cold_start
	$(PY) -m bench.sync_cost
	$(PY) -m bench.deletion
	$(PY) -m bench.body_checks
	$(PY) -m bench.image_check
	$(PY) -m bench.merge_quality
	$(PY) -m bench.merge_worst_cases
	$(PY) -m bench.poke_latency
	$(PY) -m bench.cost

openapi: $(VENV)/.installed  ## regenerate the OpenAPI document (functions/openapi/openapi.json) and docs/errors.md
	$(OPENAPI) --errors docs/errors.md

# One function with an event, as `sam local invoke FUNCTION -e EVENT` would run it, without Docker:
# in this process, against a fresh local stack of its own. The quick loop (a fixture, a breakpoint);
# to run it in Lambda's container against the running stack, `make sam-env` and `sam local invoke`.
# stdout carries the function's answer alone (`make invoke ... | jq`): no recipe line is echoed, and
# whatever creating the virtualenv prints goes to stderr.
invoke:  ## FUNCTION=<logical id> [EVENT=events/<file>.json]: invoke one function, no Docker
	@test -n "$(FUNCTION)" || { echo "usage: make invoke FUNCTION=NotesCreateFunction [EVENT=events/notes_create.json]" >&2; exit 2; }
	@$(MAKE) --no-print-directory --question $(VENV)/.installed || $(MAKE) --no-print-directory $(VENV)/.installed >&2
	@$(PY) -m local.invoke $(FUNCTION) $(EVENT)

# The --env-vars file of `sam local invoke` for the running local stack: a function in Lambda's own
# container (Docker) calling the stack (docs/local-stack.md).
sam-env: $(VENV)/.installed  ## with `make run` up: local/sam-env.json for sam local invoke [SAM_DOCKER=host|desktop]
	$(PY) -m local.sam_env

build: $(SAM_VENV)/.installed  ## sam build (no container: the layer is built for arm64 from wheels)
	$(SAM_ENV) $(SAM) build

# The region is checked first, where sam looks for it (tools/deploy_region.py, with sam's own
# botocore), so a deploy without one says what is missing before anything is built.
DEPLOY_OPTIONS = $(if $(CONFIG_ENV),--config-env $(CONFIG_ENV)) $(if $(REGION),--region $(REGION))
deploy: $(SAM_VENV)/.installed  ## sam deploy [CONFIG_ENV=prod] [REGION=eu-west-1] (dev by default; samconfig.toml)
	@$(SAM_VENV)/bin/python tools/deploy_region.py $(DEPLOY_OPTIONS)
	$(MAKE) --no-print-directory build
	$(SAM_ENV) $(SAM) deploy $(DEPLOY_OPTIONS)

clean:  ## remove build output and caches
	rm -rf .aws-sam .pytest_cache .mypy_cache .ruff_cache .hypothesis
