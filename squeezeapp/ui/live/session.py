"""The live session: the worker threads, the current request, the meters, and the one rule that
decides whether something arriving from a thread still matters.

Every request for a new picture (an image, a video, a camera, a paste) gets a new token; frames,
decoded images, failures and results carry the token they answer, and only those of the current
token are shown (`_is_current`). The source label, window title and overlay change only when the
new picture is on screen (`pictureShown`); until then the old one is veiled as being replaced.

The session owns threads, never widgets: what the picture should show leaves it as signals
(`frameShown`, `predictionsChanged`, `statsChanged`, …) that the window connects to the view.
"""

from __future__ import annotations

import logging
import time
from dataclasses import replace
from pathlib import Path

from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtGui import QImage

from squeezeapp.core.common.files import short_path
from squeezeapp.core.imaging.sources import Frame, FrameSource
from squeezeapp.core.measure.metrics import LatencyStats, RateMeter
from squeezeapp.ui.common.canvas_message import Level, MessageAction, MessageBoard
from squeezeapp.ui.common.convert import qimage_to_bgr
from squeezeapp.ui.common.loop_worker import LoopWorker
from squeezeapp.ui.live.capture_worker import CaptureRequest, CaptureWorker
from squeezeapp.ui.live.image_loader import ImageLoader
from squeezeapp.ui.live.inference_worker import InferenceWorker
from squeezeapp.ui.live.model_loader import ModelLoader, ModelRequest
from squeezeapp.ui.live.payloads import InferenceResult, LiveStats, LoadedModel

logger = logging.getLogger(__name__)

STATS_INTERVAL_MS = 250
VEIL_AFTER_MS = 150  # a picture that decodes faster than this is never veiled (no flicker)


class LiveSession(QObject):
    pictureShown = Signal(str)  # description, once the new picture is on screen
    resultShown = Signal(object)  # InferenceResult, once it reached the view
    liveChanged = Signal()  # a live source started, paused, ended or stopped
    imageFailed = Signal(str, str)  # path, message (the picture asked for could not be opened)
    sourceWorked = Signal(str)  # a Frame.source: the image asked for decoded, or the video opened
    sourceOpened = Signal(object)  # the live FrameSource, open (its `details` are known)
    modelLoaded = Signal(object, object)  # ModelRequest, LoadedModel
    modelFailed = Signal(object, object)  # ModelRequest, ModelFailure
    # what the picture shows; the window connects these to the view
    frameShown = Signal(object, object)  # Frame, QImage: put this picture on screen
    pictureCleared = Signal()  # no picture
    predictionsChanged = Signal(object)  # InferenceResult | None: the overlay's predictions
    captionChanged = Signal(str)  # the model the predictions come from, for people
    statsChanged = Signal(object)  # LiveStats | None: the FPS line
    badgeChanged = Signal(str)  # "Paused", "Stopped", "Ended", a folder position, or ""
    replacingChanged = Signal(str)  # the veil's text over a picture being replaced, or ""

    def __init__(self, board: MessageBoard, retry_interval_s: float = 3.0, parent=None) -> None:
        super().__init__(parent)
        self.board = board
        self.frame: Frame | None = None  # the picture on screen
        self.retry_interval_s = retry_interval_s
        self.inference = InferenceWorker(parent=self)
        self.capture = CaptureWorker(retry_interval_s, parent=self)
        self.loader = ImageLoader(parent=self)
        self.model_loader = ModelLoader(self.inference, parent=self)
        self.display_meter, self.inference_meter = RateMeter(), RateMeter()
        self.latency = LatencyStats()
        self.last_result: InferenceResult | None = None
        self.loaded: LoadedModel | None = None
        # mirroring is a setting per kind of source: cameras are mirrored (a selfie view),
        # video files play as recorded (a fish swims the way it swam)
        self.mirror_camera, self.mirror_video, self.loop_video = True, False, True
        self._token = 0
        self._shown_token = -1
        self._pending = ""  # what the current token will show, for people
        self._badge = ""
        self._live: CaptureRequest | None = None  # the live state wanted, while a source plays
        self._ended = False
        self._still_results: dict[tuple[str, str], InferenceResult] = {}
        self._frozen_frame_id = -1  # the paused or stopped live frame classified as a still
        self._frozen: Frame | None = None  # that frame, while its own result is awaited
        self._veil = QTimer(self, singleShot=True, interval=VEIL_AFTER_MS)
        self._veil.timeout.connect(self._show_veil)
        self._stats_timer = QTimer(self, interval=STATS_INTERVAL_MS)
        self._stats_timer.timeout.connect(self._refresh_stats)
        self._connect()

    def _connect(self) -> None:
        capture, inference = self.capture, self.inference
        # straight from the capture thread into the inference slot: a put, no GUI-thread hop
        capture.frameReady.connect(lambda token, frame, _image: inference.submit(frame, token),
                                   type=Qt.ConnectionType.DirectConnection)
        capture.frameReady.connect(self._on_live_frame)
        capture.opened.connect(self._on_opened)
        capture.waiting.connect(self._on_waiting)
        capture.sourceFailed.connect(self._on_source_failed)
        capture.ended.connect(self._on_ended)
        self.loader.imageLoaded.connect(self._on_image_loaded)
        self.loader.imageFailed.connect(self._on_image_failed)
        inference.resultReady.connect(self._on_result)
        inference.frameFailed.connect(lambda message: self.board.note(Level.ERROR, message))
        self.model_loader.loaded.connect(self._on_model_loaded)
        self.model_loader.loadFailed.connect(self.modelFailed)
        for worker in self.workers:
            worker.failed.connect(lambda message, w=worker: self._on_worker_failed(w, message))

    def frame_displayed(self) -> None:
        """The view painted a new frame (its `frameDisplayed`): counts towards the display rate."""
        self.display_meter.tick()

    @property
    def workers(self) -> tuple[LoopWorker, ...]:
        return (self.capture, self.loader, self.inference, self.model_loader)

    def start(self) -> None:
        for worker in self.workers:
            worker.start()
        self._stats_timer.start()

    # --- the one staleness rule --------------------------------------------------------------
    def _is_current(self, token: int) -> bool:
        return token == self._token

    def _new_request(self, description: str, badge: str = "") -> int:
        self._token += 1
        self._frozen = None
        self._pending, self._badge = description, badge
        self._veil.start()
        return self._token

    def _show_veil(self) -> None:
        if self._shown_token == self._token:
            return
        if self.frame is not None:  # veil the old picture: it is not the one asked for
            self.replacingChanged.emit(f"Opening {self._pending}…")
        else:
            self.board.info("source", f"Opening {self._pending}…")

    def _present(self, token: int, frame: Frame, image: QImage) -> bool:
        """Put a picture on screen; True when it is the first of its request."""
        self.frame = frame
        self.frameShown.emit(frame, image)
        if token == self._shown_token:
            return False
        self._shown_token = token
        self._veil.stop()
        self.replacingChanged.emit("")
        self.predictionsChanged.emit(None)
        self.statsChanged.emit(None)
        self.badgeChanged.emit(self._badge)
        self.board.clear("source")
        self.board.clear("open")
        self.board.clear_errors()  # a failed model, snapshot or folder was about the last one
        self.pictureShown.emit(self._pending)
        return True

    # --- requests from the window ------------------------------------------------------------
    @property
    def live_source(self) -> FrameSource | None:
        return self._live.source if self._live is not None else None

    @property
    def paused(self) -> bool:
        return self._live is not None and self._live.paused

    @property
    def ended(self) -> bool:
        return self._ended

    def open_live(self, source: FrameSource) -> None:
        """Start a live source (camera, video, or a test's fake camera)."""
        token = self._new_request(source.description)
        self._live = CaptureRequest(token, source, False, self.mirror_for(source),
                                    self.loop_video)
        self._ended = False
        self.capture.request(self._live)
        self.liveChanged.emit()

    def show_image(self, path: Path, badge: str = "") -> None:
        token = self._new_request(path.name, badge)
        self._stop_live(token)
        self.loader.request(token, path)

    def show_pasted(self, image: QImage) -> None:
        token = self._new_request("pasted image")
        self._stop_live(token)
        frame = Frame.capture(qimage_to_bgr(image), f"clipboard:{token}", live=False)
        self._show_still(token, frame, image.copy())

    def clear_picture(self) -> None:
        """Leave the picture view empty (a batch went to the results view): a live source stops
        and whatever was being opened becomes stale, so that nothing is decoded or classified
        beside the batch until the user picks a picture."""
        self._token += 1
        self._shown_token = self._token
        self._frozen = None
        self._pending, self._badge = "", ""
        self._veil.stop()
        self._stop_live(self._token)
        self._clear_frame()
        self.board.clear("source")
        self.pictureShown.emit("")

    def _clear_frame(self) -> None:
        self.frame = None
        self.pictureCleared.emit()

    def stop(self) -> None:
        """Stop the live source, keeping the last picture (the user's Stop)."""
        self._token += 1  # whatever the old source still sends is stale from now on
        self._shown_token = self._token
        self._veil.stop()
        self.replacingChanged.emit("")
        self._stop_live(self._token)
        self.board.clear("source", Level.INFO)
        self.statsChanged.emit(None)  # as at a video's end: no frozen FPS line under "Stopped"
        self.badgeChanged.emit("Stopped" if self.frame is not None else "")
        self._classify_frozen_frame()

    def _stop_live(self, token: int) -> None:
        if self._live is not None:
            self._live = None
            self._ended = False
            self.capture.request(CaptureRequest(token, None))
            self.liveChanged.emit()

    def set_paused(self, paused: bool) -> None:
        if self._live is None or self._ended:
            return
        self._update_live(paused=paused)
        self.badgeChanged.emit("Paused" if paused else "")
        if paused:
            self._classify_frozen_frame()
        else:
            self._frozen = None

    def _classify_frozen_frame(self) -> None:
        """A live frame that stays on screen (paused, stopped, ended) is a still from now on:
        classify it on its own, so that its predictions are not averaged with earlier scenes.
        Until its result comes, the overlay shows none (never the smoothed live ones), and
        live results still in flight are set aside (`_on_result`)."""
        frame = self.frame
        if frame is not None and frame.live and self.loaded is not None:
            self._frozen_frame_id = frame.id
            self._frozen = frame
            self.predictionsChanged.emit(None)
            self._submit_frozen()

    def _submit_frozen(self) -> None:
        if self._frozen is not None:
            self.inference.submit(replace(self._frozen, live=False), self._token)

    @staticmethod
    def is_camera(source: FrameSource | None) -> bool:
        """Cameras reconnect when lost; files do not (a test's fake camera is a camera)."""
        return source is None or source.reconnects

    def mirror_for(self, source: FrameSource | None) -> bool:
        return self.mirror_camera if self.is_camera(source) else self.mirror_video

    @property
    def mirror(self) -> bool:
        """The mirror setting of the source playing (of cameras when nothing plays)."""
        return self.mirror_for(self.live_source)

    def set_mirror(self, mirror: bool) -> None:
        """Mirror (or not) the kind of source playing now, and that kind from now on."""
        if self.is_camera(self.live_source):
            self.mirror_camera = mirror
        else:
            self.mirror_video = mirror
        self._update_live(mirror=mirror)

    def set_loop(self, loop: bool) -> None:
        self.loop_video = loop
        self._update_live(loop=loop)

    def _update_live(self, **changes) -> None:
        if self._live is not None:
            self._live = replace(self._live, **changes)
            self.capture.request(self._live)
            self.liveChanged.emit()

    def replay(self) -> None:
        source = self.live_source
        if source is not None:
            self.open_live(source)  # the capture thread closed it: it is ours to hand back

    # --- from the workers ---------------------------------------------------------------------
    def _on_live_frame(self, token: int, frame: Frame, image: QImage) -> None:
        self.capture.frame_taken()
        if self._frozen is not None or self.paused:
            return  # sent before the pause reached the capture thread: the picture stays
        if self._is_current(token):
            self._present(token, frame, image)

    def _on_opened(self, token: int, _description: str) -> None:
        if self._is_current(token):
            self.board.clear("source", Level.INFO)
            if (source := self.live_source) is not None:
                self.sourceWorked.emit(source.key)
                self.sourceOpened.emit(source)

    def _on_waiting(self, token: int, message: str) -> None:
        if not self._is_current(token):
            return
        self._veil.stop()
        self.board.info("source", f"Waiting for {self._pending}…",
                        f"{message}. Trying again every {self.retry_interval_s:g} s.",
                        (MessageAction("Stop", self.stop),))

    def _on_source_failed(self, token: int, message: str) -> None:
        if not self._is_current(token):
            return
        self._veil.stop()
        self.replacingChanged.emit("")
        self._live, self._ended = None, False
        self.board.error("source", f"Could not play {short_path(self._pending)}", message)
        self.liveChanged.emit()

    def _on_ended(self, token: int, description: str) -> None:
        if not self._is_current(token):
            return
        self._ended = True
        self.badgeChanged.emit("Ended")
        self.statsChanged.emit(None)
        self._classify_frozen_frame()
        self.board.info("source", "Ended", f"{description} played to its end.",
                        (MessageAction("Replay", self.replay),))
        self.liveChanged.emit()

    def _on_image_loaded(self, token: int, frame: Frame, image: QImage) -> None:
        if self._is_current(token):
            self._show_still(token, frame, image)
            self.sourceWorked.emit(frame.source)

    def _show_still(self, token: int, frame: Frame, image: QImage) -> None:
        self._present(token, frame, image)
        cached = self._still_results.get((frame.source, self.loaded.name if self.loaded else ""))
        if cached is not None:
            self._show_result(replace(cached, token=token))
        else:
            self.inference.submit(frame, token)

    def _on_image_failed(self, token: int, path: str, message: str) -> None:
        if not self._is_current(token):
            return
        self._veil.stop()
        self._shown_token = token
        self._clear_frame()
        self.badgeChanged.emit(self._badge)
        self.board.clear("source", Level.INFO)
        self.board.error("source", f"Could not open {Path(path).name}", message)
        self.imageFailed.emit(path, message)
        self.pictureShown.emit(f"{self._pending} (could not be opened)")

    def _on_result(self, result: InferenceResult) -> None:
        frozen = self._frozen
        if frozen is not None and (result.live or result.frame_id != frozen.id):
            # a live frame in flight when the picture froze: not about the frozen frame, and
            # it may have taken the frozen frame's place in the model's slot
            if result.live:
                self._submit_frozen()
            return
        if not self._is_current(result.token):
            return  # answers a request the user has left
        self._frozen = None
        self.inference_meter.tick()
        self.latency.add(result.latency_ms)
        if not result.live and result.frame_id != self._frozen_frame_id:
            self._still_results[(result.source, result.model)] = result  # (a video's frames
            # share the video's path: a frozen one is not that file's answer)
        self._show_result(result)

    def _show_result(self, result: InferenceResult) -> None:
        self.last_result = result
        self.captionChanged.emit(result.model_display_name or result.model)
        self.predictionsChanged.emit(result)
        self.resultShown.emit(result)

    def _refresh_stats(self) -> None:
        frame = self.frame
        if self._live is None or self._ended or frame is None or not frame.live:
            return
        self.statsChanged.emit(LiveStats(self.display_meter.rate(), self.inference_meter.rate(),
                                      self.latency.latest, self.inference.dropped))

    def _on_worker_failed(self, worker: LoopWorker, message: str) -> None:
        self.board.error("threads", "Something went wrong inside squeezeapp", message)
        if not worker.stopping:
            worker.wait(100)
            worker.start()  # its slots are still open: carry on with the next request

    # --- models ------------------------------------------------------------------------------
    def load_model(self, request: ModelRequest) -> None:
        self.model_loader.request(request)

    def _on_model_loaded(self, request: ModelRequest, loaded: LoadedModel) -> None:
        self.loaded = loaded
        self.modelLoaded.emit(request, loaded)
        frame = self.frame
        if frame is not None and not frame.live and self._shown_token == self._token:
            self.inference.submit(frame, self._token)  # classify the still shown again

    # --- shutdown ------------------------------------------------------------------------
    def shutdown(self, timeout_ms: int = 2000) -> float:
        """Stop every thread (the capture thread releases the camera); seconds it took."""
        start = time.monotonic()
        self._stats_timer.stop()
        self._veil.stop()
        deadline = start + timeout_ms / 1000
        for worker in self.workers:  # all at once: they wind down in parallel
            worker.close_inputs()
        for worker in self.workers:
            worker.stop(max(1, int((deadline - time.monotonic()) * 1000)))
        return time.monotonic() - start
