# Tandem: `make run` to start the assistant, `make test` for everything CI checks.
SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON := .venv/bin/python
MODEL := models/tandem.tar.gz
# pip, setuptools and wheel are not in a pip freeze; these match the working venv.
PIP_PINS := pip==24.0 setuptools==70.3.0 wheel==0.45.1
LINT_PATHS := $(wildcard bot actions core tests bench handoff)

# Quieter Rasa and TensorFlow, and no telemetry, for every command below.
export TF_CPP_MIN_LOG_LEVEL := 2
export RASA_TELEMETRY_ENABLED := false
export SQLALCHEMY_SILENCE_UBER_WARNING := 1
export PYTHONWARNINGS := ignore::DeprecationWarning

RASA := $(PYTHON) -m rasa
# Browser tests drive Debian's Chromium; nothing here downloads a browser.
CHROMIUM := /usr/bin/chromium

.PHONY: help venv train run shell lint validate check test test-unit test-integration \
        test-stories test-bot test-editor warm test-nlu test-gateway test-cluster test-security test-e2e test-browser \
        chromium webchat screenshots bench bench-reports bench-venv bench-load bench-soak clean

help:
	@echo "make venv      create .venv (Python 3.10) from requirements.lock"
	@echo "make train     train the model if config.yml, domain.yml or data/ changed"
	@echo "make run       start Redis, actions, Rasa and the gateway (Ctrl-C stops all)"
	@echo "               several: .venv/bin/python -m bot run --gateways 2 --rasa 2"
	@echo "make shell     chat with the bot in this terminal"
	@echo "make lint      ruff, mypy and the import layering (lint-imports)"
	@echo "make validate  Rasa's data validation, without training"
	@echo "make check     every content check, Rasa's and Tandem's, and the protocol docs' tables"
	@echo "make test-bot  story, conversation and FAQ tests, scenarios; report in reports/test-bot.md"
	@echo "               some only: .venv/bin/python -m bot test-bot tests/conversations/payment.yml"
	@echo "make warm      keep test-bot's private stack running, so each test-bot run reuses it"
	@echo "make test      everything: lint, unit, check, train, integration, gateway, test-bot, editor tools, e2e"
	@echo "make test-cluster   two gateways behind HAProxy, two Rasa servers, crashes, faults"
	@echo "make test-security  one test per attack, and fuzzing, against the real stack"
	@echo "make test-browser  the widget, the console and rasa-webchat in headless Chromium"
	@echo "make screenshots   refresh docs/img/ from the browser tests"
	@echo "make bench     latency benchmarks, and the reports' queries (bench-reports)"
	@echo "make bench-reports  the supervisors' reports on 100,000 archived conversations"
	@echo "make bench-load  load benchmark with Locust (long; flags: ARGS=\"--help\")"
	@echo "make bench-soak  MINUTES=30 of mixed load with faults on the cluster (not in make test)"
	@echo "make clean     remove models, results, logs and local data (not .venv)"

venv: .venv/.installed

# Rasa 3.6 runs on Python 3.10 only, and the load tool's venv uses the same Python. A recipe
# snippet: sets $py to a Python 3.10 or explains and fails. `python3.10` counts only if it
# runs: a pyenv shim exists on some machines without a 3.10 selected.
FIND_PYTHON310 = py=""; \
	if python3.10 -c 'import sys; assert sys.version_info[:2] == (3, 10)' >/dev/null 2>&1; then \
	  py=python3.10; \
	else \
	  root=$$(pyenv root 2>/dev/null || echo "$${PYENV_ROOT:-$$HOME/.pyenv}"); \
	  for candidate in "$$root"/versions/3.10.*/bin/python3.10; do \
	    if [ -x "$$candidate" ]; then py=$$candidate; fi; \
	  done; \
	fi; \
	if [ -z "$$py" ]; then \
	  echo "Python 3.10 not found; Rasa 3.6 needs it. Install it, e.g. 'pyenv install 3.10.13'" >&2; \
	  echo "or your system's python3.10 package (with venv), then run make again." >&2; \
	  exit 1; \
	fi

.venv/.installed: requirements.lock
	@$(FIND_PYTHON310); \
	if [ ! -x .venv/bin/python ]; then echo "Creating .venv with $$py"; "$$py" -m venv .venv; fi; \
	if ! .venv/bin/python -c 'import sys; assert sys.version_info[:2] == (3, 10)' 2>/dev/null; then \
	  echo ".venv is not a Python 3.10 environment; remove it and run 'make venv' again." >&2; \
	  exit 1; \
	fi; \
	.venv/bin/python -m pip install --quiet --disable-pip-version-check $(PIP_PINS); \
	echo "Installing $$(grep -c '==' requirements.lock) pinned packages from requirements.lock" \
	     "(a fresh install downloads TensorFlow: several minutes)..."; \
	.venv/bin/python -m pip install --disable-pip-version-check -r requirements.lock \
	  | { grep --line-buffered -v '^Requirement already satisfied' || true; }; \
	touch $@

# Locust in its own venv: its dependencies conflict with Rasa's pins (bench/requirements.lock).
bench-venv: .venv-bench/.installed

.venv-bench/.installed: bench/requirements.lock
	@$(FIND_PYTHON310); \
	if [ ! -x .venv-bench/bin/python ]; then echo "Creating .venv-bench with $$py"; "$$py" -m venv .venv-bench; fi; \
	if ! .venv-bench/bin/python -c 'import sys; assert sys.version_info[:2] == (3, 10)' 2>/dev/null; then \
	  echo ".venv-bench is not a Python 3.10 environment; remove it and run 'make bench-venv' again." >&2; \
	  exit 1; \
	fi; \
	.venv-bench/bin/python -m pip install --quiet --disable-pip-version-check $(PIP_PINS); \
	.venv-bench/bin/python -m pip install --quiet --disable-pip-version-check -r bench/requirements.lock; \
	touch $@

train: venv
	$(PYTHON) -m bot train

run: venv
	$(PYTHON) -m bot run

shell: venv
	$(PYTHON) -m bot shell

lint: venv
	$(PYTHON) -m ruff check $(LINT_PATHS)
	$(PYTHON) -m mypy $(LINT_PATHS)
	.venv/bin/lint-imports --no-cache

validate: venv
	$(PYTHON) -m bot validate

test: venv chromium webchat
	$(MAKE) --no-print-directory lint
	$(MAKE) --no-print-directory test-unit
	$(MAKE) --no-print-directory check
	$(MAKE) --no-print-directory train
	$(MAKE) --no-print-directory test-integration
	$(MAKE) --no-print-directory test-gateway
	$(MAKE) --no-print-directory test-cluster
	$(MAKE) --no-print-directory test-security
	$(MAKE) --no-print-directory test-bot
	$(MAKE) --no-print-directory test-editor
	$(MAKE) --no-print-directory test-e2e
	$(MAKE) --no-print-directory test-browser

test-unit: venv
	$(PYTHON) -m pytest tests/unit tests/handoff -q

# Real processes (redis-server, action server, Rasa with the model) on free ports. This and
# test-gateway use a private PostgreSQL (bot/postgres.py), the other suites SQLite: both engines
# are covered at no extra cost.
test-integration: train
	TANDEM_TEST_DATABASE=postgresql $(PYTHON) -m pytest tests/integration -q

test-stories: train
	$(RASA) test core --model $(MODEL) --stories tests/stories --fail-on-prediction-errors \
	  --out results/stories

# Every content check, Rasa's validation and Tandem's rules, in seconds (docs/editing.md); then
# that docs/protocol.md's event tables are what handoff/protocol.schema.json generates.
check: venv
	$(PYTHON) -m bot check
	$(PYTHON) -m bot protocol-docs --check

# The editors' story and conversation tests and each FAQ's (a private stack, or the warm one
# of `make warm`), the scenarios' task-completion figures (tests/scenarios/, measured, never
# failing), the held-out F1 and the understanding bars of test-nlu (so `test` runs it once),
# with their report, reports/test-bot.md: content results only.
test-bot: train
	$(PYTHON) -m bot test-bot

# The tests of the editors' tools themselves (check, the test runner, the report, suggest,
# shell): the project's code, so `make test` runs them, not `make test-bot`.
test-editor: train
	$(PYTHON) -m pytest tests/editor -q

# The private stack test-bot uses, kept running (Ctrl-C stops it) so each test-bot run reuses it.
warm: venv
	$(PYTHON) -m bot warm

# Understanding on lines never trained on: tests/nlu/heldout.yml, tests/nlu/independent.yml
# and robustness copies of it (docs/understanding.md); fails below the independent set's bars.
test-nlu: train
	$(PYTHON) -m bot evaluate

# The gateway with real sockets, Redis, Rasa and the action server.
test-gateway: train
	TANDEM_TEST_DATABASE=postgresql $(PYTHON) -m pytest tests/gateway -q

# Two gateways behind HAProxy and two Rasa servers on PostgreSQL: relay across gateways,
# crashes, metrics; and the fault tests on the same stack, which count every line sent.
test-cluster: train
	TANDEM_TEST_DATABASE=postgresql $(PYTHON) -m pytest tests/cluster tests/faults -q
	@cat reports/faults.md

# One test per attack, and fuzzing, against the real stack (docs/security.md).
test-security: train
	$(PYTHON) -m pytest tests/security -q

test-e2e: train
	$(PYTHON) -m pytest tests/e2e -q -m e2e

# Stops before anything else when Chromium is missing: browser tests are never skipped.
chromium:
	@if [ ! -x $(CHROMIUM) ]; then \
	  echo "The browser tests need Debian's Chromium at $(CHROMIUM). Install it with:" >&2; \
	  echo "  sudo apt-get install -y chromium" >&2; \
	  exit 1; \
	fi

# rasa-webchat from npm at its locked version, for the test that embeds another Rasa widget;
# installed again only when the lockfile changes.
WEBCHAT := tests/browser/webchat
webchat: $(WEBCHAT)/node_modules/.installed

$(WEBCHAT)/node_modules/.installed: $(WEBCHAT)/package-lock.json
	@if ! command -v npm >/dev/null; then \
	  echo "The browser tests install rasa-webchat with npm. Install Debian's npm with:" >&2; \
	  echo "  sudo apt-get install -y nodejs npm" >&2; \
	  exit 1; \
	fi
	cd $(WEBCHAT) && npm ci --ignore-scripts --no-audit --no-fund
	touch $@

# The widget, the agent console and rasa-webchat in headless Chromium against the whole stack.
test-browser: train chromium webchat
	$(PYTHON) -m pytest tests/browser -q

screenshots: train chromium webchat
	TANDEM_SCREENSHOTS_DIR=$(CURDIR)/docs/img $(PYTHON) -m pytest tests/browser -q

bench: train
	$(PYTHON) -m bench.check
	$(PYTHON) -m bench.assistant
	$(PYTHON) -m bench.gateway
	$(PYTHON) -m bench.reports

# The reports' queries on 100,000 archived conversations, SQLite and a private PostgreSQL.
bench-reports: venv
	$(PYTHON) -m bench.reports

# Many simulated customers and agents at once, with Locust from .venv-bench; configurations side
# by side. Long: see docs/performance.md ("Load") for its flags, e.g. ARGS="--duration 60".
bench-load: bench-venv train
	$(PYTHON) -m bench.load $(ARGS)

# Customers, agents and a fault every two minutes on two gateways and two Rasa servers, memory
# of every process sampled; writes the "Soak" section of docs/reliability.md. Long, so never
# part of `make test`.
MINUTES := 30
bench-soak: train
	$(PYTHON) -m bench.soak --minutes $(MINUTES) $(ARGS)

clean:
	rm -rf models results reports var .rasa .mypy_cache .ruff_cache .pytest_cache
	find . \( -path ./.venv -o -path ./.venv-bench \) -prune -o -name __pycache__ -type d -exec rm -rf {} +
