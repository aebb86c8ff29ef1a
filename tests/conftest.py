"""Shared fixtures: the real models and photos from ../shared, and an isolated model cache.

Models are found through SQUEEZEAPP_MODEL_DIR (the Makefile points it at ../shared/models).
Outside CI a missing model skips the tests that need it; in CI (CI=true) it is a failure.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

# Before anything imports onnxruntime (squeezeapp/__init__.py does the same for the app).
os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")

REPO = Path(__file__).resolve().parents[1]
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def _shared_dir(env: str, fallback: Path) -> Path | None:
    value = os.environ.get(env)
    path = Path(value) if value else fallback
    return path if path.is_dir() else None


def _require(path: Path | None, what: str) -> Path:
    if path is None:
        message = f"{what} not found (set the environment variable or run via 'make test')"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    return path


@pytest.fixture(scope="session")
def model_dir() -> Path:
    found = _shared_dir("SQUEEZEAPP_MODEL_DIR", REPO.parent / "shared" / "models")
    path = _require(found, "SQUEEZEAPP_MODEL_DIR with the shared models")
    if not (path / "squeezenet1.1.onnx").is_file():
        _require(None, f"squeezenet1.1.onnx in {path}")
    return path


@pytest.fixture(scope="session")
def sample_dir() -> Path:
    found = _shared_dir("SQUEEZEAPP_SAMPLE_IMAGES",
                        REPO.parent / "shared" / "images" / "imagenet-sample")
    return _require(found, "SQUEEZEAPP_SAMPLE_IMAGES with the 100 ImageNet photos")


@pytest.fixture(scope="session")
def sample_images(sample_dir: Path) -> list[Path]:
    images = sorted(sample_dir.glob("*.JPEG"))
    assert len(images) == 100, f"expected 100 photos in {sample_dir}, found {len(images)}"
    return images


@pytest.fixture(scope="session", autouse=True)
def session_cache(tmp_path_factory) -> Iterator[Path]:
    """The session's shared classifiers load before any test's own cache exists: they get a
    cache of their own, never the developer's real one (an engine choice measured there, by
    `bench` say, put them on OpenVINO and changed their numbers)."""
    with pytest.MonkeyPatch.context() as patch:
        cache = tmp_path_factory.mktemp("session-cache")
        patch.setenv("SQUEEZEAPP_CACHE_DIR", str(cache))
        patch.setenv("SQUEEZEAPP_NO_ENGINE_MEASUREMENT", "1")
        yield cache


@pytest.fixture(autouse=True)
def isolated_cache(tmp_path_factory, monkeypatch, request) -> Path:
    """Every test gets its own empty user cache, and SQUEEZEAPP_MODEL_DIR when available."""
    cache = tmp_path_factory.mktemp("cache")
    monkeypatch.setenv("SQUEEZEAPP_CACHE_DIR", str(cache))
    monkeypatch.delenv("SQUEEZEAPP_MODEL", raising=False)
    monkeypatch.delenv("SQUEEZEAPP_MODEL_BASE_URL", raising=False)
    # windows measure the engines only in the tests about it (a second of CPU per window)
    monkeypatch.setenv("SQUEEZEAPP_NO_ENGINE_MEASUREMENT", "1")
    return cache


@pytest.fixture(scope="session")
def classifier(model_dir: Path):
    from squeezeapp.core.inference.classifier import Classifier

    return Classifier.load(model_dir / "squeezenet1.1.onnx")


@pytest.fixture(scope="session")
def caffe_classifier(model_dir: Path):
    from squeezeapp.core.inference.classifier import Classifier

    return Classifier.load(model_dir / "squeezenet1.1-caffe.onnx")


def run_cli(*args: str, env: dict[str, str] | None = None, timeout: float = 300,
            stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    """Run `python -m squeezeapp ARGS` in a subprocess, as a user would."""
    return subprocess.run(
        [sys.executable, "-m", "squeezeapp", *args],
        capture_output=True, text=True, timeout=timeout, cwd=REPO, check=False,
        env={**os.environ, **(env or {})}, input=stdin or "",
    )


@pytest.fixture(scope="session")
def fast_model(tmp_path_factory, model_dir: Path, sample_dir: Path):
    """The fast int8 model as packaging builds it (about 40 s on two cores, once a session):
    its path and build_fast_model's report."""
    from squeezeapp.core.modeltools.quantize import build_fast_model

    target = tmp_path_factory.mktemp("fast") / "squeezenet1.1-int8.onnx"
    report = build_fast_model(model_dir / "squeezenet1.1.onnx", sample_dir, target)
    return target, report
