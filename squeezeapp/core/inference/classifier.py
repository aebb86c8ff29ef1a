"""The classifier: an onnxruntime session plus the model's own pre- and post-processing."""

from __future__ import annotations

import hashlib
import logging
import os
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import onnxruntime as ort

from squeezeapp.core.common.errors import ModelError
from squeezeapp.core.common.limits import check_threads
from squeezeapp.core.inference import prepared_cache
from squeezeapp.core.inference.check import (
    check_activation_budget,
    check_usable,
    ort_prints_logged,
)
from squeezeapp.core.inference.engine_choice import resolve_engine
from squeezeapp.core.inference.engines import Engine, configure
from squeezeapp.core.inference.graph_facts import CamSource, FeatureSource, GraphFacts
from squeezeapp.core.inference.postprocess import to_probabilities, top_k_indices
from squeezeapp.core.inference.preprocess import CropRect, Preprocessor
from squeezeapp.core.inference.providers import short_name
from squeezeapp.core.models.lookup import build_spec, resolve_model_path
from squeezeapp.core.models.model_file import load_model_proto, read_model_bytes
from squeezeapp.core.models.spec import ModelSpec, short_label

if TYPE_CHECKING:  # onnx is imported only to build a prepared model (see prepared_cache)
    import onnx

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


@dataclass(frozen=True, eq=False)  # holds an array: compared and hashed by identity
class ClassMaps:
    """Class activation maps of the predicted classes, as the model computed them.

    `maps[i]` belongs to `predictions[i]` (same order), on the model's feature grid (13×13 for
    SqueezeNet 1.1 at 224), covering `crop` of the original image. `cam.heatmap` turns one into
    an image-aligned heatmap."""

    maps: np.ndarray  # [k, h, w] float32, a copy owned by this object
    crop: CropRect
    image_size: tuple[int, int]  # (height, width) of the classified image


@dataclass(frozen=True)
class Classification:
    predictions: tuple[Prediction, ...]
    latency_ms: float  # pre-processing + inference + post-processing of this image
    model: str
    cam: ClassMaps | None = None  # only when asked for (classify(..., with_cam=True))

    @property
    def top(self) -> Prediction:
        return self.predictions[0]


@dataclass(frozen=True, eq=False)  # holds arrays: compared and hashed by identity
class FeatureBatch:
    """What one inference gives for teaching: probabilities [N,C], logits [N,C] (the scores
    before softmax) and the backbone's pooled features [N,F], all float32."""

    probabilities: np.ndarray
    logits: np.ndarray
    features: np.ndarray


@dataclass(frozen=True)
class SessionSettings:
    """How to run a model: thread count (None: onnxruntime's default) and provider request."""

    threads: int | None = None
    provider: str | None = None  # an engine's name (engines.py); None/"auto": measured fastest
    # Idle inference threads busy-wait for the next run: the lowest latency for back-to-back
    # frames, but on a small machine they steal the cores that decode files in classify_files.
    spin_wait: bool = True
    # Rewrite the graph at load so that it takes the uint8 crop and normalises inside (see
    # graph_rewrite). False: the file's own float NCHW input, normalised in Python.
    graph_prologue: bool = True
    # How many images the session is opened for (None: a long run, e.g. live video): "auto"
    # keeps onnxruntime CPU where a faster engine's start (OpenVINO compiles) would not pay off.
    expected_images: int | None = None


class Classifier:
    """Classify BGR uint8 frames. `classify` reuses one input buffer: use it from one thread;
    `infer`, `prepare` and `classify_batch` are safe from several threads at once."""

    def __init__(self, spec: ModelSpec, session: ort.InferenceSession,
                 graph: GraphFacts | None = None,
                 settings: SessionSettings | None = None, engine: Engine | None = None) -> None:
        self.spec = spec
        self.engine = engine
        self.settings = settings or SessionSettings()
        self.session = session
        self.preprocess = Preprocessor(spec.preprocess)
        batch_dim = spec.input_shape[0]
        self.max_batch: int | None = batch_dim if isinstance(batch_dim, int) and batch_dim > 0 \
            else None
        self.input_name = graph.input_name if graph else spec.input_name
        self.uint8_input = bool(graph and graph.uint8_input)
        self.normalisation = graph.normalisation if graph else "in Python (float NCHW input)"
        self.cam_source = graph.cam if graph else CamSource(None, "the graph was not rewritten")
        self.feature_source = graph.features if graph else \
            FeatureSource(None, None, None, "the graph was not rewritten")
        self._outputs = [spec.output_name]
        self._outputs_with_cam = [spec.output_name, self.cam_source.tensor or ""]
        self._single = self.new_batch(1)

    @classmethod
    def load(cls, model: str | os.PathLike[str] | None = None,
             settings: SessionSettings | None = None) -> Classifier:
        """Find, open and validate a model; every failure is a one-line ModelError.

        The rewritten model comes from the user cache when it is there (onnxruntime alone);
        otherwise it is built with `onnx` and kept for next time (prepared_cache)."""
        settings = settings or SessionSettings()
        path = resolve_model_path(model)
        # size, kind and header checked before the file is read whole (model_file)
        sha256 = hashlib.sha256(read_model_bytes(path)).hexdigest()
        engine = resolve_engine(settings.provider, sha256, settings.expected_images)
        fields = prepared_cache.key_fields(sha256, settings.graph_prologue)
        prepared = prepared_cache.load(fields)
        spec = _spec(path, prepared.record, sha256) if prepared is not None else None
        session: ort.InferenceSession | None = None
        graph: GraphFacts | None = None
        if spec is not None and prepared is not None \
                and spec.preprocess.as_dict() == prepared.preprocess:
            check_activation_budget(prepared.record.activation_bytes, path.name)
            try:
                session, graph = open_session(prepared.model, settings, path.name, engine), \
                    prepared.facts
            except ModelError:  # an engine that cannot take the rewritten graph: as below
                logger.info("%s: the prepared model did not open on %s", path.name, engine.name)
        if spec is None or session is None:
            # first use, the file's sidecar changed the pre-processing, or the prepared model
            # did not open: rewrite again (falling back to the file as it is)
            spec, session, graph = _prepare(path, sha256, settings, fields, engine)
        logger.info("loaded %s (%s) on %s; normalisation %s", spec.name, path,
                    session.get_providers()[0], graph.normalisation if graph else "in Python")
        classifier = cls(spec, session, graph, settings, engine)
        check_usable(classifier)
        return classifier

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def display_name(self) -> str:
        return self.spec.display_name

    @property
    def provider(self) -> str:
        return short_name(self.session.get_providers()[0])

    @property
    def supports_cam(self) -> bool:
        """Whether classify(..., with_cam=True) can return class activation maps."""
        return self.cam_source.supported

    @property
    def cam_unsupported_reason(self) -> str:
        """Why there are no maps (for a disabled action's tooltip); empty when there are."""
        return self.cam_source.reason

    @property
    def supports_features(self) -> bool:
        """Whether `run_features` can give pooled features and logits (teaching needs them)."""
        return self.feature_source.supported

    def run_features(self, batch: np.ndarray) -> FeatureBatch:
        """Probabilities, logits and pooled features for a batch, from one inference."""
        source = self.feature_source
        if not source.supported or source.features is None or source.logits is None:
            raise ModelError(f"{self.spec.path.name}: no features to teach with "
                             f"({source.reason})")
        if self.max_batch is not None and batch.shape[0] > self.max_batch:
            parts = [self.run_features(batch[i:i + self.max_batch])
                     for i in range(0, batch.shape[0], self.max_batch)]
            return FeatureBatch(*(np.concatenate([getattr(p, field) for p in parts])
                                  for field in ("probabilities", "logits", "features")))
        output, logits, features = self.session.run(
            [self.spec.output_name, source.logits, source.features], {self.input_name: batch})
        count = batch.shape[0]
        try:
            probabilities = to_probabilities(np.asarray(output), self.spec.output_kind,
                                             len(self.spec.labels))
        except ValueError as error:
            raise ModelError(f"{self.spec.path.name}: {error}") from None
        return FeatureBatch(probabilities,
                            np.asarray(logits, np.float32).reshape(count, -1),
                            np.asarray(features, np.float32).reshape(count, -1))

    def crop_rect(self, height: int, width: int) -> CropRect:
        """The square of a height×width image that the model sees."""
        return self.preprocess.crop_rect(height, width)

    def new_batch(self, count: int) -> np.ndarray:
        """An input buffer for `count` images, in the session's own input form."""
        if self.uint8_input:
            size = self.spec.preprocess.size
            return np.empty((count, size, size, 3), np.uint8)
        return self.preprocess.new_batch(count)

    def prepare(self, image: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
        """One BGR uint8 image as the session's input row: just the crop when the graph
        normalises, else the float NCHW tensor."""
        if self.uint8_input:
            return self.preprocess.crop(image, out)
        return self.preprocess(image, out)

    def infer(self, batch: np.ndarray) -> np.ndarray:
        """Probabilities [N,C] for a batch made by `new_batch`/`prepare`."""
        return self.run(batch, with_cam=False)[0]

    def run(self, batch: np.ndarray, with_cam: bool = False
            ) -> tuple[np.ndarray, np.ndarray | None]:
        """Probabilities [N,C] and, with_cam (where supported), all class maps [N,C,h,w]."""
        with_cam = with_cam and self.supports_cam
        if self.max_batch is not None and batch.shape[0] > self.max_batch:
            parts = [self.run(batch[i:i + self.max_batch], with_cam)
                     for i in range(0, batch.shape[0], self.max_batch)]
            maps = np.concatenate([p[1] for p in parts]) if with_cam else None
            return np.concatenate([p[0] for p in parts]), maps
        wanted = self._outputs_with_cam if with_cam else self._outputs
        try:
            outputs = self.session.run(wanted, {self.input_name: batch})
            probabilities = to_probabilities(np.asarray(outputs[0]), self.spec.output_kind,
                                             len(self.spec.labels))
        except ValueError as error:  # output shape turned out not to match the labels
            raise ModelError(f"{self.spec.path.name}: {error}") from None
        return probabilities, (outputs[1] if with_cam else None)

    def probabilities(self, image: np.ndarray) -> np.ndarray:
        """Probabilities [C] for one BGR uint8 image."""
        self.prepare(image, out=self._single[0])
        return self.infer(self._single)[0]

    def predictions(self, probabilities: np.ndarray, top_k: int = 5) -> tuple[Prediction, ...]:
        spec = self.spec
        return tuple(
            Prediction(rank, int(i), spec.wnids[i], spec.labels[i], float(probabilities[i]))
            for rank, i in enumerate(top_k_indices(probabilities, top_k), start=1)
        )

    def classify(self, image: np.ndarray, top_k: int = 5,
                 with_cam: bool = False) -> Classification:
        """Top-k predictions for one BGR uint8 image; with_cam (where `supports_cam`) adds the
        class activation maps of those k classes from the same inference."""
        started = time.perf_counter()
        self.prepare(image, out=self._single[0])
        probabilities, maps = self.run(self._single, with_cam)
        predictions = self.predictions(probabilities[0], top_k)
        cam = None if maps is None else self.class_maps(maps[0], predictions, image.shape[:2])
        return Classification(predictions, (time.perf_counter() - started) * 1e3, self.name, cam)

    def class_maps(self, maps: np.ndarray, predictions: Sequence[Prediction],
                   image_size: tuple[int, ...]) -> ClassMaps:
        """The maps of the predicted classes, out of one image's maps of all classes [C,h,w],
        with where they lie in that image (its height, width)."""
        height, width = image_size[:2]
        chosen = maps[[p.index for p in predictions]]  # fancy indexing copies
        return ClassMaps(chosen, self.crop_rect(height, width), (height, width))

    def classify_batch(self, images: Sequence[np.ndarray], top_k: int = 5) -> list[Classification]:
        started = time.perf_counter()
        batch = self.new_batch(len(images))
        for image, slot in zip(images, batch, strict=True):
            self.prepare(image, out=slot)
        probabilities = self.infer(batch)
        per_image_ms = (time.perf_counter() - started) * 1e3 / max(1, len(images))
        return [Classification(self.predictions(row, top_k), per_image_ms, self.name)
                for row in probabilities]


def _spec(path: Path, record: prepared_cache.ModelRecord, sha256: str) -> ModelSpec:
    return build_spec(path, record.metadata, record.inputs, record.outputs, sha256=sha256)


def _prepare(path: Path, sha256: str, settings: SessionSettings, fields: dict[str, object],
             engine: Engine) -> tuple[ModelSpec, ort.InferenceSession, GraphFacts | None]:
    """Read the file with `onnx`, rewrite it, open it, and keep the result in the cache."""
    from squeezeapp.core.inference.check import (
        activation_bytes,
        check_activation_budget,
        check_input_type,
        check_output_type,
    )
    from squeezeapp.core.inference.graph_rewrite import graph_inputs, rewrite
    from squeezeapp.core.models.lookup import model_metadata

    proto = _read_model(path)
    inputs = [(i.name, _shape(i)) for i in graph_inputs(proto.graph)]
    outputs = [(o.name, _shape(o)) for o in proto.graph.output]
    metadata = model_metadata(proto, path)
    spec = _spec(path, prepared_cache.ModelRecord(metadata, inputs, outputs), sha256)
    check_input_type(graph_inputs(proto.graph)[0], path.name)
    check_output_type(proto, spec.output_name, path.name)
    needed = activation_bytes(proto, spec.input_name, spec.preprocess.size)
    check_activation_budget(needed, path.name)
    record = prepared_cache.ModelRecord(metadata, inputs, outputs, needed)
    try:
        rewritten = rewrite(proto, spec.preprocess, uint8_input=settings.graph_prologue)
        model = rewritten.model.SerializeToString()
        session = open_session(model, settings, path.name, engine)
    except Exception:  # a graph the rewrite cannot handle must not cost the user the model
        logger.warning("%s: the rewritten graph did not load; using the file as it is",
                       path.name, exc_info=logger.isEnabledFor(logging.DEBUG))
        return spec, open_session(str(path), settings, path.name, engine), None
    facts = GraphFacts.of(rewritten)
    prepared_cache.store(fields, prepared_cache.PreparedModel(
        record, facts, spec.preprocess.as_dict(), model))
    return spec, session, facts


def _read_model(path: Path) -> onnx.ModelProto:
    """Size, kind and header checked before the file is read (`model_file`)."""
    return load_model_proto(path)


def _shape(value: onnx.ValueInfoProto) -> list[int | str | None]:
    """A tensor's declared shape as onnxruntime reports it: numbers, names, or None."""
    dims = value.type.tensor_type.shape.dim
    return [d.dim_value if d.HasField("dim_value") else (d.dim_param or None) for d in dims]


def open_session(model: str | bytes, settings: SessionSettings, display_name: str,
                 engine: Engine | None = None) -> ort.InferenceSession:
    """A session on a model file path or serialised model bytes, on `engine` (default: the
    engine `settings.provider` names; "auto" without a model to look up: the classic rule)."""
    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.log_severity_level = 3  # errors only: warnings about unused initialisers are noise
    if check_threads(settings.threads):
        options.intra_op_num_threads = settings.threads
    options.inter_op_num_threads = 1
    if not settings.spin_wait:
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    engine = engine or resolve_engine(settings.provider, "")
    try:
        providers = configure(engine, options, settings.threads)
        with ort_prints_logged():
            return ort.InferenceSession(model, sess_options=options, providers=providers)
    except ModelError:
        raise
    except Exception as error:  # onnxruntime raises several unrelated exception types
        first_line = str(error).strip().splitlines()[0] if str(error).strip() else type(error)
        raise ModelError(f"{display_name}: not a usable ONNX model ({first_line})") from None
