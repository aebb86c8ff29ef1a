"""The capture thread: opens a camera or video, reads it at its own rate, emits frames.

Frames go out with a QImage copy made here, so the GUI thread only paints. A lost camera is
reported, then re-opened every `retry_interval_s` until it answers again. Waiting (pause, pacing,
retry) is a QWaitCondition wait, so `stop()` and source changes interrupt it at once.
"""

from __future__ import annotations

import logging
import time

from PySide6.QtCore import QMutex, QMutexLocker, QThread, QWaitCondition, Signal

from squeezeapp.core.sources import Frame, FrameSource, SourceError
from squeezeapp.ui.convert import bgr_to_qimage

logger = logging.getLogger(__name__)


class CaptureWorker(QThread):
    frameReady = Signal(object, object)  # Frame, QImage
    sourceOpened = Signal(str)  # description
    sourceLost = Signal(str)  # message; the worker keeps retrying
    sourceFailed = Signal(str)  # message; the worker gave up on this source
    sourceEnded = Signal(str)  # a video without looping reached its end

    def __init__(self, retry_interval_s: float = 3.0, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("capture")
        self.retry_interval_s = retry_interval_s
        self._mutex = QMutex()
        self._wake = QWaitCondition()
        self._requested: FrameSource | None = None
        self._generation = 0
        self._paused = False
        self._stopping = False

    # --- called from the GUI thread ---------------------------------------------------------
    def set_source(self, source: FrameSource | None) -> None:
        """Switch to `source` (None: stop capturing). Opening happens on this thread."""
        with QMutexLocker(self._mutex):
            self._requested = source
            self._generation += 1
            self._paused = False
            self._wake.wakeAll()

    def set_paused(self, paused: bool) -> None:
        with QMutexLocker(self._mutex):
            self._paused = paused
            self._wake.wakeAll()

    @property
    def paused(self) -> bool:
        with QMutexLocker(self._mutex):
            return self._paused

    def stop(self) -> None:
        with QMutexLocker(self._mutex):
            self._stopping = True
            self._wake.wakeAll()

    # --- the thread ----------------------------------------------------------------------
    def _wait(self, generation: int, seconds: float | None) -> bool:
        """Wait up to `seconds` (None: until woken); False when stopping or the source changed."""
        with QMutexLocker(self._mutex):
            if self._stopping or generation != self._generation:
                return False
            if seconds is None:
                self._wake.wait(self._mutex)
            elif seconds > 0:
                self._wake.wait(self._mutex, max(1, int(seconds * 1000)))
            return not self._stopping and generation == self._generation

    def _current(self) -> tuple[FrameSource | None, int, bool, bool]:
        with QMutexLocker(self._mutex):
            return self._requested, self._generation, self._paused, self._stopping

    def run(self) -> None:
        while True:
            source, generation, _, stopping = self._current()
            if stopping:
                return
            if source is None:
                self._wait(generation, None)
                continue
            try:
                self._play(source, generation)
            finally:
                source.close()
            with QMutexLocker(self._mutex):
                if generation == self._generation and not self._stopping:
                    self._requested = None  # finished or failed for good: idle until told

    def _open(self, source: FrameSource, generation: int, lost: bool) -> bool:
        """Open the source, retrying a camera until it answers; False to give up."""
        while True:
            try:
                source.open()
            except SourceError as error:
                if not source.reconnects:  # a video that will not open will never open
                    self.sourceFailed.emit(str(error))
                    return False
                if not lost:
                    self.sourceLost.emit(f"{error}; retrying every {self.retry_interval_s:g} s")
                    lost = True
                if not self._wait(generation, self.retry_interval_s):
                    return False
                continue
            self.sourceOpened.emit(source.description)
            return True

    def _play(self, source: FrameSource, generation: int) -> None:
        if not self._open(source, generation, lost=False):
            return
        interval = 1.0 / source.fps if source.fps and not source.paced_by_device else 0.0
        due = time.monotonic()
        while True:
            _, current, paused, stopping = self._current()
            if stopping or current != generation:
                return
            if paused:
                self._wait(generation, None)
                due = time.monotonic()
                continue
            image = source.read()
            if image is None:
                if not source.reconnects:
                    self.sourceEnded.emit(f"{source.description}: end of video")
                    return
                self.sourceLost.emit(f"{source.description} lost; retrying every "
                                     f"{self.retry_interval_s:g} s")
                source.close()
                if not self._wait(generation, self.retry_interval_s):
                    return
                if not self._open(source, generation, lost=True):
                    return
                continue
            frame = Frame.capture(image, source.key, live=True)
            self.frameReady.emit(frame, bgr_to_qimage(image))
            if interval:
                due += interval
                delay = due - time.monotonic()
                if delay < -interval:  # fell behind (slow decode): do not try to catch up
                    due = time.monotonic()
                elif delay > 0 and not self._wait(generation, delay):
                    return
