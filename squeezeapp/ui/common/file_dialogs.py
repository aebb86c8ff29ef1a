"""The file dialogs, with filters built from the formats the core reads, each starting in the
folder where the user last chose something of its kind (kept in the app's settings).

A folder is remembered only after a choice was made in the dialog (Cancel changes nothing). Each
kind (images, folder, video, model, export, sort) has its own; a kind never used yet starts where
the last dialog of any kind ended, and the very first in the user's Pictures folder (Videos for a
video, home for the rest), never the working directory a launcher happened to use.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSettings, QStandardPaths
from PySide6.QtWidgets import QFileDialog, QWidget

from squeezeapp.core.imaging.formats import VIDEO_EXTENSIONS, dialog_patterns
from squeezeapp.ui.common.settings import MAX_STORED_PATH_CHARS

DIALOG_KINDS = ("images", "folder", "video", "model", "export", "sort")
_LAST_ANY = "dialogs/last"


class DialogFolders:
    """Where each kind of file dialog starts; `store=None` keeps them for this run only."""

    def __init__(self, store: QSettings | None = None) -> None:
        self.store = store
        self._memory: dict[str, str] = {}

    def _get(self, key: str) -> str:
        value = self.store.value(key, "") if self.store is not None else self._memory.get(key)
        text = value if isinstance(value, str) else ""  # a hand-edited list or number: ignored
        return text if len(text) <= MAX_STORED_PATH_CHARS and "\0" not in text else ""

    def _put(self, key: str, value: str) -> None:
        if self.store is not None:
            self.store.setValue(key, value)
        else:
            self._memory[key] = value

    def start(self, kind: str) -> str:
        """The folder a `kind` dialog opens in: its own last, the last of any kind, else the
        user's own folder for it."""
        return self._get(f"dialogs/{kind}") or self._get(_LAST_ANY) or first_folder(kind)

    def remember(self, kind: str, folder: Path) -> None:
        """After a choice: the next `kind` dialog (and any kind not used yet) starts here."""
        text = str(folder)
        self._put(f"dialogs/{kind}", text)
        self._put(_LAST_ANY, text)

    def chosen(self, kind: str, answer: str, is_folder: bool = False) -> Path | None:
        """A dialog's answer as a path, None when it was cancelled (Qt answers ""); a choice
        remembers its folder (the answer itself for a folder dialog) for the next `kind`."""
        if not answer:
            return None
        path = Path(answer)
        self.remember(kind, path if is_folder else path.parent)
        return path


_VIDEO_PATTERNS = [f"*{ext}" for ext in sorted(VIDEO_EXTENSIONS)]
_FIRST = {"images": QStandardPaths.StandardLocation.PicturesLocation,
          "folder": QStandardPaths.StandardLocation.PicturesLocation,
          "sort": QStandardPaths.StandardLocation.PicturesLocation,
          "video": QStandardPaths.StandardLocation.MoviesLocation}


def first_folder(kind: str) -> str:
    """Where a first-ever dialog of `kind` opens: Pictures (Videos) when it exists, else home."""
    home = Path.home()
    location = _FIRST.get(kind)
    if location is not None:
        for folder in QStandardPaths.standardLocations(location):
            if folder and Path(folder).is_dir() and Path(folder) != home:
                return folder
    return str(home)


def _filters(kind: str, patterns: list[str]) -> str:
    return f"{kind} ({' '.join(patterns)});;All files (*)"


def ask_images(parent: QWidget, folders: DialogFolders) -> list[Path]:
    files, _ = QFileDialog.getOpenFileNames(parent, "Open Images", folders.start("images"),
                                            _filters("Images", dialog_patterns()))
    folders.chosen("images", files[0] if files else "")
    return [Path(f) for f in files]


def ask_folder(parent: QWidget, folders: DialogFolders) -> list[Path]:
    answer = QFileDialog.getExistingDirectory(parent, "Open Folder", folders.start("folder"))
    folder = folders.chosen("folder", answer, is_folder=True)
    return [folder] if folder else []


def ask_video(parent: QWidget, folders: DialogFolders) -> list[Path]:
    file, _ = QFileDialog.getOpenFileName(parent, "Open Video", folders.start("video"),
                                          _filters("Videos", _VIDEO_PATTERNS))
    video = folders.chosen("video", file)
    return [video] if video else []


def ask_model(parent: QWidget, folders: DialogFolders) -> Path | None:
    file, _ = QFileDialog.getOpenFileName(parent, "Open Model", folders.start("model"),
                                          "ONNX models (*.onnx)")
    return folders.chosen("model", file)


def ask_export_file(parent: QWidget, folders: DialogFolders, name: str,
                    filters: str) -> Path | None:
    start = folders.start("export")
    file, _ = QFileDialog.getSaveFileName(parent, "Export Results",
                                          str(Path(start) / name) if start else name, filters)
    return folders.chosen("export", file)


def ask_sort_folder(parent: QWidget, folders: DialogFolders) -> Path | None:
    folder = QFileDialog.getExistingDirectory(parent, "Copy Images into Label Folders Under…",
                                              folders.start("sort"))
    return folders.chosen("sort", folder, is_folder=True)
