"""A first-time user's path around the window: file dialogs that start in Pictures, not the
working directory; Ctrl+C or closing the window mid-run quits quietly and at once (issue #23)."""

from __future__ import annotations

import logging
import signal
import time
from pathlib import Path

from squeezeapp.ui.common import file_dialogs
from tests import ui_helpers
from tests.ui_helpers import gui_process

settings_file, window = ui_helpers.settings_file, ui_helpers.window  # the shared fixtures


class _Dialog:
    def __init__(self) -> None:
        self.starts: list[str] = []

    def getOpenFileNames(self, _parent, _title, start, _filters):
        self.starts.append(start)
        return [], ""

    def getOpenFileName(self, _parent, _title, start, _filters):
        self.starts.append(start)
        return "", ""

    def getExistingDirectory(self, _parent, _title, start):
        self.starts.append(start)
        return ""


def test_the_first_dialogs_start_in_pictures_or_home(qtbot, window, tmp_path, monkeypatch) -> None:
    home = tmp_path / "home"
    (home / "Pictures").mkdir(parents=True)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.delenv("XDG_CONFIG_HOME", raising=False)
    monkeypatch.chdir(tmp_path)  # a launcher's working directory: never where a dialog opens
    dialog = _Dialog()
    monkeypatch.setattr(file_dialogs, "QFileDialog", dialog)
    window.choose_images()
    window.choose_folder()
    window.choose_video()  # no Videos folder here: home
    window.models.choose_model()
    assert [Path(start) for start in dialog.starts] == [home / "Pictures", home / "Pictures",
                                                        home, home]


def test_ctrl_c_during_a_folder_run_quits_quietly_at_once(model_dir, sample_dir,
                                                         tmp_path) -> None:
    with gui_process(["--source", str(sample_dir)], tmp_path) as (process, lines):
        time.sleep(1.0)  # the batch and its thumbnails are running
        started = time.monotonic()
        process.send_signal(signal.SIGINT)
        assert process.wait(15) == 130, "".join(lines)
        took = time.monotonic() - started
    output = "".join(lines)
    assert "WARNING" not in output, output  # no "background job did not finish"
    assert took < 1.0, f"{took:.2f} s to quit"


def test_closing_the_window_mid_run_is_quiet_and_quick(qtbot, window, sample_dir,
                                                        caplog) -> None:
    view = window.results.view
    window.opener.open_paths([sample_dir])
    qtbot.waitUntil(lambda: view.model.done >= 1, timeout=30_000)
    started = time.monotonic()
    with caplog.at_level(logging.WARNING):
        window.close()
    assert time.monotonic() - started < 1.0
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING], caplog.text
