"""Downloading the model as a user sees it: Download greyed while it runs, a stalled server
said with the seconds waited, a checksum mismatch said as such (issue #23)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from PySide6.QtCore import Qt

from squeezeapp.core.models.registry import ZOO_MODEL
from tests import ui_helpers
from tests.ui_helpers import canvas_texts, make_window

WAIT_MS = 20_000
settings_file = ui_helpers.settings_file


class _Handler(BaseHTTPRequestHandler):
    stop = threading.Event()
    mode = "stall"  # "stall": a few bytes, then silence; "wrong": the right size, wrong bytes

    def do_GET(self) -> None:
        size = ZOO_MODEL.model.size
        self.send_response(200)
        self.send_header("Content-Length", str(size))
        self.end_headers()
        try:
            if self.mode == "wrong":
                self.wfile.write(b"\0" * size)
                return
            self.wfile.write(b"x" * 1000)
            self.wfile.flush()
            self.stop.wait(30)
        except OSError:
            return

    def log_message(self, *args) -> None:
        pass


@contextmanager
def _server(mode: str) -> Iterator[str]:
    handler = type("H", (_Handler,), {"stop": threading.Event(), "mode": mode})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        handler.stop.set()
        server.shutdown()
        server.server_close()


@pytest.fixture
def no_model_window(qtbot, tmp_path, monkeypatch, settings_file):
    monkeypatch.setenv("SQUEEZEAPP_MODEL_DIR", str(tmp_path / "empty"))
    window = make_window(qtbot, settings_file, tmp_path)
    qtbot.waitUntil(lambda: window.models.first_run_box is not None
                    and window.models.first_run_box.isVisible(), timeout=WAIT_MS)
    window.models.first_run_box.reject()
    yield window
    window.close()


def test_download_is_greyed_while_downloading_and_a_stall_is_said(qtbot, no_model_window,
                                                                   monkeypatch) -> None:
    window = no_model_window
    with _server("stall") as url:
        monkeypatch.setenv("SQUEEZEAPP_MODEL_BASE_URL", url)
        qtbot.mouseClick(window.view.messages.button("Download"), Qt.MouseButton.LeftButton)
        button = window.view.messages.button("Downloading…")
        assert button is not None and not button.isEnabled()
        assert window.view.messages.button("Open Model File…").isEnabled()
        dialog = window.models.progress
        qtbot.waitUntil(lambda: "waiting for the server…" in dialog.labelText(), timeout=10_000)
        assert dialog.labelText().rstrip().endswith(" s")
        window.models.cancel_download()
    button = window.view.messages.button("Download")
    assert button is not None and button.isEnabled()


def test_a_checksum_mismatch_says_what_failed(qtbot, no_model_window, monkeypatch) -> None:
    window = no_model_window
    with _server("wrong") as url:
        monkeypatch.setenv("SQUEEZEAPP_MODEL_BASE_URL", url)
        window.models.download_default_model()
        qtbot.waitUntil(lambda: "The model could not be downloaded" in canvas_texts(window),
                        timeout=WAIT_MS)
    detail = next(t for t in canvas_texts(window) if "SHA-256 mismatch" in t)
    assert "checksum differs" in detail and "internet connection" not in detail
