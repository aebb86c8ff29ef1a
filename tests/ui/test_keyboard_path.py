"""A keyboard-only path: Tab reaches every button on the canvas (O toggles the overlay), F11
goes full screen, and both are listed in Keyboard Shortcuts (issue #23)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QPushButton

from squeezeapp.ui.window.help_dialogs import shortcut_entries
from tests import ui_helpers
from tests.fakes import NeverCamera, make_video
from tests.ui_helpers import canvas_texts, make_window

WAIT_MS = 20_000
settings_file, window = ui_helpers.settings_file, ui_helpers.window  # the shared fixtures


def _tab_to(qtbot, window, text: str, presses: int = 12) -> QPushButton:
    """Press Tab from the picture until the button `text` has the focus."""
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=WAIT_MS)
    window.view.setFocus()
    for _ in range(presses):
        qtbot.keyClick(QApplication.focusWidget() or window, Qt.Key.Key_Tab)
        focused = QApplication.focusWidget()
        if isinstance(focused, QPushButton) and focused.text() == text:
            return focused
    raise AssertionError(f"Tab never reached {text!r}: {canvas_texts(window)}")


def test_tab_reaches_the_canvas_buttons_in_every_state(qtbot, window, sample_images,
                                                       tmp_path) -> None:
    overlay = window.view.view_options.overlay_visible
    clip = make_video(tmp_path / "short.mp4", sample_images[:1], frames_per_photo=3)
    window.loop_action.setChecked(False)
    window.opener.open_video(clip)
    qtbot.waitUntil(lambda: "Ended" in canvas_texts(window), timeout=WAIT_MS)
    replay = _tab_to(qtbot, window, "Replay")
    shown = window.session.display_meter.count
    qtbot.keyClick(replay, Qt.Key.Key_Space)  # a focused button is pressed with Space
    qtbot.waitUntil(lambda: window.session.display_meter.count > shown, timeout=WAIT_MS)

    window.session.open_live(NeverCamera())
    qtbot.waitUntil(lambda: "Stop" in canvas_texts(window), timeout=WAIT_MS)
    qtbot.keyClick(_tab_to(qtbot, window, "Stop"), Qt.Key.Key_Space)
    assert window.session.live_source is None

    window.board.error("test", "Something failed", "details")
    _tab_to(qtbot, window, "✕")  # the card's dismiss button
    assert window.view.view_options.overlay_visible is overlay  # Tab never toggled it
    qtbot.keyClick(window.view, Qt.Key.Key_O)
    assert window.view.view_options.overlay_visible is not overlay


def test_tab_reaches_the_no_model_buttons(qtbot, tmp_path, monkeypatch, settings_file) -> None:
    monkeypatch.setenv("SQUEEZEAPP_MODEL_DIR", str(tmp_path / "empty"))
    window = make_window(qtbot, settings_file, tmp_path)
    qtbot.waitUntil(lambda: window.models.first_run_box is not None
                    and window.models.first_run_box.isVisible(), timeout=WAIT_MS)
    window.models.first_run_box.reject()  # the canvas keeps the buttons
    _tab_to(qtbot, window, "Open Model File…")
    window.close()


def test_f11_goes_full_screen_and_both_keys_are_listed(qtbot, window) -> None:
    entries = {entry.where: entry.keys for entry in shortcut_entries(window)}
    assert "F11" in entries["View ▸ Full Screen"].split(", ")
    assert entries["View ▸ Show Overlay"] == "O"
    qtbot.keyClick(window, Qt.Key.Key_F11)
    qtbot.waitUntil(window.isFullScreen, timeout=WAIT_MS)
    qtbot.keyClick(window, Qt.Key.Key_F11)
    qtbot.waitUntil(lambda: not window.isFullScreen(), timeout=WAIT_MS)
