"""The inference thread: owns the onnxruntime session and a single "latest frame" slot.

`submit()` may be called from any thread; it only swaps the slot under a mutex (a frame still
waiting is replaced and counted as dropped), so callers never wait on inference. The model runs
outside the lock. Results leave through typed signals, as frozen dataclasses.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QMutex, QMutexLocker, QThread, QWaitCondition, Signal

from squeezeapp.core.classifier import Classifier, Prediction, SessionSettings
from squeezeapp.core.errors import SqueezeappError
from squeezeapp.core.metrics import time_ms
from squeezeapp.core.smoothing import ProbabilitySmoother
from squeezeapp.core.sources import Frame

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class InferenceResult:
    frame_id: int
    frame_timestamp: float
    source: str
    live: bool
    predictions: tuple[Prediction, ...]
    latency_ms: float  # pre-processing + inference + post-processing
    model: str
    smoothed: bool


@dataclass(frozen=True)
class LoadedModel:
    name: str
    path: Path
    provider: str
    threads: int | None


@dataclass(frozen=True)
class _ModelRequest:
    model: str | Path | None
    settings: SessionSettings


class InferenceWorker(QThread):
    resultReady = Signal(object)  # InferenceResult
    modelLoaded = Signal(object)  # LoadedModel
    modelFailed = Signal(str)
    failed = Signal(str)

    def __init__(self, top_k: int = 5, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("inference")
        self.top_k = top_k
        self._mutex = QMutex()
        self._wake = QWaitCondition()
        self._frame: Frame | None = None
        self._model_request: _ModelRequest | None = None
        self._stopping = False
        self._smoothing = True
        self._busy = False
        self._dropped = 0
        self._max_pending = 0
        self._classifier: Classifier | None = None
        self._awaiting_model: Frame | None = None  # arrived before any model was loaded
        self._smoother = ProbabilitySmoother()

    # --- called from any thread ---------------------------------------------------------
    def submit(self, frame: Frame) -> None:
        """Offer the newest frame; a frame still waiting is replaced and counted as dropped."""
        with QMutexLocker(self._mutex):
            if self._frame is not None:
                self._dropped += 1
            self._frame = frame
            self._max_pending = max(self._max_pending, 1)
            self._wake.wakeOne()

    def load_model(self, model: str | Path | None, settings: SessionSettings) -> None:
        """Switch models (or threads/provider) without restarting; the old one stays on failure."""
        with QMutexLocker(self._mutex):
            self._model_request = _ModelRequest(model, settings)
            self._wake.wakeOne()

    def set_smoothing(self, enabled: bool) -> None:
        with QMutexLocker(self._mutex):
            self._smoothing = enabled

    def stop(self) -> None:
        """Ask the thread to finish after the frame in progress; join with wait()."""
        with QMutexLocker(self._mutex):
            self._stopping = True
            self._wake.wakeAll()

    @property
    def dropped(self) -> int:
        with QMutexLocker(self._mutex):
            return self._dropped

    @property
    def max_pending(self) -> int:
        """Most frames ever waiting at once (by construction never above one)."""
        with QMutexLocker(self._mutex):
            return self._max_pending

    @property
    def idle(self) -> bool:
        with QMutexLocker(self._mutex):
            return self._frame is None and self._model_request is None and not self._busy

    # --- the thread ----------------------------------------------------------------------
    def run(self) -> None:
        while True:
            with QMutexLocker(self._mutex):
                while not (self._stopping or self._frame or self._model_request):
                    self._wake.wait(self._mutex)
                if self._stopping:
                    return
                request, self._model_request = self._model_request, None
                frame = None if request else self._frame
                if frame is not None:
                    self._frame = None
                smoothing = self._smoothing
                self._busy = True
            try:
                if request is not None:
                    self._load(request)
                elif frame is not None:
                    self._classify(frame, smoothing)
            except SqueezeappError as error:
                self.failed.emit(str(error))
            except Exception as error:  # never let one bad frame kill the thread
                logger.exception("inference failed")
                self.failed.emit(f"inference failed: {error}")
            finally:
                with QMutexLocker(self._mutex):
                    self._busy = False

    def _load(self, request: _ModelRequest) -> None:
        try:
            classifier = Classifier.load(request.model, request.settings)
        except SqueezeappError as error:
            self.modelFailed.emit(str(error))
            return
        self._classifier = classifier
        self._smoother.reset()
        waiting, self._awaiting_model = self._awaiting_model, None
        if waiting is not None:
            with QMutexLocker(self._mutex):
                if self._frame is None:
                    self._frame = waiting
        self.modelLoaded.emit(LoadedModel(classifier.name, classifier.spec.path,
                                          classifier.provider, request.settings.threads))

    def _classify(self, frame: Frame, smoothing: bool) -> None:
        classifier = self._classifier
        if classifier is None:
            self._awaiting_model = frame
            return
        with time_ms() as elapsed:
            probabilities = classifier.probabilities(frame.image)
            smoothed = smoothing and frame.live
            if smoothed:
                probabilities = self._smoother.update(probabilities, frame.source)
            predictions = classifier.predictions(probabilities, self.top_k)
        self.resultReady.emit(InferenceResult(
            frame.id, frame.timestamp, frame.source, frame.live, predictions, elapsed(),
            classifier.name, smoothed,
        ))
