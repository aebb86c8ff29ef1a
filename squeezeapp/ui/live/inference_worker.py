"""The inference thread: runs the model on the newest frame, never a queue of them.

`submit()` may be called from any thread (the capture thread calls it directly): it only puts
the frame in a `LatestSlot`; a frame still waiting is replaced and counted as dropped. The
classifier arrives from the model loader through a slot of its own, and so does the smoothing
switch, so nothing the GUI thread does writes into this thread's objects.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from PySide6.QtCore import Signal

from squeezeapp.core.imaging.sources import Frame
from squeezeapp.core.inference.classifier import Classifier
from squeezeapp.core.inference.smoothing import ProbabilitySmoother
from squeezeapp.core.measure.metrics import time_ms
from squeezeapp.ui.common.loop_worker import LoopWorker
from squeezeapp.ui.live.payloads import InferenceResult, LoadedModel  # noqa: F401  (re-exported)

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class _Job:
    frame: Frame
    token: int


class InferenceWorker(LoopWorker):
    resultReady = Signal(object)  # InferenceResult
    frameFailed = Signal(str)  # one frame could not be classified; the thread goes on

    def __init__(self, top_k: int = 5, parent=None) -> None:
        super().__init__("inference", parent)
        self.top_k = top_k
        self._jobs = self.slot()
        self._models = self.slot()
        self._smoothing_switch = self.slot()
        # owned by the thread from here on
        self._classifier: Classifier | None = None
        self._smoothing = True
        self._smoother = ProbabilitySmoother()
        self._last_token = -1

    # --- any thread --------------------------------------------------------------------
    def submit(self, frame: Frame, token: int = 0) -> None:
        """Offer the newest frame; one still waiting is replaced (and counted as dropped)."""
        self._jobs.put(_Job(frame, token))

    def use(self, classifier: Classifier) -> None:
        """Switch to `classifier` before the next frame (the loader thread hands it over)."""
        self._models.put(classifier)

    def set_smoothing(self, enabled: bool) -> None:
        self._smoothing_switch.put(enabled)

    @property
    def dropped(self) -> int:
        return self._jobs.replaced

    # --- the thread --------------------------------------------------------------------
    def loop(self) -> None:
        while (job := self._jobs.take()) is not None:
            if (classifier := self._models.take(timeout=0)) is not None:
                self._classifier = classifier
                self._smoother.reset()
            if (smoothing := self._smoothing_switch.take(timeout=0)) is not None:
                self._smoothing = smoothing
            if self._classifier is None:
                continue  # no model yet: the session submits the picture again once one loads
            if job.token != self._last_token or not job.frame.live:
                # a new request (a Replay of the same video too) or a frozen still between
                # live frames (a pause): the frames after it start a clean average
                self._smoother.reset()
                self._last_token = job.token
            try:
                self.resultReady.emit(self._classify(self._classifier, job))
            except Exception as error:  # one bad frame must not end the thread
                logger.exception("inference failed")
                self.frameFailed.emit(f"Inference failed: {type(error).__name__}: {error}")

    def _classify(self, classifier: Classifier, job: _Job) -> InferenceResult:
        frame = job.frame
        with time_ms() as elapsed:
            batch = classifier.new_batch(1)
            classifier.prepare(frame.image, batch[0])
            # the class maps come from the same inference (a second output): no second run
            all_probabilities, maps = classifier.run(batch, with_cam=classifier.supports_cam)
            probabilities = all_probabilities[0]
            smoothed = self._smoothing and frame.live
            if smoothed:
                probabilities = self._smoother.update(probabilities, frame.source)
            predictions = classifier.predictions(probabilities, self.top_k)
            height, width = frame.image.shape[:2]
            crop = classifier.crop_rect(height, width)
            cam = (None if maps is None
                   else classifier.class_maps(maps[0], predictions, (height, width)))
        return InferenceResult(frame.id, frame.timestamp, frame.source, frame.live, predictions,
                               elapsed(), classifier.name, smoothed, job.token, crop, cam,
                               classifier.display_name)
