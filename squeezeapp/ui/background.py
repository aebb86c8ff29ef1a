"""One-shot background jobs: probing cameras and downloading a model, off the GUI thread."""

from __future__ import annotations

import threading

from PySide6.QtCore import QThread, Signal

from squeezeapp.core.download import download_known_model
from squeezeapp.core.errors import DownloadCancelledError, SqueezeappError
from squeezeapp.core.registry import KnownModel
from squeezeapp.core.sources import list_cameras


class CameraProbe(QThread):
    """Opens each candidate camera once (slow on some systems) and reports those that work."""

    found = Signal(list)  # list[CameraInfo]

    def run(self) -> None:
        self.found.emit(list_cameras())


class ModelDownload(QThread):
    progress = Signal(int, int)  # bytes so far, total (0 when unknown)
    finished_ok = Signal(str)  # path
    failed = Signal(str)

    def __init__(self, model: KnownModel, parent=None) -> None:
        super().__init__(parent)
        self.model = model
        self._cancel = threading.Event()

    def cancel(self) -> None:
        self._cancel.set()

    def run(self) -> None:
        try:
            path = download_known_model(
                self.model, progress=lambda done, total: self.progress.emit(done, total or 0),
                cancel=self._cancel)
        except DownloadCancelledError:
            self.failed.emit("Download cancelled.")
        except SqueezeappError as error:
            self.failed.emit(str(error))
        else:
            self.finished_ok.emit(str(path))
