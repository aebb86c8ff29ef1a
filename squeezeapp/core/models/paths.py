"""Where models live: the folders the lookup searches, in order, and the user cache."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import platformdirs

from squeezeapp import APP_NAME

MODEL_DIR_ENV = "SQUEEZEAPP_MODEL_DIR"
DEFAULT_MODEL_ENV = "SQUEEZEAPP_MODEL"
CACHE_DIR_ENV = "SQUEEZEAPP_CACHE_DIR"


def resources_dir() -> Path:
    """The top-level resources/ folder: beside the package in a source tree, inside a bundle."""
    frozen_root = getattr(sys, "_MEIPASS", None)
    if frozen_root:
        return Path(frozen_root) / "resources"
    return Path(__file__).resolve().parents[3] / "resources"


def bundled_models_dir() -> Path:
    """Models copied in at packaging time (empty in a source tree)."""
    return resources_dir() / "models"


def user_cache_dir() -> Path:
    """The app's user cache folder; `SQUEEZEAPP_CACHE_DIR` overrides it."""
    override = os.environ.get(CACHE_DIR_ENV)
    return Path(override) if override else platformdirs.user_cache_path(APP_NAME)


def user_models_dir() -> Path:
    """Downloaded and quantised models (in the user cache)."""
    return user_cache_dir() / "models"


def prepared_models_dir() -> Path:
    """Rewritten models ready for onnxruntime (core.inference.prepared_cache), and the engine
    choices measured per machine: rebuilt whenever they are missing, so safe to delete."""
    return user_cache_dir() / "prepared"


def model_search_dirs() -> list[Path]:
    """The folders a model NAME is looked up in, first match wins."""
    dirs: list[Path] = []
    env_dir = os.environ.get(MODEL_DIR_ENV)
    if env_dir:
        dirs.append(Path(env_dir).expanduser())
    dirs.append(bundled_models_dir())
    dirs.append(user_models_dir())
    return dirs
