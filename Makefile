# Agora: every target sets itself up on a fresh machine.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
ASYNC_VENV := .venv-async
BT_VENV := .venv-bt
JS_DIR := tests/integration/js
SIDECAR_DIR := tests/integration/sidecar
PAPI_DIR := tests/integration/papi
DASH_WEB := tools/dashboard/web
DASH_BUNDLE := tools/dashboard/static/bundle.js
DASH_TEST_DIR := tests/integration/dashboard
STAMP := $(VENV)/.installed
KERNEL_CACHE := $(VENV)/.kernel-warm
PYTEST_ARGS ?=

NETWORK ?= ws://127.0.0.1:9944

.PHONY: dashboard subnet-demo devnet test test-fast fuzz test-docker docker-image bench soak install clients clean lint

# constraints.txt pins every package .venv holds to the versions the suite last passed with
CONSTRAINTS := constraints.txt

$(STAMP): pyproject.toml $(CONSTRAINTS)
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -c $(CONSTRAINTS) -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

# The real Substrate clients the integration tests drive (async-substrate-interface needs its own
# venv: its cyscale installs a module named `scalecodec`, which clashes with substrate-interface's).
# It ships no keypair, so the list also holds the signing backends its driver uses.
ASYNC_REQS := tests/integration/clients/requirements-async.txt
$(ASYNC_VENV)/.installed: $(ASYNC_REQS)
	$(PYTHON) -m venv $(ASYNC_VENV)
	$(ASYNC_VENV)/bin/python -m pip install -q --upgrade pip
	$(ASYNC_VENV)/bin/python -m pip install -q -r $(ASYNC_REQS)
	touch $(ASYNC_VENV)/.installed

# The Bittensor SDK + btcli (pinned pair) for the SDK/btcli tests and the reference subnet.
BT_REQS := tests/integration/clients/requirements-bt.txt
$(BT_VENV)/.installed: $(BT_REQS)
	$(PYTHON) -m venv $(BT_VENV)
	$(BT_VENV)/bin/python -m pip install -q --upgrade pip
	$(BT_VENV)/bin/python -m pip install -q -r $(BT_REQS)
	touch $(BT_VENV)/.installed

$(JS_DIR)/node_modules/.installed: $(JS_DIR)/package.json
	cd $(JS_DIR) && npm install --no-audit --no-fund --loglevel=error
	touch $(JS_DIR)/node_modules/.installed

$(PAPI_DIR)/node_modules/.installed: $(PAPI_DIR)/package.json
	cd $(PAPI_DIR) && npm install --no-audit --no-fund --loglevel=error
	touch $(PAPI_DIR)/node_modules/.installed

# Substrate API Sidecar 18.0.0 (the REST gateway exchanges run in front of nodes), pinned by its lock file.
$(SIDECAR_DIR)/node_modules/.installed: $(SIDECAR_DIR)/package.json
	cd $(SIDECAR_DIR) && npm install --no-audit --no-fund --loglevel=error
	touch $(SIDECAR_DIR)/node_modules/.installed

# The devnet dashboard (`agora dashboard`): @polkadot/api bundled by esbuild into one static file, so the
# page loads nothing from outside the machine.
$(DASH_WEB)/node_modules/.installed: $(DASH_WEB)/package.json
	cd $(DASH_WEB) && npm install --no-audit --no-fund --loglevel=error
	touch $(DASH_WEB)/node_modules/.installed

$(DASH_BUNDLE): $(DASH_WEB)/node_modules/.installed $(DASH_WEB)/app.js
	cd $(DASH_WEB) && npm run -s build

dashboard: $(DASH_BUNDLE)

# puppeteer-core drives Debian's chromium (apt-get install chromium fonts-dejavu-core; .ci/run does it)
$(DASH_TEST_DIR)/node_modules/.installed: $(DASH_TEST_DIR)/package.json
	cd $(DASH_TEST_DIR) && npm install --no-audit --no-fund --loglevel=error
	touch $(DASH_TEST_DIR)/node_modules/.installed

clients: $(ASYNC_VENV)/.installed $(BT_VENV)/.installed $(JS_DIR)/node_modules/.installed $(SIDECAR_DIR)/node_modules/.installed $(PAPI_DIR)/node_modules/.installed $(DASH_BUNDLE) $(DASH_TEST_DIR)/node_modules/.installed

# The reference subnet (tools/reference_subnet) against a running node, e.g. `make devnet` in another shell.
subnet-demo: $(BT_VENV)/.installed
	$(BT_VENV)/bin/python -m tools.reference_subnet --network $(NETWORK)

devnet: $(STAMP) $(KERNEL_CACHE)
	$(VENV)/bin/agora node --dev $(DEVNET_ARGS)

# Compile the numba Yuma kernel once into its on-disk cache, so no node under test pays it mid-block.
$(KERNEL_CACHE): $(STAMP) $(wildcard consensus/yuma/*.py)
	$(PY) -c "from runtime.pallets.subtensor.epoch import warm_up_kernel; warm_up_kernel()"
	touch $(KERNEL_CACHE)

test: $(STAMP) clients $(KERNEL_CACHE)
	$(PY) -m pytest -q -p no:cacheprovider $(PYTEST_ARGS)

# Fresh random hypothesis draws (CI draws the same ones every run): FUZZ_RUNS rounds of the fast suite.
FUZZ_RUNS ?= 3
fuzz: $(STAMP) $(KERNEL_CACHE)
	for round in $$(seq $(FUZZ_RUNS)); do HYPOTHESIS_PROFILE=fuzz $(PY) -m pytest -q -p no:cacheprovider -x \
	  -m "not integration and not slow and not docker" $(PYTEST_ARGS) || exit 1; done

test-fast: $(STAMP) $(KERNEL_CACHE)
	$(PY) -m pytest -q -p no:cacheprovider -m "not integration and not slow and not docker" $(PYTEST_ARGS)

# The Docker suites (tests/docker): compose devnet and Swarm stack, on an engine started here when none
# runs (dockerd with its own data root; iptables, ip_forward and bridges restored afterwards).
# `make test` runs them too where an engine can run, and skips them with the reason elsewhere.
test-docker: $(STAMP) $(KERNEL_CACHE)
	$(PY) -m tests.docker.engine install
	$(PY) -m pytest -q -p no:cacheprovider -rs tests/docker $(PYTEST_ARGS)

# The node image, offline: a debootstrap base image and a wheelhouse of the pinned dependencies
docker-image: $(STAMP)
	$(PY) -m tools.deploy.image build

bench: $(STAMP)
	$(PY) -m tests.bench.run $(BENCH)

# SOAK_RUNS (5) x `make test` in a row while `make bench` loops beside it in a clone: the suite must not
# need a quiet machine (issue 18). Summary and logs in $$SOAK_DIR (default /tmp/agora-soak); about 2 hours.
soak:
	bash tests/soak.sh

# ruff with the rule set in pyproject.toml ([tool.ruff.lint]): pyflakes and pycodestyle's error classes;
# then the import graph against the dependency rules the README states (tests/import_graph.py)
lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(PY) -m tests.import_graph

clean:
	rm -rf $(VENV) $(ASYNC_VENV) $(BT_VENV) $(JS_DIR)/node_modules $(SIDECAR_DIR)/node_modules $(PAPI_DIR)/node_modules \
		$(DASH_WEB)/node_modules $(DASH_BUNDLE) $(DASH_TEST_DIR)/node_modules .wheelhouse
