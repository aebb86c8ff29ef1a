"""Downloads against a real HTTP server on 127.0.0.1: verified, or nothing left behind."""

from __future__ import annotations

import hashlib
import threading
from pathlib import Path

import pytest

from squeezeapp.core.classifier import Classifier
from squeezeapp.core.download import download_file, download_known_model
from squeezeapp.core.errors import DownloadCancelledError, DownloadError
from squeezeapp.core.registry import ZOO_MODEL, KnownModel, RemoteFile
from tests.conftest import run_cli
from tests.httpserver import serve, unused_port


def _remote(name: str, body: bytes, size: int | None = None) -> RemoteFile:
    return RemoteFile(f"https://example.invalid/files/{name}",
                      len(body) if size is None else size, hashlib.sha256(body).hexdigest())


def _only(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


@pytest.fixture
def model_bytes(model_dir: Path) -> bytes:
    return (model_dir / "squeezenet1.1.onnx").read_bytes()


def test_download_success_through_mirror(model_bytes, classifier, tmp_path, monkeypatch) -> None:
    """A full model download from a mirror, verified, then usable by name from the cache."""
    synset = "\n".join(f"{w} {lbl}" for w, lbl in zip(classifier.spec.wnids,
                                                        classifier.spec.labels, strict=True))
    model_file = _remote("mirror-model.onnx", model_bytes)
    labels_file = _remote("synset.txt", synset.encode())
    entry = KnownModel("mirror-test", "test", model_file.sha256, classifier.spec.preprocess,
                       "logits", "x", model=model_file, labels=labels_file)
    seen = []
    with serve({"/mirror-model.onnx": ("ok", model_bytes),
                "/synset.txt": ("ok", synset.encode())}) as base:
        monkeypatch.setenv("SQUEEZEAPP_MODEL_BASE_URL", base + "/")
        path = download_known_model(entry, tmp_path, progress=lambda d, t: seen.append((d, t)))
    assert _only(tmp_path) == ["mirror-test.labels.txt", "mirror-test.onnx"]
    assert path.read_bytes() == model_bytes
    assert seen[-1] == (len(model_bytes), len(model_bytes))
    assert Classifier.load(path).spec.labels == classifier.spec.labels


@pytest.mark.parametrize(
    ("routes", "remote_body", "fragment"),
    [
        ({}, b"x" * 100, "HTTP 404"),
        ({"/f.bin": ("ok", b"tampered" * 10)}, b"original" * 10, "SHA-256 mismatch"),
        ({"/f.bin": ("truncate", b"y" * 300_000)}, b"y" * 300_000, "truncated"),
    ],
)
def test_failures_leave_nothing(tmp_path, monkeypatch, routes, remote_body, fragment) -> None:
    remote = _remote("f.bin", remote_body)
    with serve(routes) as base:
        monkeypatch.setenv("SQUEEZEAPP_MODEL_BASE_URL", base)
        with pytest.raises(DownloadError, match=fragment):
            download_file(remote, tmp_path / "f.bin")
    assert _only(tmp_path) == []


def test_server_gone(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("SQUEEZEAPP_MODEL_BASE_URL", f"http://127.0.0.1:{unused_port()}")
    with pytest.raises(DownloadError, match="cannot connect"):
        download_file(_remote("f.bin", b"abc"), tmp_path / "f.bin")
    assert _only(tmp_path) == []


def test_cancel_leaves_nothing(tmp_path, monkeypatch) -> None:
    cancel = threading.Event()
    body = b"z" * 1_000_000
    with serve({"/f.bin": ("ok", body)}) as base:
        monkeypatch.setenv("SQUEEZEAPP_MODEL_BASE_URL", base)
        with pytest.raises(DownloadCancelledError):
            download_file(_remote("f.bin", body), tmp_path / "f.bin",
                          progress=lambda done, total: cancel.set(), cancel=cancel)
    assert _only(tmp_path) == []


def test_existing_file_survives_a_failed_download(tmp_path, monkeypatch) -> None:
    target = tmp_path / "f.bin"
    target.write_bytes(b"the user's good copy")
    with serve({"/f.bin": ("ok", b"bad")}) as base:
        monkeypatch.setenv("SQUEEZEAPP_MODEL_BASE_URL", base)
        with pytest.raises(DownloadError):
            download_file(_remote("f.bin", b"good"), target)
    assert target.read_bytes() == b"the user's good copy"


def test_cli_download_of_zoo_model_rejects_wrong_bytes(isolated_cache) -> None:
    """The real registry entry, served a wrong file: one clear line, exit 2, cache empty."""
    assert ZOO_MODEL.model is not None
    with serve({"/synset.txt": ("ok", b"n01440764 tench\n"),
                f"/{ZOO_MODEL.model.filename}": ("ok", b"not the zoo model")}) as base:
        result = run_cli("models", "download", "squeezenet1.1-zoo",
                         env={"SQUEEZEAPP_MODEL_BASE_URL": base})
    assert result.returncode == 2, result.stderr
    assert "synset.txt" in result.stderr and "SHA-256 mismatch" in result.stderr
    assert result.stderr.count("\n") == 1
    assert _only(isolated_cache / "models") == []
