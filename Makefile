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

.PHONY: setup run test lint bench dist screenshots clean

setup: $(STAMP)

$(STAMP): pyproject.toml scripts/install-system-deps.sh
	./scripts/install-system-deps.sh
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test,package]'
	touch $(STAMP)

run: setup
	@# exit status 3 means "no display": the message already names the headless commands
	$(BIN)/squeezeapp || [ $$? -eq 3 ]

lint: setup
	$(BIN)/ruff check .
	$(BIN)/lint-imports

test: lint
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest -ra

bench: setup
	$(BIN)/squeezeapp bench $(if $(SQUEEZEAPP_SAMPLE_IMAGES),--images $(SQUEEZEAPP_SAMPLE_IMAGES))

dist: setup
	$(BIN)/python packaging/build.py

screenshots: setup
	./scripts/screenshots.sh

clean:
	rm -rf build dist .pytest_cache .ruff_cache
