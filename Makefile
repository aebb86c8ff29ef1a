# Two commands do everything on a fresh Debian/Ubuntu machine: `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

# Models come from ../shared/models when it exists (never copied into the repo).
SHARED_MODELS := $(abspath ../shared/models)
ifneq ($(wildcard $(SHARED_MODELS)/*.onnx),)
export SQUEEZEAPP_MODEL_DIR ?= $(SHARED_MODELS)
endif
SHARED_IMAGES := $(abspath ../shared/images/imagenet-sample)
ifneq ($(wildcard $(SHARED_IMAGES)),)
export SQUEEZEAPP_SAMPLE_IMAGES ?= $(SHARED_IMAGES)
endif

# Release builds install exactly the locked, hash-checked versions (pyproject keeps ranges).
LOCK := packaging/requirements-release.txt
RELEASE_VENV := build/release-venv
RELEASE_STAMP := $(RELEASE_VENV)/.installed-stamp
# make test's packaging step: build once (own time limit), then test what was built.
PACKAGING_BUILD := build/test-packaging
PACKAGING_BUILD_TIMEOUT := 1200
PACKAGING_TEST_TIMEOUT := 900
# The fast int8 model is built from the shared photos (packaging/prepare.py); in CI a build that
# finds none fails instead of shipping the float model alone. Cached in build/fast-model-cache.
FAST_MODEL_POLICY := $(if $(filter 1 true yes,$(CI)),required,auto)
SAMPLE_IMAGE := $(SQUEEZEAPP_SAMPLE_IMAGES)/n01440764_tench.JPEG

.PHONY: setup run test test-fast test-packaging lint bench dist distcheck lock screenshots clean

setup: $(STAMP)

# One line of progress per step; pip's own output only when a step fails.
$(STAMP): pyproject.toml scripts/install-system-deps.sh
	@echo "setup 1/4: system packages (Qt's display libraries, Xvfb)"
	@./scripts/install-system-deps.sh
	@echo "setup 2/4: Python virtual environment in $(VENV)"
	@$(PYTHON) -m venv $(VENV)
	@echo "setup 3/4: pip"
	@$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip \
		> $(VENV)/pip-install.log 2>&1 || { cat $(VENV)/pip-install.log; exit 1; }
	@echo "setup 4/4: squeezeapp and its dependencies (a minute the first time)"
	@$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[test,package,openvino]' \
		> $(VENV)/pip-install.log 2>&1 || { cat $(VENV)/pip-install.log; exit 1; }
	@touch $(STAMP)
	@echo "setup: done (.venv/bin/squeezeapp is the app)"

run: setup
	@# exit status 3 means "no display": the message already names the headless commands
	$(BIN)/squeezeapp || [ $$? -eq 3 ]

lint: setup
	$(BIN)/ruff check .
	$(BIN)/lint-imports
	$(BIN)/mypy
	$(BIN)/actionlint .github/workflows/*.yml

# Three steps: lint; every test not marked slow (pytest's per-test timeout, 300 s); then the
# PyInstaller build and the slow tests (the bundle, tarball and .deb smoke tests) against it,
# each under its own limit, so the build never counts against a test's 300 s.
test: lint test-fast test-packaging

test-fast: setup
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest -ra -m "not slow"

test-packaging: setup
	rm -rf $(PACKAGING_BUILD)
	SQUEEZEAPP_XZ_LEVEL=0 SQUEEZEAPP_FAST_MODEL=$${SQUEEZEAPP_FAST_MODEL:-$(FAST_MODEL_POLICY)} \
		timeout $(PACKAGING_BUILD_TIMEOUT) $(BIN)/python packaging/build.py \
		--work $(PACKAGING_BUILD) --dist $(PACKAGING_BUILD)/dist
	QT_QPA_PLATFORM=offscreen SQUEEZEAPP_PACKAGING_BUILD=$(PACKAGING_BUILD) \
		timeout $(PACKAGING_TEST_TIMEOUT) $(BIN)/python -m pytest -ra -m slow \
		--timeout=$(PACKAGING_TEST_TIMEOUT)

bench: setup
	$(BIN)/squeezeapp bench $(if $(SQUEEZEAPP_SAMPLE_IMAGES),--images $(SQUEEZEAPP_SAMPLE_IMAGES))

dist: $(RELEASE_STAMP)
	$(RELEASE_VENV)/bin/python packaging/build.py

# A separate environment holding only the lock and squeezeapp itself (no test tools).
$(RELEASE_STAMP): $(LOCK) pyproject.toml scripts/install-system-deps.sh
	./scripts/install-system-deps.sh
	rm -rf $(RELEASE_VENV)
	$(PYTHON) -m venv $(RELEASE_VENV)
	$(RELEASE_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(RELEASE_VENV)/bin/python -m pip install --quiet --require-hashes --no-deps -r $(LOCK)
	$(RELEASE_VENV)/bin/python -m pip install --quiet --no-deps --no-build-isolation .
	touch $(RELEASE_STAMP)

# Installs the .deb and the tarball into fresh Debian 12, Ubuntu 22.04 and 24.04 roots (root,
# debootstrap; roots cached in build/distcheck) and uses them there. Not part of `make test`.
distcheck: dist
	packaging/linux/distcheck.sh dist $(SAMPLE_IMAGE)

# Regenerate the lock after changing dependencies (uv: one universal lock for every OS).
lock: setup
	$(BIN)/python -m pip install --quiet uv
	$(BIN)/uv pip compile pyproject.toml packaging/release.in --extra package --extra openvino --universal \
		--python-version 3.11 --generate-hashes --no-header --quiet -o $(LOCK)

screenshots: setup
	./scripts/screenshots.sh

clean:
	rm -rf build dist .pytest_cache .ruff_cache
