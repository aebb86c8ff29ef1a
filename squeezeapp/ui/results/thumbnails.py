"""Thumbnails for the results grid, made on demand off the GUI thread, kept in a bounded cache.

Views ask only for the items they paint, so a 10,000-file folder costs what is on screen. A
request queue is served newest first (what the user scrolled to now matters more than what
scrolled past), bounded so that a fast fling never builds up thousands of decodes. Decoding runs
in one superqt worker at a time, which ends when the queue is empty.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Generator
from dataclasses import dataclass
from pathlib import Path

import cv2
from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QIcon, QImage, QPainter, QPixmap
from superqt.utils import GeneratorWorker, create_worker

from squeezeapp.core.common.errors import ImageReadError
from squeezeapp.core.imaging.decode import read_image
from squeezeapp.ui.common.convert import bgr_to_qimage
from squeezeapp.ui.common.jobs import start_tracked, wait_all

logger = logging.getLogger(__name__)

THUMBNAIL_PX = 160  # the longer side at 1× (a grid cell shows 136 px); times the screen ratio
MAX_CACHE_BYTES = 48 << 20
MAX_PENDING = 256


def make_thumbnail(path: Path, size: int = THUMBNAIL_PX) -> QImage:
    """A deep-copied QImage no larger than size×size, aspect kept; raises ImageReadError.

    Read as every picture is (`read_image`: a regular file only, never blocking on a FIFO, within
    the memory budget); a large JPEG is decoded at 1/2, 1/4 or 1/8 scale by libjpeg itself,
    several times faster than a full decode of a phone photo; every format comes out upright."""
    image = read_image(path, min_side=size)
    height, width = image.shape[:2]
    scale = min(1.0, size / max(height, width))
    if scale < 1.0:
        image = cv2.resize(image, (max(1, round(width * scale)), max(1, round(height * scale))),
                           interpolation=cv2.INTER_AREA)
    return bgr_to_qimage(image)


@dataclass(frozen=True)
class Thumbnail:
    pixmap: QPixmap  # the picture, aspect kept (for the grid)
    icon: QIcon  # the same centred on a square (for list rows, so their text lines up)


def _square_icon(pixmap: QPixmap) -> QIcon:
    side = max(pixmap.width(), pixmap.height())
    square = QPixmap(side, side)
    square.fill(Qt.GlobalColor.transparent)
    painter = QPainter(square)
    painter.drawPixmap((side - pixmap.width()) // 2, (side - pixmap.height()) // 2, pixmap)
    painter.end()
    return QIcon(square)


class ThumbnailCache(QObject):
    """`get(path)` returns a Thumbnail when made, else None (and asks for it to be made)."""

    thumbnailReady = Signal(str)  # the path, as str

    def __init__(self, max_bytes: int = MAX_CACHE_BYTES, size: int = THUMBNAIL_PX,
                 parent=None) -> None:
        super().__init__(parent)
        self.max_bytes = max_bytes
        self.size = size
        self._made: OrderedDict[str, Thumbnail] = OrderedDict()
        self._bytes: dict[str, int] = {}
        self._used = 0
        self._failed: set[str] = set()
        self._lock = threading.Lock()
        self._pending: OrderedDict[str, Path] = OrderedDict()  # guarded by _lock
        self._worker: GeneratorWorker | None = None
        self._idle = threading.Event()  # set when the last worker started has finished
        self._idle.set()

    @property
    def used_bytes(self) -> int:
        return self._used

    @property
    def busy(self) -> bool:
        """Whether thumbnails are being made now."""
        return self._worker is not None

    def get(self, path: Path) -> Thumbnail | None:
        key = str(path)
        made = self._made.get(key)
        if made is not None:
            self._made.move_to_end(key)
            return made
        if key not in self._failed:
            self._request(key, path)
        return None

    def _request(self, key: str, path: Path) -> None:
        with self._lock:
            self._pending[key] = path
            self._pending.move_to_end(key)
            while len(self._pending) > MAX_PENDING:
                self._pending.popitem(last=False)
        if self._worker is None:
            self._start_worker()

    def _start_worker(self) -> None:
        worker = create_worker(self._decode_pending, _start_thread=False,
                               _connect={"yielded": self._on_made,
                                         "finished": self._on_worker_finished,
                                         "errored": self._on_error})
        self._worker = worker
        self._idle = start_tracked(worker)

    def _decode_pending(self) -> Generator[tuple[str, QImage | None], None, None]:
        """Runs on a pool thread: newest request first, until none is left."""
        while True:
            with self._lock:
                if not self._pending:
                    return
                key, path = self._pending.popitem(last=True)
            try:
                yield key, make_thumbnail(path, self.size)
            except ImageReadError as error:
                logger.debug("no thumbnail for %s: %s", path, error)
                yield key, None

    def _on_made(self, item: tuple[str, QImage | None]) -> None:
        key, image = item
        if image is None:
            self._failed.add(key)
            return
        pixmap = QPixmap.fromImage(image)
        self._made[key] = Thumbnail(pixmap, _square_icon(pixmap))
        side = max(image.width(), image.height())
        cost = image.sizeInBytes() + side * side * 4
        self._bytes[key] = cost
        self._used += cost
        while self._used > self.max_bytes and len(self._made) > 1:
            old, _ = self._made.popitem(last=False)
            self._used -= self._bytes.pop(old)
        self.thumbnailReady.emit(key)

    def _on_error(self, error: Exception) -> None:
        logger.warning("thumbnails stopped: %s", error)  # cells keep their placeholder

    def _on_worker_finished(self) -> None:
        self._worker = None
        with self._lock:
            more = bool(self._pending)
        if more:  # requested between the worker's last look and its end
            self._start_worker()

    def clear(self) -> None:
        with self._lock:
            self._pending.clear()
        self._made.clear()
        self._bytes.clear()
        self._failed.clear()
        self._used = 0

    def cancel_pending(self) -> None:
        with self._lock:
            self._pending.clear()  # the worker ends by itself once it sees an empty queue

    def shutdown(self, timeout_s: float = 2.0) -> bool:
        """Drop the queue and wait (bounded) for the decode in progress; True if it ended."""
        self.cancel_pending()
        return wait_all([self._idle], timeout_s, "thumbnail worker")
