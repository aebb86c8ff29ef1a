"""Downloads against a real HTTP server on 127.0.0.1: verified, or nothing left behind."""

from __future__ import annotations

import hashlib
import os
import signal
import stat
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from squeezeapp.core.common.errors import DownloadCancelledError, DownloadError
from squeezeapp.core.inference.classifier import Classifier
from squeezeapp.core.models.download import DownloadLimits, download_file, download_known_model
from squeezeapp.core.models.registry import ZOO_MODEL, KnownModel, RemoteFile
from tests.conftest import REPO, run_cli
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


def test_endless_body_stops_at_the_expected_size(tmp_path, monkeypatch) -> None:
    """A server that never ends the body: stopped just past the expected size, nothing kept."""
    body = b"e" * 100_000
    limits = DownloadLimits(size_margin=1000)
    with serve({"/f.bin": ("endless", body)}) as base:
        monkeypatch.setenv("SQUEEZEAPP_MODEL_BASE_URL", base)
        with pytest.raises(DownloadError, match="more than the expected 100,000 bytes"):
            download_file(_remote("f.bin", body), tmp_path / "f.bin", limits=limits)
        with pytest.raises(DownloadError, match="more than the expected"):  # size unknown
            download_file(_remote("f.bin", body, size=None), tmp_path / "g.bin",
                          limits=DownloadLimits(unknown_size_cap=300_000))
    assert _only(tmp_path) == []


def test_cancel_is_seen_at_once_against_a_dripping_server(tmp_path, monkeypatch) -> None:
    """1 byte every 0.5 s: each read blocks, yet Cancel ends the download within a poll."""
    cancel = threading.Event()
    body = b"d" * 1000
    seen: list[int] = []
    fired: list[float] = []

    def press_cancel() -> None:
        fired.append(time.monotonic())
        cancel.set()

    with serve({"/f.bin": ("drip", body)}) as base:
        monkeypatch.setenv("SQUEEZEAPP_MODEL_BASE_URL", base)
        timer = threading.Timer(1.2, press_cancel)  # mid-way between two bytes
        timer.start()
        with pytest.raises(DownloadCancelledError):
            download_file(_remote("f.bin", body), tmp_path / "f.bin",
                          progress=lambda done, total: seen.append(done), cancel=cancel)
        latency = time.monotonic() - fired[0]
    print(f"cancel honoured {latency * 1000:.0f} ms after it was set")
    assert seen, "some bytes should have arrived before the cancel"
    assert latency < 0.5
    assert _only(tmp_path) == []


def test_dripping_server_fails_the_minimum_rate(tmp_path, monkeypatch) -> None:
    body = b"d" * 1000
    limits = DownloadLimits(rate_grace_s=1.0, min_rate=100.0)
    with serve({"/f.bin": ("drip", body)}) as base:
        monkeypatch.setenv("SQUEEZEAPP_MODEL_BASE_URL", base)
        started = time.monotonic()
        with pytest.raises(DownloadError, match="too slow"):
            download_file(_remote("f.bin", body), tmp_path / "f.bin", limits=limits)
    assert time.monotonic() - started < 5
    assert _only(tmp_path) == []


def test_deadline_and_stall(tmp_path, monkeypatch) -> None:
    body = b"d" * 1000
    with serve({"/f.bin": ("drip", body)}) as base:
        monkeypatch.setenv("SQUEEZEAPP_MODEL_BASE_URL", base)
        with pytest.raises(DownloadError, match="not finished after 1 s"):
            download_file(_remote("f.bin", body), tmp_path / "f.bin",
                          limits=DownloadLimits(deadline_s=1.0))
        with pytest.raises(DownloadError, match=r"no data for 0\.2 s"):
            download_file(_remote("f.bin", body), tmp_path / "f.bin",
                          limits=DownloadLimits(stall_timeout_s=0.2))
    assert _only(tmp_path) == []


def test_mode_follows_the_umask_and_stale_parts_go(tmp_path, monkeypatch) -> None:
    stale = tmp_path / ".f.bin.deadbeef.part"
    stale.write_bytes(b"left by a killed process")
    os.utime(stale, (time.time() - 2 * 86400,) * 2)
    fresh = tmp_path / ".other.bin.a1b2c3d4.part"  # may belong to a download running elsewhere
    foreign = tmp_path / ".notes.part"  # not a name this app gives: never touched
    foreign.write_bytes(b"someone else's")
    os.utime(foreign, (time.time() - 2 * 86400,) * 2)
    fresh.write_bytes(b"in progress")
    previous = os.umask(0o022)
    try:
        with serve({"/f.bin": ("ok", b"payload")}) as base:
            monkeypatch.setenv("SQUEEZEAPP_MODEL_BASE_URL", base)
            path = download_file(_remote("f.bin", b"payload"), tmp_path / "f.bin")
    finally:
        os.umask(previous)
    assert stat.S_IMODE(path.stat().st_mode) == 0o644
    assert _only(tmp_path) == [".notes.part", ".other.bin.a1b2c3d4.part", "f.bin"]


@pytest.mark.skipif(sys.platform == "win32", reason="SIGTERM is POSIX")
def test_sigterm_during_cli_download_removes_the_part_file(isolated_cache) -> None:
    assert ZOO_MODEL.labels is not None
    with serve({"/synset.txt": ("drip", b"n01440764 tench\n" * 100)}) as base:
        process = subprocess.Popen(
            [sys.executable, "-m", "squeezeapp", "models", "download", "squeezenet1.1-zoo"],
            env={**os.environ, "SQUEEZEAPP_MODEL_BASE_URL": base}, cwd=REPO,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )
        folder = isolated_cache / "models"
        deadline = time.monotonic() + 60
        while not list(folder.glob(".*part")) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert list(folder.glob(".*part")), "the download never started"
        time.sleep(0.3)
        process.send_signal(signal.SIGTERM)
        _out, err = process.communicate(timeout=10)
    assert process.returncode == 128 + signal.SIGTERM, err
    assert "Traceback" not in err
    assert _only(folder) == []


def test_unwritable_folder_and_full_disk_are_one_line_errors(tmp_path, monkeypatch) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_bytes(b"")
    with pytest.raises(DownloadError, match="cannot write in"):
        download_file(_remote("f.bin", b"x"), blocker / "sub" / "f.bin")
    if not Path("/dev/full").exists():
        return
    from squeezeapp.core.models import download

    real_open = os.open
    monkeypatch.setattr(download.os, "open",
                        lambda path, flags, mode=0o777: real_open("/dev/full", os.O_WRONLY))
    body = b"f" * 200_000
    with serve({"/f.bin": ("ok", body)}) as base:
        monkeypatch.setenv("SQUEEZEAPP_MODEL_BASE_URL", base)
        with pytest.raises(DownloadError, match="No space left on device"):
            download_file(_remote("f.bin", body), tmp_path / "f.bin")
    assert _only(tmp_path) == ["a-file"]
