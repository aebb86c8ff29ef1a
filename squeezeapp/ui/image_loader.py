"""The image-loading thread: decodes still images off the GUI thread, newest request first.

Holds one "latest request" slot like the inference worker: paging quickly through a folder
replaces requests not yet started, so only the picture the user stopped on is decoded.
"""

from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtCore import QMutex, QMutexLocker, QThread, QWaitCondition, Signal

from squeezeapp.core.errors import ImageReadError
from squeezeapp.core.imageio import read_image
from squeezeapp.core.sources import Frame
from squeezeapp.ui.convert import bgr_to_qimage

logger = logging.getLogger(__name__)


class ImageLoader(QThread):
    imageLoaded = Signal(object, object)  # Frame, QImage
    imageFailed = Signal(str, str)  # path, one-line message

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("image-loader")
        self._mutex = QMutex()
        self._wake = QWaitCondition()
        self._request: Path | None = None
        self._stopping = False

    def request(self, path: Path) -> None:
        with QMutexLocker(self._mutex):
            self._request = path
            self._wake.wakeOne()

    def stop(self) -> None:
        with QMutexLocker(self._mutex):
            self._stopping = True
            self._wake.wakeAll()

    def run(self) -> None:
        while True:
            with QMutexLocker(self._mutex):
                while not (self._stopping or self._request):
                    self._wake.wait(self._mutex)
                if self._stopping:
                    return
                path, self._request = self._request, None
            try:
                image = read_image(path)
            except ImageReadError as error:
                self.imageFailed.emit(str(path), str(error))
                continue
            except Exception as error:  # a decoder bug must not kill the thread
                logger.exception("loading %s failed", path)
                self.imageFailed.emit(str(path), f"{path}: {error}")
                continue
            frame = Frame.capture(image, str(path), live=False)
            self.imageLoaded.emit(frame, bgr_to_qimage(image))
