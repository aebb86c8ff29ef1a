"""A first-time user's path around the window: file dialogs that start in Pictures, not the
working directory (issue #23)."""

from __future__ import annotations

from pathlib import Path

from squeezeapp.ui.common import file_dialogs
from tests import ui_helpers

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
