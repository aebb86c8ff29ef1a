"""int8 copies of a model: `squeezeapp models quantize` and the fast model installers ship.

onnxruntime static quantisation, QDQ format, per-channel int8 weights, uint8 activations, every
layer int8. Activation ranges come from the 99.999th percentile of what the calibration photos
produce, each photo also seen mirrored. Measured on the shared photos with two-fold held-out
evaluation (docs/performance.md): min-max ranges lost 2 top-1 points, these lose 1. Leaving the
first convolution and the classifier (conv10 and the pooling after it) in float loses nothing
but also gains nothing: 0.97x float speed with this onnxruntime (float conv1 feeding int8 layers
costs what int8 saves), against 1.99x with every layer int8; conv10 alone in float: 1.84x and
2 points lost.

`build_fast_model` is the packaging-time entry point: it calibrates on one half of a folder of
labelled photos, evaluates on the other half, measures the speed-up, and writes all of it into
the model's metadata, where `model_profile` (Model menu, `models list`) reads it.
"""

from __future__ import annotations

import contextlib
import io
import json
import logging
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import onnx
from onnxruntime.quantization import (
    CalibrationDataReader,
    CalibrationMethod,
    QuantFormat,
    QuantType,
    quantize_static,
)
from onnxruntime.quantization.shape_inference import quant_pre_process

from squeezeapp.core.common.errors import ImageReadError, SqueezeappError
from squeezeapp.core.common.files import atomic_writer, short_path
from squeezeapp.core.imaging.decode import expand_image_paths, read_image
from squeezeapp.core.inference.classifier import Classifier, SessionSettings
from squeezeapp.core.measure.timing import interleave
from squeezeapp.core.models.lookup import FAST_SUFFIX
from squeezeapp.core.models.names import DISPLAY_NAME_KEY, with_qualifier
from squeezeapp.core.models.paths import user_models_dir
from squeezeapp.core.modeltools.profile import ACCURACY_KEY, SOURCE_SHA256_KEY, SPEED_KEY

logger = logging.getLogger(__name__)

MAX_CALIBRATION_IMAGES = 200
MIN_CALIBRATION_IMAGES = 10
# Bump when the recipe changes (calibration, split, layers, metadata): packaging caches a built
# fast model under a key that includes it. 3: display names follow core.model_names. 4: the
# histograms are built range by range (bounded memory).
RECIPE_VERSION = 4
FAST_QUALIFIER = "fast, int8"  # the fast model's display name: "SqueezeNet 1.1 (fast, int8)"

Progress = Callable[[int, int | None], None]


CALIBRATION_STRIDE = 8  # tensors whose activations are held at once (4 photos, each mirrored)


class _Reader(CalibrationDataReader):
    """Feeds the float model's input for each calibration photo, and its mirror image, in ranges
    of CALIBRATION_STRIDE tensors: onnxruntime keeps every activation of the tensors it has been
    fed (about 36 MB each for SqueezeNet) until the reader runs dry, so feeding all 200 at once
    peaked at 7 GB; by ranges ("CalibStridedMinMax") it folds each range into its histograms and
    drops it. The photos are decoded once, up front (their input tensors are small)."""

    def __init__(self, classifier: Classifier, paths: list[Path], progress: Progress | None):
        self.input_name = classifier.spec.input_name
        self.photos = self._tensors(classifier, paths, progress)
        self.start, self.end = 0, 0

    @staticmethod
    def _tensors(classifier: Classifier, paths: list[Path],
                 progress: Progress | None) -> list[np.ndarray]:
        tensors = []
        for done, path in enumerate(paths, start=1):
            try:
                tensors.append(classifier.preprocess(read_image(path)))
            except ImageReadError as error:
                logger.warning("calibration: skipping %s", error)
            if progress:
                progress(done, len(paths))
        if not tensors:
            raise SqueezeappError(f"none of the {len(paths)} calibration images could be read")
        return tensors

    def __len__(self) -> int:
        """A multiple of the stride (as onnxruntime requires); the padding yields nothing, and
        the last range always holds at least one real tensor."""
        real = 2 * len(self.photos)
        return -(-real // CALIBRATION_STRIDE) * CALIBRATION_STRIDE

    def set_range(self, start_index: int, end_index: int) -> None:
        self.start, self.end = start_index, min(end_index, 2 * len(self.photos))

    def get_next(self) -> dict[str, np.ndarray] | None:
        if self.start >= self.end:
            return None
        index, self.start = self.start, self.start + 1
        tensor = self.photos[index // 2]
        if index % 2:
            tensor = np.ascontiguousarray(tensor[:, :, ::-1])
        return {self.input_name: tensor[None]}


def quantize_model(model: str | None, calibration_dir: Path | None, output: Path | None = None,
                   progress: Progress | None = None, *, force: bool = False) -> Path:
    """`squeezeapp models quantize`: an int8 copy calibrated on the user's own photos. An
    `output` that exists is replaced only with `force` (like `cp -n`); the default name in the
    user cache is the app's own and is replaced."""
    if output is not None and not force and (output.exists() or output.is_symlink()):
        raise SqueezeappError(f"{short_path(output)} exists; give --force to replace it, or "
                              "another --output")
    if calibration_dir is None or not calibration_dir.is_dir():
        raise SqueezeappError("give --calibrate DIR: a folder of your own photos (50-200 typical "
                              "of what you will classify) to measure activation ranges on")
    paths = list(expand_image_paths([calibration_dir], recursive=True))[:MAX_CALIBRATION_IMAGES]
    if len(paths) < MIN_CALIBRATION_IMAGES:
        raise SqueezeappError(f"{calibration_dir}: {len(paths)} images found; calibration needs "
                              f"at least {MIN_CALIBRATION_IMAGES}")
    source = Classifier.load(model, SessionSettings(provider="cpu", graph_prologue=False))
    target = output or user_models_dir() / f"{source.spec.path.stem}{FAST_SUFFIX}.onnx"
    target = _quantize(source, paths, target, {}, progress, overwrite=output is None or force)
    logger.info("wrote %s (calibrated on %d images)", target, len(paths))
    return target


@dataclass(frozen=True)
class HeldOutAccuracy:
    """A model against its float source on labelled photos (None where no photo is labelled)."""

    top1: float | None
    top5: float | None
    float_top1: float | None
    float_top5: float | None
    top1_agreement: float  # share of photos where the two top-1 agree


@dataclass(frozen=True)
class FastModelReport:
    """What build_fast_model measured; also stored in the model's metadata."""

    path: str
    calibration_photos: int
    held_out_photos: int
    split: str
    top1: float | None  # on the held-out photos, where their names carry ImageNet wnids
    top5: float | None
    float_top1: float | None  # the float source on the same photos
    float_top5: float | None
    top1_agreement: float  # share of held-out photos where int8 and float top-1 agree
    speedup_1thread: float  # float / int8 session.run time, 1 thread, interleaved


def build_fast_model(src: str | Path, photos_dir: str | Path, dst: str | Path,
                     progress: Progress | None = None) -> FastModelReport:
    """Build the fast int8 model installers ship beside the float one, at packaging time:

        python -c "from squeezeapp.core.modeltools.quantize import build_fast_model as b; \\
b('models/squeezenet1.1.onnx', 'photos/', 'out/squeezenet1.1-int8.onnx')"

    The photos (sorted by name) are split in two: even positions calibrate, odd positions are
    held out and only evaluated on (ImageNet `<wnid>_*.JPEG` names give top-1/top-5)."""
    source = Classifier.load(Path(src), SessionSettings(provider="cpu", graph_prologue=False))
    photos = sorted(expand_image_paths([Path(photos_dir)], recursive=True))
    calibration, held_out = photos[::2][:MAX_CALIBRATION_IMAGES], photos[1::2]
    if len(calibration) < MIN_CALIBRATION_IMAGES or not held_out:
        raise SqueezeappError(f"{photos_dir}: {len(photos)} photos; the fast model needs at "
                              f"least {2 * MIN_CALIBRATION_IMAGES}")
    target = Path(dst)
    display = with_qualifier(source.spec.display_name, FAST_QUALIFIER)
    _quantize(source, calibration, target, {DISPLAY_NAME_KEY: display}, progress)
    fast = Classifier.load(target, SessionSettings(provider="cpu"))
    accuracy = evaluate(fast, source, held_out)
    report = FastModelReport(
        path=str(target), calibration_photos=len(calibration), held_out_photos=len(held_out),
        split="sorted by file name: even positions calibrate, odd positions are held out",
        speedup_1thread=_speedup(source, fast), **asdict(accuracy))
    _set_metadata(target, {
        ACCURACY_KEY: json.dumps({k: v for k, v in asdict(report).items()
                                  if k not in ("path", "speedup_1thread")}),
        SPEED_KEY: json.dumps({"speedup_1thread": round(report.speedup_1thread, 2)}),
    })
    logger.info("fast model %s: %s", target, report)
    return report


def evaluate(model: Classifier, reference: Classifier,
             photos: Sequence[Path]) -> HeldOutAccuracy:
    """Top-1/top-5 of a model and its reference on labelled photos, and their top-1 agreement."""
    hits = {"top1": 0, "top5": 0, "float_top1": 0, "float_top5": 0}
    agree = labelled = count = 0
    wnids = set(model.spec.wnids) - {""}
    for path in photos:
        try:
            image = read_image(path)
        except ImageReadError:
            continue
        ours, theirs = model.classify(image), reference.classify(image)
        count += 1
        agree += ours.top.index == theirs.top.index
        truth = path.name.split("_", 1)[0]
        if truth in wnids:
            labelled += 1
            for prefix, result in (("", ours), ("float_", theirs)):
                found = [p.wnid for p in result.predictions]
                hits[f"{prefix}top1"] += found[0] == truth
                hits[f"{prefix}top5"] += truth in found
    scores = {k: (v / labelled if labelled else None) for k, v in hits.items()}
    return HeldOutAccuracy(**scores, top1_agreement=agree / max(1, count))


def _quantize(source: Classifier, photos: list[Path], target: Path, metadata: dict[str, str],
              progress: Progress | None, *, overwrite: bool = True) -> Path:
    """Returns the name written: `target`, or "target (2)" where it appeared meanwhile and
    `overwrite` is False."""
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="squeezeapp-quant-") as scratch:
        prepared = Path(scratch) / "prepared.onnx"
        quantized = Path(scratch) / "int8.onnx"
        quant_pre_process(str(source.spec.path), str(prepared), skip_symbolic_shape=True)
        chatter = io.StringIO()  # the percentile calibrator print()s its progress
        with contextlib.redirect_stdout(chatter):
            quantize_static(
                str(prepared), str(quantized), _Reader(source, photos, progress),
                quant_format=QuantFormat.QDQ, per_channel=True,
                activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8,
                calibrate_method=CalibrationMethod.Percentile,
                extra_options={"CalibStridedMinMax": CALIBRATION_STRIDE},
            )
        logger.debug("calibration: %s", chatter.getvalue().strip())
        return _copy_metadata(source, quantized, target, f"{source.spec.name}{FAST_SUFFIX}",
                              metadata, overwrite)


def _copy_metadata(source: Classifier, quantized: Path, target: Path, name: str,
                   extra: dict[str, str], overwrite: bool = True) -> Path:
    spec = source.spec
    result = onnx.load(str(quantized))
    original = onnx.load(str(spec.path), load_external_data=False)
    values = {p.key: p.value for p in original.metadata_props}
    values.setdefault("preprocess", json.dumps(spec.preprocess.as_dict()))
    values.setdefault("labels", json.dumps(list(spec.labels)))
    values.setdefault("wnids", json.dumps(list(spec.wnids)))
    values["model_name"] = name
    values["quantization"] = ("int8 QDQ per-channel, onnxruntime static calibration "
                              "(percentile 99.999, photos also mirrored); every layer int8")
    values[SOURCE_SHA256_KEY] = spec.sha256
    values.update(extra)
    return _write(result, values, target, overwrite)


def _set_metadata(target: Path, values: dict[str, str]) -> None:
    model = onnx.load(str(target))
    merged = {p.key: p.value for p in model.metadata_props}
    merged.update(values)
    _write(model, merged, target)


def _write(model: onnx.ModelProto, values: dict[str, str], target: Path,
           overwrite: bool = True) -> Path:
    del model.metadata_props[:]
    for key, value in values.items():
        entry = model.metadata_props.add()
        entry.key, entry.value = key, value
    with atomic_writer(target, overwrite=overwrite) as pending:
        pending.stream.write(model.SerializeToString())
    return pending.path


def _speedup(source: Classifier, fast: Classifier, rounds: int = 8, block: int = 20) -> float:
    """Float / int8 time of one session.run on one thread, interleaved in rounds. The figure
    ships inside the model, so it compares each one's quietest round (the median of that round):
    a busy build machine slows the rounds unevenly and would understate the gain (1.45x on a
    loaded builder against 1.7-2.0x quiet, with the median of per-round ratios)."""
    one = SessionSettings(1, "cpu")
    slow_model = Classifier.load(source.spec.path, one)
    fast_model = Classifier.load(fast.spec.path, one)
    frame = np.full((480, 640, 3), 128, np.uint8)
    timed = interleave({"float": lambda: slow_model.probabilities(frame),
                        "int8": lambda: fast_model.probabilities(frame)}, rounds, block, 5)
    return min(timed["float"].rounds) / min(timed["int8"].rounds)
