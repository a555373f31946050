# astronomer-dr: every command a recovery needs. `make help` lists them.
STACK ?= gcp
PYTHON ?= python3
# Three virtualenvs, each installed only from its hash-locked requirements file (`make lock`
# writes them from the *.in files; pip refuses any package whose hash is not in the lock):
#   venv/         what `pulumi up` runs (Pulumi.yaml: runtime.options.virtualenv), requirements.txt
#   policy/venv/  the DR guardrails pack (policy/PulumiPolicy.yaml), policy/requirements.txt
#   venv-dev/     tests and tools (make test/plan/bench/drill), requirements-dev.txt
VENV := venv
BIN := $(VENV)/bin
POLICY_VENV := policy/venv
DEV_VENV := venv-dev
DEV_BIN := $(DEV_VENV)/bin
LOCK_VENV := .venv-lock
PIP_INSTALL := -m pip install --quiet --disable-pip-version-check --require-hashes -r
# `uv pip compile` options of every lock: hashes, and markers for every platform from Python 3.11 on.
LOCK_OPTS := --quiet --generate-hashes --universal --python-version 3.11 $(if $(filter 1,$(UPGRADE)),--upgrade)
# The policy pack every preview and update runs with (policy/README.md).
POLICY_PACK := --policy-pack policy
# State: PULUMI_BACKEND_URL when it is set, otherwise Pulumi.yaml's `backend.url`, the local
# directory .pulumi-state/. Plain `pulumi` commands run here resolve the same way (docs/CONFIG.md,
# "State backend"), so make and the runbook's commands always reach the same stacks.

.PHONY: help cli venv policy dev typecache backend stack up preview test types suite bench plan drill adopt lock

help:
	@echo "make up STACK=gcp|aws|<env>   set up the venvs and state backend, select the stack, pulumi up --policy-pack policy"
	@echo "make preview STACK=...        the same, pulumi preview --diff --policy-pack policy"
	@echo "make test                     build venv-dev/, then lint (ruff check), format check (ruff format --check), workflow audit (zizmor), type check (mypy), the test suite"
	@echo "make types                    the type check alone (mypy)"
	@echo "make suite                    the test suite alone (pytest on two workers)"
	@echo "make typecache                mypy's cache of the installed packages' types (once per venv-dev/ build; make test/types run it)"
	@echo "make bench                    time evaluating each stack offline against importing the SDKs"
	@echo "make plan STACK=... [REF=rev]  offline plan (no CLI, no cloud): resource tree, DR summary, recovery order; with REF only what changed"
	@echo "make drill STACK=... AT=<RFC 3339 time within the restore window>|BACKUP=<id> [PROJECT=<gcp drill project>] [PHASE=...] [DEPLOYMENTS=1] [RUN=1] [RECORD=1]  restore drill in a throwaway stack (docs/RUNBOOK.md): prints the steps, runs them with RUN=1; RECORD=1 after a restore: measured beside modelled minutes"
	@echo "make adopt STACK=... [CHECK=preview.json]  adopt a running installation (docs/ADOPTION.md): write adopt-<stack>.json for pulumi import; with CHECK refuse a preview that replaces or deletes data"
	@echo "make lock [UPGRADE=1]         rewrite the hash-locked requirements files from the *.in files (UPGRADE=1: newest allowed versions)"

cli:
	@command -v pulumi >/dev/null || { echo "the Pulumi CLI is not installed: https://www.pulumi.com/docs/install/"; exit 1; }

$(BIN)/.installed: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python $(PIP_INSTALL) requirements.txt
	touch $@

$(POLICY_VENV)/bin/.installed: policy/requirements.txt
	$(PYTHON) -m venv $(POLICY_VENV)
	$(POLICY_VENV)/bin/python $(PIP_INSTALL) policy/requirements.txt
	touch $@

$(DEV_BIN)/.installed: requirements-dev.txt
	$(PYTHON) -m venv $(DEV_VENV)
	$(DEV_BIN)/python $(PIP_INSTALL) requirements-dev.txt
	touch $@

# mypy's cache of the installed packages' types (tools/typecache.py; pyproject.toml `cache_dir`):
# minutes once per venv-dev/ build, so that the type check of `make test` and `make types` reads
# only the project's files. Its stamp is inside the cache: removing the cache refills it.
TYPECACHE := $(DEV_VENV)/mypy-cache/.filled
$(TYPECACHE): $(DEV_BIN)/.installed
	$(DEV_BIN)/python -m tools.typecache
	touch $@

venv: $(BIN)/.installed
policy: $(POLICY_VENV)/bin/.installed
dev: $(DEV_BIN)/.installed
typecache: $(TYPECACHE)

backend:
	@if [ -n "$$PULUMI_BACKEND_URL" ]; then \
	  echo "state backend: $$PULUMI_BACKEND_URL (PULUMI_BACKEND_URL)"; \
	else \
	  mkdir -p .pulumi-state; \
	  echo "state backend: $$(sed -n 's/^  url: *//p' Pulumi.yaml) (Pulumi.yaml backend.url; set PULUMI_BACKEND_URL for a shared bucket)"; \
	fi

stack: cli venv policy backend
	pulumi stack select --create $(STACK)

up: stack
	pulumi up --stack $(STACK) $(POLICY_PACK)

preview: stack
	pulumi preview --stack $(STACK) --diff $(POLICY_PACK)

# Lint and format check first (a second; their configuration: pyproject.toml), the workflows'
# security audit (zizmor, offline: its online audits would need a GitHub token), then the type check
# and the suite side by side (`make -j2`: mypy's seconds overlap the suite's instead of adding to them).
test: dev typecache
	$(DEV_BIN)/ruff check .
	$(DEV_BIN)/ruff format --check .
	$(DEV_BIN)/zizmor --offline --quiet .github/workflows
	@$(MAKE) --no-print-directory -j2 types suite

# The type check alone (configuration: pyproject.toml, [tool.mypy]).
types: dev typecache
	$(DEV_BIN)/mypy --python-executable $(DEV_BIN)/python

# The suite alone, on two workers (pytest-xdist; PYTEST_WORKERS=0 runs it in one process).
PYTEST_WORKERS ?= 2
suite: dev
	$(DEV_BIN)/python -m pytest -n $(PYTEST_WORKERS) --dist loadfile

bench: dev
	$(DEV_BIN)/python -m tools.bench

plan: dev
	@$(DEV_BIN)/python -m tools.plan $(STACK) $(if $(REF),--diff-against $(REF))

drill: dev $(if $(filter 1,$(RUN)),cli venv policy backend)
	@$(DEV_BIN)/python -m tools.drill $(STACK) $(if $(AT),--at $(AT)) $(if $(BACKUP),--backup $(BACKUP)) $(if $(PROJECT),--project $(PROJECT)) $(if $(PHASE),--phase $(PHASE)) $(if $(filter 1,$(DEPLOYMENTS)),--deployments) $(if $(filter 1,$(RUN)),--run) $(if $(filter 1,$(RECORD)),--record)

adopt: dev
	@$(DEV_BIN)/python -m tools.adopt $(STACK) $(if $(CHECK),--check-preview $(CHECK))

# One command after any change to a *.in file (a new dependency, a new bound): every lock is
# rewritten in order (the program's, the pack's, the tests' and tools', which reuse the first
# two's versions). Versions already locked stay unless a bound moved them or UPGRADE=1.
lock:
	$(PYTHON) -m venv $(LOCK_VENV)
	$(LOCK_VENV)/bin/python $(PIP_INSTALL) requirements-lock.txt
	$(LOCK_VENV)/bin/uv pip compile $(LOCK_OPTS) requirements.in -o requirements.txt
	$(LOCK_VENV)/bin/uv pip compile $(LOCK_OPTS) policy/requirements.in -o policy/requirements.txt
	$(LOCK_VENV)/bin/uv pip compile $(LOCK_OPTS) requirements-dev.in -o requirements-dev.txt
	$(LOCK_VENV)/bin/uv pip compile $(LOCK_OPTS) requirements-lock.in -o requirements-lock.txt
