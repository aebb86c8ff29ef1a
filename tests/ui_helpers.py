"""Helpers for GUI tests: a window on a scratch settings file, and what its canvas says.

Test modules import the fixtures by name (`from tests.ui_helpers import window`).
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from PySide6.QtCore import QMimeData, QPointF, QSettings, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent

from squeezeapp.ui.common.options import GuiOptions
from squeezeapp.ui.window.main_window import MainWindow
from tests.fakes import make_video


def make_window(qtbot, settings_file: Path, tmp_path: Path, options: GuiOptions | None = None,
                **kwargs) -> MainWindow:
    store = QSettings(str(settings_file), QSettings.Format.IniFormat)
    window = MainWindow(store, options, retry_interval_s=0.2,
                        snapshot_dir=tmp_path / "snapshots", **kwargs)
    qtbot.addWidget(window)
    window.show()
    return window


@pytest.fixture(scope="session")
def video(sample_images, tmp_path_factory) -> Path:
    """A 30 fps clip made from a few of the shared photos (2 s)."""
    folder = tmp_path_factory.mktemp("video")
    return make_video(folder / "clip.mp4", sample_images[:4], frames_per_photo=15)


@pytest.fixture
def settings_file(tmp_path) -> Path:
    return tmp_path / "settings.ini"


@pytest.fixture
def window(qtbot, model_dir, settings_file, tmp_path):
    """The window with the default model loaded; closed, and its threads checked, afterwards."""
    window = make_window(qtbot, settings_file, tmp_path)
    qtbot.waitUntil(lambda: window.session.loaded is not None, timeout=20_000)
    yield window
    window.close()
    assert_threads_joined(window)


def assert_threads_joined(window: MainWindow) -> None:
    for worker in window.session.workers:
        assert worker.isFinished() and not worker.isRunning(), worker.objectName()


def canvas_texts(window: MainWindow) -> list[str]:
    """The texts of the message cards on the canvas, as the user reads them."""
    return window.view.messages.texts()


def click_canvas_button(qtbot, window: MainWindow, text: str) -> None:
    button = window.view.messages.button(text)
    assert button is not None, f"no {text!r} button on the canvas: {canvas_texts(window)}"
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def drop_on(window: MainWindow, mime: QMimeData) -> QDropEvent:
    """Drag `mime` over the window and drop it, as the desktop would."""
    position = QPointF(window.width() / 2, window.height() / 2)
    enter = QDragEnterEvent(position.toPoint(), Qt.DropAction.CopyAction, mime,
                            Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    window.dragEnterEvent(enter)
    assert enter.isAccepted()
    drop = QDropEvent(position, Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                      Qt.KeyboardModifier.NoModifier)
    window.dropEvent(drop)
    return drop


def file_mime(*paths: Path) -> QMimeData:
    """What a file manager puts in a drag of these files or folders."""
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
    return mime


@contextmanager
def gui_process(args: list[str], config_dir: Path,
                ready: str = "Loaded SqueezeNet 1.1") -> Iterator[tuple[subprocess.Popen, list]]:
    """`python -m squeezeapp -v gui ARGS` offscreen in a subprocess, yielded (with the stderr
    lines read so far) once a line says `ready`; killed afterwards if still running."""
    from tests.conftest import REPO

    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "XDG_CONFIG_HOME": str(config_dir)}
    process = subprocess.Popen([sys.executable, "-m", "squeezeapp", "-v", "gui", *args],
                               cwd=REPO, env=env, stderr=subprocess.PIPE, text=True)
    lines: list[str] = []
    seen = threading.Event()

    def read() -> None:
        assert process.stderr is not None
        for line in process.stderr:
            lines.append(line)
            if ready in line:
                seen.set()

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        assert seen.wait(60), "".join(lines)
        yield process, lines
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(15)
        reader.join(5)
