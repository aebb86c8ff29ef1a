"""The open dialogs, with filters built from the formats the core reads."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QFileDialog, QWidget

from squeezeapp.core.imageio import IMAGE_EXTENSIONS, VIDEO_EXTENSIONS


def _filters(kind: str, extensions) -> str:
    return f"{kind} ({' '.join(f'*{ext}' for ext in sorted(extensions))});;All files (*)"


def ask_images(parent: QWidget) -> list[Path]:
    files, _ = QFileDialog.getOpenFileNames(parent, "Open Images", "",
                                            _filters("Images", IMAGE_EXTENSIONS))
    return [Path(f) for f in files]


def ask_folder(parent: QWidget) -> list[Path]:
    folder = QFileDialog.getExistingDirectory(parent, "Open Folder")
    return [Path(folder)] if folder else []


def ask_video(parent: QWidget) -> list[Path]:
    file, _ = QFileDialog.getOpenFileName(parent, "Open Video", "",
                                          _filters("Videos", VIDEO_EXTENSIONS))
    return [Path(file)] if file else []
