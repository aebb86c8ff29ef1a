"""`squeezeapp models quantize`: an int8 (QDQ, per-channel) copy calibrated on the user's photos.

Uses onnxruntime's static quantisation. The calibration images are read and pre-processed exactly
as for inference, so the activation ranges match what the model will see. Metadata (labels,
pre-processing) is copied over, so the int8 file is selectable like any other model.
"""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Callable
from pathlib import Path

import numpy as np
import onnx
from onnxruntime.quantization import CalibrationDataReader, QuantFormat, QuantType, quantize_static
from onnxruntime.quantization.shape_inference import quant_pre_process

from squeezeapp.core.classifier import Classifier, SessionSettings
from squeezeapp.core.errors import ImageReadError, SqueezeappError
from squeezeapp.core.imageio import expand_image_paths, read_image
from squeezeapp.core.paths import user_models_dir

logger = logging.getLogger(__name__)

MAX_CALIBRATION_IMAGES = 200
MIN_CALIBRATION_IMAGES = 10


class _Reader(CalibrationDataReader):
    def __init__(self, classifier: Classifier, paths: list[Path],
                 progress: Callable[[int, int | None], None] | None) -> None:
        self.classifier = classifier
        self.paths = iter(paths)
        self.total = len(paths)
        self.done = 0
        self.progress = progress

    def get_next(self) -> dict[str, np.ndarray] | None:
        for path in self.paths:
            try:
                tensor = self.classifier.preprocess(read_image(path))
            except ImageReadError as error:
                logger.warning("calibration: skipping %s", error)
                continue
            self.done += 1
            if self.progress:
                self.progress(self.done, self.total)
            return {self.classifier.spec.input_name: tensor[None]}
        if not self.done:
            raise SqueezeappError(f"none of the {self.total} calibration images could be read")
        return None


def quantize_model(model: str | None, calibration_dir: Path | None, output: Path | None = None,
                   progress: Callable[[int, int | None], None] | None = None) -> Path:
    if calibration_dir is None or not calibration_dir.is_dir():
        raise SqueezeappError("give --calibrate DIR: a folder of your own photos (50-200 typical "
                              "of what you will classify) to measure activation ranges on")
    paths = list(expand_image_paths([calibration_dir], recursive=True))[:MAX_CALIBRATION_IMAGES]
    if len(paths) < MIN_CALIBRATION_IMAGES:
        raise SqueezeappError(f"{calibration_dir}: {len(paths)} images found; calibration needs "
                              f"at least {MIN_CALIBRATION_IMAGES}")
    classifier = Classifier.load(model, SessionSettings(provider="cpu"))
    source = classifier.spec.path
    target = output or user_models_dir() / f"{source.stem}-int8.onnx"
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="squeezeapp-quant-") as scratch:
        prepared = Path(scratch) / "prepared.onnx"
        quantized = Path(scratch) / "int8.onnx"
        quant_pre_process(str(source), str(prepared), skip_symbolic_shape=True)
        quantize_static(
            str(prepared), str(quantized), _Reader(classifier, paths, progress),
            quant_format=QuantFormat.QDQ, per_channel=True,
            activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8,
            nodes_to_exclude=_classifier_layer(prepared),
        )
        _copy_metadata(source, quantized, target, f"{classifier.spec.name}-int8")
    logger.info("wrote %s (calibrated on %d images)", target, len(paths))
    return target


def _classifier_layer(path: Path) -> list[str]:
    """The last weighted layer (SqueezeNet's conv10), which is left in float.

    Its outputs are the class scores: rounding them to 256 levels reorders close classes.
    Measured on the 100 shared photos (calibrated on 50): top-1 63 % with it quantised, 64 %
    without (float 65 %), at the same speed (0.98 ms against 1.00 ms; float 1.74 ms).
    """
    graph = onnx.load(str(path), load_external_data=False).graph
    weighted = [node.name for node in graph.node if node.op_type in ("Conv", "Gemm", "MatMul")]
    return weighted[-1:]


def _copy_metadata(source: Path, quantized: Path, target: Path, name: str) -> None:
    original = onnx.load(str(source), load_external_data=False)
    result = onnx.load(str(quantized))
    values = {p.key: p.value for p in original.metadata_props}
    if "preprocess" not in values or "labels" not in values:
        spec = Classifier.load(source).spec  # labels from a sidecar or the registry
        import json

        values.setdefault("preprocess", json.dumps(spec.preprocess.as_dict()))
        values.setdefault("labels", json.dumps(list(spec.labels)))
        values.setdefault("wnids", json.dumps(list(spec.wnids)))
    values["model_name"] = name
    values["quantization"] = "int8 QDQ per-channel, onnxruntime static calibration"
    del result.metadata_props[:]
    for key, value in values.items():
        entry = result.metadata_props.add()
        entry.key, entry.value = key, value
    temp = target.with_name(f".{target.name}.part")
    onnx.save(result, str(temp))
    temp.replace(target)
