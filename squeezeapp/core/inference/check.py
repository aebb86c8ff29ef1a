"""The last step of loading a model: does it take what we feed it, and does it run?

Checked once at load so that a model that cannot run fails there with one line, never on every
frame; `info` and `classify` load through the same path, so they agree on what is usable.
"""

from __future__ import annotations

import contextlib
import io
import logging
from collections.abc import Iterator
from typing import TYPE_CHECKING, Protocol

import numpy as np
import onnxruntime as ort

from squeezeapp.core.common.errors import ModelError
from squeezeapp.core.inference.postprocess import to_probabilities
from squeezeapp.core.models.spec import ModelSpec

if TYPE_CHECKING:  # onnx only where a model is rewritten (prepared_cache), never per prediction
    import onnx

logger = logging.getLogger(__name__)

_SYNTHETIC_SIDE = 320


def synthetic_frame(side: int = _SYNTHETIC_SIDE) -> np.ndarray:
    """A deterministic BGR uint8 picture with gradients in every channel (not a flat colour,
    which could hide a model that only fails on varied input)."""
    ramp = np.linspace(0, 255, side, dtype=np.float32)
    frame = np.empty((side, side, 3), np.uint8)
    frame[:, :, 0] = ramp[None, :]
    frame[:, :, 1] = ramp[:, None]
    frame[:, :, 2] = 255 - (ramp[None, :] + ramp[:, None]) / 2
    return frame


def check_input_type(declared: onnx.ValueInfoProto, model_name: str) -> None:
    """Refuse a model whose input is not float32: the pre-processing (in Python, or folded into
    the graph's prologue) produces float32 tensors; raise ModelError with one line."""
    import onnx

    element = declared.type.tensor_type.elem_type
    if element != onnx.TensorProto.FLOAT:
        kind = onnx.TensorProto.DataType.Name(element).lower() if element else "unknown"
        raise ModelError(f"{model_name}: input '{declared.name}' takes {kind} elements; "
                         "squeezeapp feeds float32 (re-export the model with a float32 input)")


class LoadedModel(Protocol):
    """What the check needs of a loaded model. A Protocol, so that this module does not import
    the classifier that calls it (`Classifier` satisfies it)."""

    @property
    def spec(self) -> ModelSpec: ...

    @property
    def session(self) -> ort.InferenceSession: ...

    @property
    def input_name(self) -> str: ...

    def new_batch(self, count: int) -> np.ndarray: ...

    def prepare(self, image: np.ndarray, out: np.ndarray | None = None) -> np.ndarray: ...


def check_usable(classifier: LoadedModel) -> None:
    """Refuse a model that fails or gives non-finite numbers on one synthetic frame, fed the way
    every later frame will be; raise ModelError with one line."""
    spec = classifier.spec
    quiet = ort.RunOptions()
    quiet.log_severity_level = 4  # the failure is reported below in one line, not logged too
    try:
        batch = classifier.new_batch(1)
        classifier.prepare(synthetic_frame(), batch[0])
        (output,) = classifier.session.run([spec.output_name], {classifier.input_name: batch},
                                           quiet)
        probabilities = to_probabilities(np.asarray(output), spec.output_kind)
    except Exception as error:  # onnxruntime raises several unrelated exception types
        text = str(error).strip()
        first_line = text.splitlines()[0][:300] if text else type(error).__name__
        raise ModelError(f"{spec.path.name}: fails on a test frame ({first_line})") from None
    if not np.all(np.isfinite(probabilities)):
        raise ModelError(f"{spec.path.name}: gives non-finite scores (NaN or infinity) on a "
                         "test frame")


class _LogStream(io.TextIOBase):
    """A text stream whose lines become log records."""

    def write(self, text: str) -> int:
        for line in text.splitlines():
            if line.strip(" *"):
                logger.info("onnxruntime: %s", line)
        return len(text)


@contextlib.contextmanager
def ort_prints_logged() -> Iterator[None]:
    """onnxruntime's Python wrapper print()s its provider fall-back notices ("EP Error ...") to
    stdout, where they would corrupt `classify --format jsonl`: send them to the log instead."""
    with contextlib.redirect_stdout(_LogStream()):
        yield
