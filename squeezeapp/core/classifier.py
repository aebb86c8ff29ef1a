"""The classifier: an onnxruntime session plus the model's own pre- and post-processing."""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import onnxruntime as ort

from squeezeapp.core.errors import ModelError
from squeezeapp.core.limits import check_threads
from squeezeapp.core.modelcheck import check_usable, ort_prints_logged
from squeezeapp.core.models import build_spec, resolve_model_path, session_metadata
from squeezeapp.core.modelspec import ModelSpec, short_label
from squeezeapp.core.postprocess import to_probabilities, top_k_indices
from squeezeapp.core.preprocess import Preprocessor
from squeezeapp.core.providers import resolve_providers, short_name

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Prediction:
    rank: int
    index: int
    wnid: str
    label: str
    probability: float

    @property
    def name(self) -> str:
        """Short display name (first comma-separated name)."""
        return short_label(self.label)

    def as_dict(self) -> dict[str, object]:
        return {"rank": self.rank, "index": self.index, "wnid": self.wnid, "label": self.label,
                "probability": round(self.probability, 6)}


@dataclass(frozen=True)
class Classification:
    predictions: tuple[Prediction, ...]
    latency_ms: float  # pre-processing + inference + post-processing of this image
    model: str

    @property
    def top(self) -> Prediction:
        return self.predictions[0]


@dataclass(frozen=True)
class SessionSettings:
    """How to run a model: thread count (None: onnxruntime's default) and provider request."""

    threads: int | None = None
    provider: str | None = None  # None/"auto": the best available
    # Idle inference threads busy-wait for the next run: the lowest latency for back-to-back
    # frames, but on a small machine they steal the cores that decode files in classify_files.
    spin_wait: bool = True


class Classifier:
    """Classify BGR uint8 frames. `classify` reuses one input buffer: use it from one thread."""

    def __init__(self, spec: ModelSpec, session: ort.InferenceSession) -> None:
        self.spec = spec
        self.session = session
        self.preprocess = Preprocessor(spec.preprocess)
        batch_dim = spec.input_shape[0]
        self.max_batch: int | None = batch_dim if isinstance(batch_dim, int) and batch_dim > 0 \
            else None
        self._single = self.preprocess.new_batch(1)

    @classmethod
    def load(cls, model: str | os.PathLike[str] | None = None,
             settings: SessionSettings | None = None) -> Classifier:
        """Find, open and validate a model; every failure is a one-line ModelError."""
        settings = settings or SessionSettings()
        path = resolve_model_path(model)
        session = open_session(path, settings)
        spec = build_spec(
            path,
            session_metadata(session, path),
            [(i.name, list(i.shape)) for i in session.get_inputs()],
            [(o.name, list(o.shape)) for o in session.get_outputs()],
        )
        logger.info("loaded %s (%s) on %s", spec.name, path, session.get_providers()[0])
        classifier = cls(spec, session)
        check_usable(classifier)
        return classifier

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def provider(self) -> str:
        return short_name(self.session.get_providers()[0])

    def infer(self, batch: np.ndarray) -> np.ndarray:
        """Probabilities [N,1000] for a pre-processed NCHW float32 batch."""
        if self.max_batch is not None and batch.shape[0] > self.max_batch:
            return np.concatenate([self.infer(batch[i:i + self.max_batch])
                                   for i in range(0, batch.shape[0], self.max_batch)])
        try:
            (output,) = self.session.run([self.spec.output_name], {self.spec.input_name: batch})
            return to_probabilities(np.asarray(output), self.spec.output_kind)
        except ValueError as error:  # output shape turned out not to be 1000 classes
            raise ModelError(f"{self.spec.path.name}: {error}") from None

    def probabilities(self, image: np.ndarray) -> np.ndarray:
        """Probabilities [1000] for one BGR uint8 image."""
        self.preprocess(image, out=self._single[0])
        return self.infer(self._single)[0]

    def predictions(self, probabilities: np.ndarray, top_k: int = 5) -> tuple[Prediction, ...]:
        spec = self.spec
        return tuple(
            Prediction(rank, int(i), spec.wnids[i], spec.labels[i], float(probabilities[i]))
            for rank, i in enumerate(top_k_indices(probabilities, top_k), start=1)
        )

    def classify(self, image: np.ndarray, top_k: int = 5) -> Classification:
        started = time.perf_counter()
        probabilities = self.probabilities(image)
        predictions = self.predictions(probabilities, top_k)
        return Classification(predictions, (time.perf_counter() - started) * 1e3, self.name)

    def classify_batch(self, images: Sequence[np.ndarray], top_k: int = 5) -> list[Classification]:
        started = time.perf_counter()
        batch = self.preprocess.new_batch(len(images))
        for image, slot in zip(images, batch, strict=True):
            self.preprocess(image, out=slot)
        probabilities = self.infer(batch)
        per_image_ms = (time.perf_counter() - started) * 1e3 / max(1, len(images))
        return [Classification(self.predictions(row, top_k), per_image_ms, self.name)
                for row in probabilities]


def open_session(path: Path, settings: SessionSettings) -> ort.InferenceSession:
    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.log_severity_level = 3  # errors only: warnings about unused initialisers are noise
    if check_threads(settings.threads):
        options.intra_op_num_threads = settings.threads
    options.inter_op_num_threads = 1
    if not settings.spin_wait:
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    providers = resolve_providers(settings.provider)
    try:
        with ort_prints_logged():
            return ort.InferenceSession(str(path), sess_options=options, providers=providers)
    except Exception as error:  # onnxruntime raises several unrelated exception types
        first_line = str(error).strip().splitlines()[0] if str(error).strip() else type(error)
        raise ModelError(f"{path.name}: not a usable ONNX model ({first_line})") from None
