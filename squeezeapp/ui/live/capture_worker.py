"""The capture thread: opens a camera or video, reads it at its own pace, emits frames.

It is driven by one `LatestSlot[CaptureRequest]`: each request is the whole wanted state (source,
paused, mirror, loop), so requests replace each other and a resume can never be lost behind a
pause. Waiting (pause, pacing, camera retry) is a `take()` with a timeout: a new request or
`stop()` ends it at once. Anything a source raises ends that source with a message; the thread
stays alive for the next one.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass

import cv2
import numpy as np
from PySide6.QtCore import Signal

from squeezeapp.core.imaging.sources import Frame, FrameSource, SourceError, VideoFileSource
from squeezeapp.ui.common.convert import bgr_to_qimage
from squeezeapp.ui.common.loop_worker import LoopWorker

logger = logging.getLogger(__name__)

MAX_UNSHOWN = 2  # frames emitted but not yet taken by the GUI thread: more, and the next waits


class PlaybackClock:
    """Maps a video file's time stamps to the wall clock, as a player does: the frame at
    position p is due `p - p0` seconds after the frame at p0 was. It starts again after a pause
    (`reset`) and when the position goes back (a loop)."""

    def __init__(self) -> None:
        self._anchor: tuple[float, float] | None = None  # (monotonic time, position)
        self._last = 0.0  # the position asked about last: one before it means a loop

    def reset(self) -> None:
        self._anchor = None

    def due(self, position: float) -> float:
        if self._anchor is None or position < self._last:
            self._anchor = (time.monotonic(), position)
        self._last = position
        wall, start = self._anchor
        return wall + (position - start)


@dataclass(frozen=True)
class CaptureRequest:
    token: int  # a new token means a new source; the same token updates the settings below
    source: FrameSource | None  # None: capture nothing
    paused: bool = False
    mirror: bool = False
    loop: bool = True  # videos: start again at the end


class CaptureWorker(LoopWorker):
    frameReady = Signal(int, object, object)  # token, Frame, QImage (a copy)
    opened = Signal(int, str)  # token, description
    waiting = Signal(int, str)  # token, message: not there (yet) or lost; retrying
    sourceFailed = Signal(int, str)  # token, message: given up on this source
    ended = Signal(int, str)  # token, description: a video reached its end

    def __init__(self, retry_interval_s: float = 3.0, parent=None) -> None:
        super().__init__("capture", parent)
        self.retry_interval_s = retry_interval_s
        self._requests = self.slot()
        self._skipped = 0  # video frames passed over to keep time (decode or display behind)
        self._unshown = 0  # frames emitted that the GUI thread has not taken yet
        self._count_lock = threading.Lock()

    @property
    def skipped(self) -> int:
        """Video frames passed over to keep real time, since the start."""
        with self._count_lock:
            return self._skipped

    def frame_taken(self) -> None:
        """GUI thread: a `frameReady` arrived (current or stale), so one fewer is queued."""
        with self._count_lock:
            self._unshown = max(0, self._unshown - 1)

    def _count_skipped(self, frames: int) -> None:
        with self._count_lock:
            self._skipped += frames

    def request(self, request: CaptureRequest) -> None:
        """Any thread: the state wanted from now on."""
        self._requests.put(request)

    # --- the thread ----------------------------------------------------------------------
    def loop(self) -> None:
        request = self._requests.take()
        while request is not None:
            source = request.source
            if source is None:
                request = self._requests.take()
                continue
            playing = request
            try:
                request = self._play(playing, source)
            except Exception as error:  # a source bug ends the source, never the thread
                logger.exception("capture from %s failed", source.description)
                self.sourceFailed.emit(playing.token, f"{source.description}: "
                                                      f"{type(error).__name__}: {error}")
                request = self._idle_until_new(playing)

    def _idle_until_new(self, current: CaptureRequest) -> CaptureRequest | None:
        """After a source ended or failed: wait for a request for another source."""
        if current.source is not None:
            current.source.close()
        return self._requests.take(accept=lambda r: r.token != current.token)

    def _next(self, current: CaptureRequest, seconds: float | None) -> CaptureRequest | None:
        """Wait up to `seconds` for a new request: the request now in force (`current` when none
        came), or None once the worker is closing."""
        new = self._requests.take(timeout=seconds)
        if new is None:
            return None if self._requests.closed else current
        return new

    @staticmethod
    def _leaves(current: CaptureRequest, new: CaptureRequest | None) -> bool:
        """Whether `new` ends the current source (closing, another token or source)."""
        return new is None or new.token != current.token or new.source is not current.source

    def _open(self, request: CaptureRequest, source: FrameSource, lost: bool
              ) -> tuple[CaptureRequest | None, bool]:
        """Open the source, retrying a camera until it answers: (request, opened)."""
        while True:
            try:
                source.open()
            except SourceError as error:
                if not source.reconnects:  # a video that will not open will never open
                    self.sourceFailed.emit(request.token, str(error))
                    return self._idle_until_new(request), False
                if not lost:
                    self.waiting.emit(request.token, str(error))
                    lost = True
                new = self._next(request, self.retry_interval_s)
                if new is None or self._leaves(request, new):
                    source.close()
                    return new, False
                request = new
                continue
            self.opened.emit(request.token, source.description)
            return request, True

    def _emit(self, request: CaptureRequest, source: FrameSource, image: np.ndarray,
              position: float | None) -> bool:
        """Send a frame to the window and the model; False (nothing sent) while the window
        still has MAX_UNSHOWN frames to take: queued frames would play in slow motion."""
        with self._count_lock:
            if self._unshown >= MAX_UNSHOWN:
                return False
            self._unshown += 1
        if request.mirror:
            image = cv2.flip(image, 1)
        frame = Frame.capture(image, source.key, live=True, position_s=position)
        self.frameReady.emit(request.token, frame, bgr_to_qimage(image))
        return True

    def _catch_up(self, source: FrameSource, clock: PlaybackClock, interval: float) -> None:
        """A file whose next frame is more than a frame late (slow decoding, a busy machine)
        passes over frames, decoded but never converted or shown, until it is on time again:
        at most a second's worth, so that a frame is still shown when even skipping is slow."""
        position, skipped = source.position_s, 0
        while position is not None and skipped < max(1, round(1 / interval)):
            if time.monotonic() - clock.due(position + interval) <= interval:
                break
            if not source.skip():
                break
            skipped += 1
            position = source.position_s
        if skipped:
            self._count_skipped(skipped)

    def _play(self, first: CaptureRequest, source: FrameSource) -> CaptureRequest | None:
        request, opened = self._open(first, source, lost=False)
        if request is None or not opened:
            return request
        interval = 1.0 / source.fps if source.fps and not source.paced_by_device else 0.0
        due = time.monotonic()
        clock = PlaybackClock()
        while True:
            if request.paused:
                new = self._next(request, None)
                if new is None or self._leaves(request, new):
                    source.close()
                    return new
                request, due = new, time.monotonic()
                clock.reset()
                continue
            if isinstance(source, VideoFileSource):
                source.loop = request.loop
            if interval:
                self._catch_up(source, clock, interval)
            image = source.read()
            if image is None:
                if not source.reconnects:
                    self.ended.emit(request.token, source.description)
                    return self._idle_until_new(request)
                self.waiting.emit(request.token, f"{source.description} was lost")
                source.close()
                new = self._next(request, self.retry_interval_s)
                if new is None or self._leaves(request, new):
                    return new
                reopened, opened = self._open(new, source, lost=True)
                if reopened is None or not opened:
                    return reopened
                request = reopened
                continue
            position = source.position_s
            if not self._emit(request, source, image, position):
                self._count_skipped(1)  # the window has not shown the last ones: keep time
            delay = 0.0
            if interval and position is not None:  # a file: its time stamps set the pace
                delay = clock.due(position + interval) - time.monotonic()
            elif interval:  # no time stamps (a test's fake camera): the frame rate does
                due += interval
                delay = due - time.monotonic()
                if delay < -interval:  # fell behind (slow decode): do not try to catch up
                    due, delay = time.monotonic(), 0.0
            new = self._next(request, max(0.0, delay))
            if new is None or self._leaves(request, new):
                source.close()
                return new
            request = new
