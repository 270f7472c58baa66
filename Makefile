# Two commands matter: `make demo` and `make test`. Both set everything up first, idempotently:
# a second run reinstalls nothing (stamp files track the inputs) and takes seconds.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
SOLC_VERSION := 0.8.30
ANVIL_DIR := $(CURDIR)/node_modules/@foundry-rs/anvil-linux-amd64/bin
SOLCX_DIR := $(CURDIR)/.solcx
SITE = $(shell $(PY) -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')

ARTIFACTS := scfchain/data/contracts.json
CONTRACT_SOURCES := $(shell find contracts -name '*.sol')

.PHONY: setup demo test test-plain fuzz lint coverage bench wheel clean distclean

setup: $(VENV)/.system-packages $(VENV)/.installed node_modules/.installed $(SOLCX_DIR)/solc-v$(SOLC_VERSION) $(VENV)/.toolchain $(VENV)/.postgresql $(ARTIFACTS)

# Debian packages: graphviz (its `dot` lays out the certificate trees), the DejaVu fonts the pictures name, and
# chromium, the browser the explorer's tests drive through Playwright (which cannot download browsers of its own
# here). apt-get runs only where one is missing.
SYSTEM_FILES := /usr/bin/chromium /usr/bin/dot /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf
$(VENV)/.system-packages:
	@missing=0; for f in $(SYSTEM_FILES); do [ -e $$f ] || missing=1; done; \
	if [ $$missing = 1 ]; then \
	  sudo=$$([ "$$(id -u)" = 0 ] || echo sudo); \
	  $$sudo apt-get update && $$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y chromium graphviz fonts-dejavu-core; \
	fi
	mkdir -p $(VENV) && touch $@

# The audit tests start a throwaway PostgreSQL server of their own: Debian's server binaries, installed once
# where missing (any version: the tests take the newest /usr/lib/postgresql/*/bin).
$(VENV)/.postgresql: $(VENV)/.installed
	@if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then \
		echo "installing the PostgreSQL server (Debian package postgresql)"; \
		$$( [ "$$(id -u)" = 0 ] || echo sudo ) apt-get update -q && \
		$$( [ "$$(id -u)" = 0 ] || echo sudo ) env DEBIAN_FRONTEND=noninteractive apt-get install -y -q postgresql; \
	fi
	ls /usr/lib/postgresql/*/bin/initdb >/dev/null
	touch $@

$(VENV)/.installed: pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

# py-solc-x (and so brownie) runs $SOLCX_BINARY_PATH/solc-v<version>: our wrapper over npm solc.
$(SOLCX_DIR)/solc-v$(SOLC_VERSION): tools/solc.js node_modules/.installed
	mkdir -p $(SOLCX_DIR)
	ln -sf ../tools/solc.js $@

# A .pth file runs at interpreter start: every program of the venv (scfchain, brownie, pytest) finds the
# compiler wrapper and Anvil without anything exported by hand.
$(VENV)/.toolchain: $(VENV)/.installed Makefile
	printf '%s\n' "import os; os.environ.setdefault('SOLCX_BINARY_PATH', '$(SOLCX_DIR)'); os.environ['PATH'] = '$(ANVIL_DIR)' + os.pathsep + os.environ.get('PATH', '')" > $(SITE)/scfchain-toolchain.pth
	touch $@

# The compiled contracts the package ships and deploys (ABI and bytecode of the deployable system, viaIR, the
# settings of tools/toolchain.py), so that an installed wheel deploys without node, npm or brownie. Rebuilt when a
# source, OpenZeppelin or the compiler driver changed (a no-op when the fingerprint inside the file still matches).
$(ARTIFACTS): $(CONTRACT_SOURCES) tools/toolchain.py tools/solc.js package-lock.json node_modules/.installed $(VENV)/.installed
	$(PY) tools/toolchain.py

# A wheel of the package with its compiled contracts, in dist/ (build/lib is cleared first: setuptools would pack
# files left there by an earlier build).
wheel: setup
	rm -rf build/lib build/bdist.*
	$(PY) -m pip wheel --quiet --no-deps --no-build-isolation --wheel-dir dist .

demo: setup
	$(VENV)/bin/scfchain demo
	@echo
	@echo "To watch the story in a browser: $(VENV)/bin/scfchain demo --serve  (the explorer on http://127.0.0.1:8000"
	@echo "shows the certificate trees growing step by step; it stays up after the demo until Ctrl-C)"

# Every test once: the contract suite under coverage (tools/coverage.py: a build without viaIR on a tracing Anvil;
# fails on any failing test or below 95 % branch coverage), then the tests of the Python tooling (marked `tooling`),
# which deploy the viaIR build on nodes of their own. Brownie keeps global state in ~/.brownie (network config,
# hypothesis database, error cache): the tests get a HOME of their own so that nothing a developer changed there
# can change how they run.
test: setup
	$(PY) tools/coverage.py
	mkdir -p .test-home
	HOME=$(CURDIR)/.test-home $(VENV)/bin/pytest tests -q -m tooling

# The whole suite on the viaIR build, untraced, in one pytest run (quicker while iterating; PYTEST_ARGS go to pytest).
test-plain: setup
	mkdir -p .test-home
	HOME=$(CURDIR)/.test-home $(VENV)/bin/pytest tests -q $(PYTEST_ARGS)

# Slither on the production contracts (not contracts/test), through our solc wrapper: fails on any medium or
# high finding; settings and excluded detectors (each with its reason) are in slither.config.json.
lint: setup
	$(PY) tools/slither_input.py build/slither/input.json
	$(VENV)/bin/slither build/slither/input.json --config-file slither.config.json

# Statement and branch coverage of the contracts over the suite (tests run on a build without viaIR, on an Anvil
# with step tracing on a free port, with a HOME of their own like `make test`; the tooling tests, which run
# their own nodes, are left out); fails below COVERAGE_MIN % branch coverage (95) or on any transaction it
# could not trace. COVERAGE_ARGS go to pytest (COVERAGE_ARGS=tests: every test file).
coverage: setup
	$(PY) tools/coverage.py $(COVERAGE_ARGS)

# A long stateful-fuzz campaign: FUZZ_SECONDS (default an hour) with a random seed, printed first and on failure.
# Reproduce a failure with the chunk seed it prints: FUZZ_SEED=<seed> FUZZ_SECONDS=0 make fuzz
# (FUZZ_ARGS go to pytest, e.g. FUZZ_ARGS="--network dev-d").
fuzz: setup
	@seed=$${FUZZ_SEED:-$$(od -An -N4 -tu4 /dev/urandom | tr -d ' ')}; echo "fuzz seed: $$seed"; \
	FUZZ_SEED=$$seed FUZZ_SECONDS=$${FUZZ_SECONDS:-3600} $(VENV)/bin/pytest tests/test_fuzz_stateful.py -q --capture=sys $(FUZZ_ARGS)

bench: setup
	$(VENV)/bin/python -m tools.bench_gas
	$(VENV)/bin/python -m tools.bench_load
	$(VENV)/bin/python -m tools.bench_audit

clean:
	rm -rf build reports dist bench/*.json $(ARTIFACTS)

distclean: clean
	rm -rf $(VENV) node_modules $(SOLCX_DIR)
