"""Downloading the model as a user sees it: Download greyed while it runs, a stalled server
said with the seconds waited, a checksum mismatch said as such (issue #23)."""

from __future__ import annotations

import dataclasses

import pytest
from PySide6.QtCore import Qt

from squeezeapp.core.models.registry import ZOO_MODEL
from squeezeapp.ui.models import controller
from tests import ui_helpers
from tests.httpserver import serve
from tests.ui_helpers import canvas_texts, make_window

WAIT_MS = 20_000
settings_file = ui_helpers.settings_file


def _routes(model_mode: str) -> dict[str, tuple[str, bytes]]:
    """The official model as a mirror serves it: stalling, or the right size with the wrong
    bytes (its labels file is left out of the download below: its checksum is the real one)."""
    model = ZOO_MODEL.model
    return {"/" + model.url.rsplit("/", 1)[1]: (model_mode, b"\0" * model.size)}


@pytest.fixture
def no_model_window(qtbot, tmp_path, monkeypatch, settings_file):
    monkeypatch.setenv("SQUEEZEAPP_MODEL_DIR", str(tmp_path / "empty"))
    monkeypatch.setattr(controller, "ZOO_MODEL", dataclasses.replace(ZOO_MODEL, labels=None))
    window = make_window(qtbot, settings_file, tmp_path)
    qtbot.waitUntil(lambda: window.models.first_run_box is not None
                    and window.models.first_run_box.isVisible(), timeout=WAIT_MS)
    window.models.first_run_box.reject()
    yield window
    window.close()


def test_download_is_greyed_while_downloading_and_a_stall_is_said(qtbot, no_model_window,
                                                                   monkeypatch) -> None:
    window = no_model_window
    with serve(_routes("stall")) as url:
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
    with serve(_routes("ok")) as url:
        monkeypatch.setenv("SQUEEZEAPP_MODEL_BASE_URL", url)
        window.models.download_default_model()
        qtbot.waitUntil(lambda: "The model could not be downloaded" in canvas_texts(window),
                        timeout=WAIT_MS)
    detail = next(t for t in canvas_texts(window) if "SHA-256 mismatch" in t)
    assert "checksum differs" in detail and "internet connection" not in detail
