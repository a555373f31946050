# astronomer-dr: every command a recovery needs. `make help` lists them.
STACK ?= gcp
PYTHON ?= python3
VENV := venv
BIN := $(VENV)/bin
# State goes to a local file backend unless the environment names a shared one
# (gs://bucket or s3://bucket); see README, "State backend".
export PULUMI_BACKEND_URL ?= file://$(CURDIR)/.pulumi-state

.PHONY: help venv backend stack up preview test bench plan drill

help:
	@echo "make up STACK=gcp|aws|<env>   set up venv and state backend, select the stack, run pulumi up"
	@echo "make preview STACK=...        the same, pulumi preview"
	@echo "make test                     build the venv and run the test suite"
	@echo "make bench                    time evaluating each stack offline against importing the SDKs"
	@echo "make plan STACK=... [REF=rev]  offline plan (no CLI, no cloud): resource tree, DR summary, recovery order; with REF only what changed"
	@echo "make drill STACK=... AT=<time>|BACKUP=<id> [PHASE=...] [DEPLOYMENTS=1] [RUN=1]  restore drill in a throwaway stack (docs/RUNBOOK.md): prints the steps, runs them with RUN=1"

$(BIN)/.installed: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

venv: $(BIN)/.installed

backend:
	@case "$(PULUMI_BACKEND_URL)" in file://*) mkdir -p "$(patsubst file://%,%,$(PULUMI_BACKEND_URL))";; esac
	@echo "state backend: $(PULUMI_BACKEND_URL)"

stack: venv backend
	@command -v pulumi >/dev/null || { echo "the Pulumi CLI is not installed: https://www.pulumi.com/docs/install/"; exit 1; }
	pulumi stack select --create $(STACK)

up: stack
	pulumi up --stack $(STACK)

preview: stack
	pulumi preview --stack $(STACK) --diff

test: venv
	$(BIN)/python -m pytest

bench: venv
	$(BIN)/python -m tools.bench

plan: venv
	@$(BIN)/python -m tools.plan $(STACK) $(if $(REF),--diff-against $(REF))

drill: venv
	@$(BIN)/python -m tools.drill $(STACK) $(if $(AT),--at $(AT)) $(if $(BACKUP),--backup $(BACKUP)) $(if $(PHASE),--phase $(PHASE)) $(if $(filter 1,$(DEPLOYMENTS)),--deployments) $(if $(filter 1,$(RUN)),--run)
