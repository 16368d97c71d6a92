# `make run` and `make test` work on a fresh machine: they create the virtual environments they need.
PYTHON ?= python3
# chalice 1.34 declares pip<26.3 (its packager drives pip)
PIP := 'pip>=24,<26.3'
VENV := .venv
CFN_VENV := .venv-cfn
BIN := $(VENV)/bin
# The browser tests drive Debian's Chromium: Playwright's own browser download is not used (`playwright install` never
# runs). CI runs as root on a fresh Debian machine; elsewhere apt-get runs through sudo.
CHROMIUM := /usr/bin/chromium
SUDO := $(if $(filter 0,$(shell id -u)),,sudo)
export AWS_DEFAULT_REGION ?= us-east-1
export AWS_EC2_METADATA_DISABLED := true

.PHONY: run test suite lint typecheck package lint-template lint-packaged-template template bench bench-backfill load soak clean reliability screenshots

# The first run installs for about a minute: pip names each package as it collects and installs it.
$(VENV)/.installed: requirements.txt requirements-dev.txt
	@echo "==> $(VENV): installing the app's and the tests' packages (requirements-dev.txt), once"
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --progress-bar off $(PIP)
	$(BIN)/pip install --progress-bar off -r requirements-dev.txt
	@echo "==> $(VENV): ready"
	touch $@

# Installed through apt only when missing (about 20 s on a fresh machine); apt's output shows only if it fails.
$(CHROMIUM):
	@echo "==> $(CHROMIUM) missing: installing Debian's chromium through apt, once"
	@output=$$($(SUDO) apt-get update -qq 2>&1 && DEBIAN_FRONTEND=noninteractive \
		$(SUDO) apt-get install -y -qq --no-install-recommends chromium 2>&1) || { echo "$$output"; exit 1; }

$(CFN_VENV)/.installed: requirements-cfn.txt
	@echo "==> $(CFN_VENV): installing cfn-lint (requirements-cfn.txt), once"
	$(PYTHON) -m venv $(CFN_VENV)
	$(CFN_VENV)/bin/pip install --progress-bar off $(PIP)
	$(CFN_VENV)/bin/pip install --progress-bar off -r requirements-cfn.txt
	@echo "==> $(CFN_VENV): ready"
	touch $@

run: $(VENV)/.installed
	$(BIN)/python -m chalicelib.cli serve

# The merge template is generated from the table and gateway-response definitions in the code.
template: $(VENV)/.installed
	$(BIN)/python -m chalicelib.cli template > infra/merge-template.json

package: $(VENV)/.installed
	rm -rf build/package
	$(BIN)/chalice package --stage prod --merge-template infra/merge-template.json build/package

lint-template: package
	$(MAKE) --no-print-directory lint-packaged-template

lint-packaged-template: $(CFN_VENV)/.installed
	$(CFN_VENV)/bin/cfn-lint build/package/sam.json

lint: $(VENV)/.installed
	$(BIN)/ruff check .

# mypy --strict on what mypy.ini names: the domain, the use cases (control plane, billing, usage, webhooks), the
# rendering.
typecheck: $(VENV)/.installed
	$(BIN)/mypy

# The template packaged first (`chalice package` caches its build in .chalice/deployments, so the suite's packaging
# test must not run beside it), then the lint, the type check, the template's lint, the suite on every core and the
# fault-injection suite side by side: each one's output in one piece, and any failure reported and failing `make test`.
test: $(VENV)/.installed $(CFN_VENV)/.installed $(CHROMIUM) package
	$(MAKE) --no-print-directory -k -j4 --output-sync=target lint typecheck lint-packaged-template suite reliability

# The test suite on every core (pytest-xdist; pytest.ini keeps a module's shared local stack on one worker), the browser
# tests in Chromium among them.
suite: $(VENV)/.installed $(CHROMIUM)
	$(BIN)/python -m pytest -n auto

# The fault-injection suite: writes reliability/results.json and docs/reliability.md (under a minute of CPU).
reliability: $(VENV)/.installed
	$(BIN)/python -m reliability.run

# The local stack under load: 16 clients x 50 mixed requests, then 10,000 events and a timed stop (not part of
# `make test`: about 2.5 minutes).
load: $(VENV)/.installed
	$(BIN)/python -m pytest -m load -s tests/e2e/test_local_stack_under_load.py

# Ten minutes (SOAK_SECONDS) of schemathesis fuzzing and mixed load against the local stack, then a timed Ctrl-C: it
# prints its figures and the stop time (not part of `make test`).
soak: $(VENV)/.installed
	$(BIN)/python -m pytest -m soak -s -o timeout=0 tests/e2e/test_soak.py

# The console's screenshots in docs/console/, for the README (not part of `make test`, which writes them to a tmp dir).
screenshots: $(VENV)/.installed /usr/bin/chromium
	CONSOLE_SCREENSHOTS_DIR=docs/console $(BIN)/python -m pytest -q \
		tests/browser/test_console_screenshots.py

# Benchmarks print what they measured and how, and fail when it did not run (not part of `make test`).
# `make bench`: issue 19's figures (requests, request units, CPU ratios, cost per million events) in at most 10 minutes
# on 2 cores; writes bench/results.json and the table in docs/performance.md.
bench: $(VENV)/.installed
	$(BIN)/python -m bench.run

# Backfilling 60 months of 50 customers on the local stack (time, peak memory).
bench-backfill: $(VENV)/.installed
	$(BIN)/python benchmarks/backfill.py

clean:
	rm -rf $(VENV) $(CFN_VENV) build .pytest_cache .hypothesis
