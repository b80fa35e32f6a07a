# CMIR DAO — every entry point starts from a fresh machine with Python 3.11, Node 20 and make.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(CURDIR)/$(VENV)/bin
SWAGGER_UI := cmir/api/web/vendor/swagger-ui/swagger-ui-bundle.js
## The browser code's bundles (web/build.mjs); rebuilt whenever a source under web/ changes.
WEB_BUILD := cmir/api/web/dist/.built
WEB_SOURCES := $(shell find web -type f 2>/dev/null) tsconfig.json
export PATH := $(CURDIR)/node_modules/.bin:$(BIN):$(PATH)
# py-solc-x and ape-solidity find the pinned compiler here (see toolchain/provision_solc.py).
export SOLCX_BINARY_PATH := $(CURDIR)/.solcx
# Ape keeps its data (plugins' caches, local accounts) inside the project, never in $HOME.
export APE_DATA_FOLDER := $(CURDIR)/.build/ape-data

.PHONY: setup compile test test-contracts test-offchain test-e2e slither lint gas attacks up lighthouse clean

setup: $(VENV)/.installed node_modules/.installed .solcx/.provisioned $(SWAGGER_UI) $(WEB_BUILD)

$(VENV)/.installed: requirements.lock pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip==26.3
	$(BIN)/pip install --quiet -r requirements.lock
	$(BIN)/pip install --quiet --no-deps -e .
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $@

## The page's assets are the package's data; so is Swagger UI, for /docs (FastAPI's default page loads it from a CDN: blank offline).
$(SWAGGER_UI): node_modules/.installed
	mkdir -p $(@D)
	cp node_modules/swagger-ui-dist/swagger-ui.css node_modules/swagger-ui-dist/favicon-32x32.png $(@D)/
	cp node_modules/swagger-ui-dist/swagger-ui-bundle.js $@

## The browser code (TypeScript, viem) bundled by esbuild into the package's data (never committed).
$(WEB_BUILD): node_modules/.installed $(WEB_SOURCES)
	npm run -s build
	touch $@

.solcx/.provisioned: ape-config.yaml toolchain/provision_solc.py toolchain/solcjs-cli.js $(VENV)/.installed node_modules/.installed
	mkdir -p .solcx
	$(BIN)/python toolchain/provision_solc.py
	touch $@

compile: setup
	$(BIN)/ape compile

## The whole suite: contract tests on anvil (unit, governance, property, hostile, gas budgets);
## the indexer and the API on SQLite and PostgreSQL (a throwaway server is installed and started
## when CMIR_TEST_POSTGRES_URL is not set) and the page in headless Chromium; lint and types;
## Slither. CMIR_PROPERTY_SEQUENCES / CMIR_PROPERTY_STEPS deepen the property tests.
test: test-contracts test-offchain test-e2e lint slither

test-contracts: compile
	$(BIN)/ape test tests/contracts -p no:cacheprovider

test-offchain: compile
	bash tests/with_postgres.sh bash -c '\
	  $(BIN)/python -m pytest tests/indexer -q && \
	  $(BIN)/python -m pytest tests/api -q && \
	  $(BIN)/python -m pytest tests/web -q'

## End to end: `make up` in the background on free ports, the cmir CLI as users run it, the audit.
test-e2e: compile
	$(BIN)/python -m pytest tests/e2e -q

lint: setup
	$(BIN)/ruff check cmir scripts tests toolchain
	$(BIN)/ruff format --check cmir scripts tests toolchain
	$(BIN)/mypy --strict cmir scripts tests toolchain
	$(BIN)/lint-imports --config pyproject.toml
	npm run -s typecheck

## Slither builds through forge itself (offline, the provisioned compiler; see foundry.toml).
slither: compile
	$(BIN)/slither . --config-file slither.config.json

## Gas report: writes gas-report.json (receipt gasUsed per operation and member count).
gas: compile
	$(BIN)/ape run gas_report

## Attack report: the insiders' attacks on the pool and the ring's profit (README's tables).
attacks: compile
	$(BIN)/ape run attack_report

## anvil, the contracts, the seeded demo, the indexer and the API; Ctrl-C stops all. Each run starts clean.
up: compile
	$(BIN)/python scripts/local_chain.py

## Lighthouse 12 (simulated mobile, offline, Debian's Chromium) on the page and the members' app:
## prints performance, LCP, TBT, CLS, accessibility and bytes sent. Starts its own `make up` stack
## on free ports; LIGHTHOUSE_ARGS="--url http://127.0.0.1:8000 --runs 3" measures a running one.
lighthouse: compile
	$(BIN)/python -m cmir.dev.bench.lighthouse $(LIGHTHOUSE_ARGS)

clean:
	rm -rf .build .forge contracts/.cache .solcx
