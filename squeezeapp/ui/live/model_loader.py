"""The model-loading thread: validates and loads a model off the GUI thread.

A loaded classifier is handed straight to the inference worker (the GUI thread never holds it);
the window learns what was loaded, or why not, through typed signals.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import Signal

from squeezeapp.core.inference.check import plain_words
from squeezeapp.core.inference.classifier import Classifier, SessionSettings
from squeezeapp.ui.common.loop_worker import LoopWorker
from squeezeapp.ui.live.inference_worker import InferenceWorker
from squeezeapp.ui.live.payloads import LoadedModel, ModelFailure

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ModelRequest:
    model: str | Path | None  # None: the default model
    settings: SessionSettings
    purpose: str = "choice"  # why it was asked for: the model controller's fallback rules
    remember: tuple[tuple[str, object], ...] = ()  # settings to save once it has run once


class ModelLoader(LoopWorker):
    loaded = Signal(object, object)  # ModelRequest, LoadedModel
    loadFailed = Signal(object, object)  # ModelRequest, ModelFailure

    def __init__(self, inference: InferenceWorker, parent=None) -> None:
        super().__init__("model-loader", parent)
        self._inference = inference
        self._requests = self.slot()

    def request(self, request: ModelRequest) -> None:
        self._requests.put(request)

    @staticmethod
    def _words(model: str | Path | None, detail: str) -> str:
        """Plain words for a file that exists; a name not found keeps its own message."""
        if model is None or not Path(model).is_file():
            return detail
        try:
            return plain_words(str(model), detail)
        except Exception:  # reading it again failed too: the message is all there is
            return detail

    def loop(self) -> None:
        while (request := self._requests.take()) is not None:
            try:
                classifier = Classifier.load(request.model, request.settings)
            except Exception as error:  # every failure is the user's to read, none ends us
                logger.info("model %s not loaded: %s", request.model, error)
                detail = str(error) or type(error).__name__
                self.loadFailed.emit(request, ModelFailure(
                    self._words(request.model, detail), detail))
                continue
            self._inference.use(classifier)
            self.loaded.emit(request, LoadedModel(
                classifier.name, classifier.display_name, classifier.spec.path,
                classifier.provider, request.settings.threads, classifier.spec.sha256,
                classifier.cam_unsupported_reason))
