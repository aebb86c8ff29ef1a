"""The image-loading thread: decodes still images off the GUI thread, newest request first.

Paging quickly through a folder replaces requests not yet started (one `LatestSlot`), so only
the picture the user stopped on is decoded.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import Signal

from squeezeapp.core.common.errors import ImageReadError
from squeezeapp.core.imaging.decode import DISPLAY_MIN_SIDE, read_image
from squeezeapp.core.imaging.sources import Frame
from squeezeapp.ui.common.convert import bgr_to_qimage
from squeezeapp.ui.common.loop_worker import LoopWorker

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ImageRequest:
    token: int
    path: Path


class ImageLoader(LoopWorker):
    imageLoaded = Signal(int, object, object)  # token, Frame, QImage
    imageFailed = Signal(int, str, str)  # token, path, message for people

    def __init__(self, parent=None) -> None:
        super().__init__("image-loader", parent)
        self._requests = self.slot()

    def request(self, token: int, path: Path) -> None:
        self._requests.put(ImageRequest(token, path))

    def loop(self) -> None:
        while (request := self._requests.take()) is not None:
            path = request.path
            try:
                # as classify does: a huge JPEG decoded reduced (libjpeg scales while it
                # decodes), here only down to what a 4K screen shows
                image = read_image(path, min_side=DISPLAY_MIN_SIDE)
            except ImageReadError as error:
                self.imageFailed.emit(request.token, str(path), str(error))
                continue
            except Exception as error:  # a decoder bug must not end the thread
                logger.exception("loading %s failed", path)
                self.imageFailed.emit(request.token, str(path),
                                      f"{path}: {type(error).__name__}: {error}")
                continue
            frame = Frame.capture(image, str(path), live=False)
            self.imageLoaded.emit(request.token, frame, bgr_to_qimage(image))
