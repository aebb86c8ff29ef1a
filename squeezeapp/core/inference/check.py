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
from squeezeapp.core.common.limits import IMAGE_BUDGET, MEMORY_BUDGET_ENV
from squeezeapp.core.inference.postprocess import to_probabilities
from squeezeapp.core.models.spec import ModelSpec

if TYPE_CHECKING:  # onnx only where a model is rewritten (prepared_cache), never per prediction
    import onnx

logger = logging.getLogger(__name__)

_SYNTHETIC_SIDE = 320
_MB = 1 << 20
# onnx.TensorProto's FLOAT, DOUBLE, FLOAT16, BFLOAT16 (fixed by the ONNX spec; written as numbers
# so that importing this module does not import onnx)
_FLOAT_OUTPUTS = {1: "float", 11: "double", 10: "float16", 16: "bfloat16"}
_MAX_ESTIMATE_NODES = 100_000  # shape inference on more is not attempted (bounded work)


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


def check_output_type(proto: onnx.ModelProto, output_name: str, model_name: str) -> None:
    """Refuse a model whose scores are not floating point (a string, bool or integer tensor
    cannot be logits or probabilities); raise ModelError with one line."""
    import onnx

    for output in proto.graph.output:
        if output.name == output_name:
            element = output.type.tensor_type.elem_type
            if element and element not in _FLOAT_OUTPUTS:
                kind = onnx.TensorProto.DataType.Name(element).lower()
                raise ModelError(f"{model_name}: output '{output_name}' holds {kind} values; "
                                 "squeezeapp needs float scores (logits or probabilities)")
            if not output.type.HasField("tensor_type"):
                raise ModelError(f"{model_name}: output '{output_name}' is not a tensor; "
                                 "squeezeapp needs float scores (logits or probabilities)")


def activation_bytes(proto: onnx.ModelProto, input_name: str, side: int) -> int | None:
    """Bytes of every tensor the graph computes for one image at `side`×`side`, from the shapes
    onnx's shape inference gives (an upper bound: the runtime reuses some buffers). None when
    the shapes cannot be inferred; a 13 KB model with a 1000-channel 1×1 convolution on a
    1024×1024 input needs 4 GB, which this finds before anything runs."""
    import onnx

    if len(proto.graph.node) > _MAX_ESTIMATE_NODES:
        return None
    shell = onnx.ModelProto()
    shell.CopyFrom(proto)
    for value in shell.graph.input:
        if value.name == input_name:
            dims = value.type.tensor_type.shape.dim
            for index, dim in enumerate(dims):
                if not dim.HasField("dim_value") or dim.dim_value <= 0:
                    dim.Clear()
                    dim.dim_value = 1 if index == 0 else (3 if index == 1 else side)
    del shell.graph.value_info[:]
    try:
        inferred = onnx.shape_inference.infer_shapes(shell, strict_mode=False)
    except Exception:  # an estimate only: the model is still checked by a run
        logger.debug("shape inference failed", exc_info=True)
        return None
    total = 0
    for value in [*inferred.graph.value_info, *inferred.graph.output]:
        tensor = value.type.tensor_type
        if not tensor.HasField("shape"):
            continue
        count = 1
        for dim in tensor.shape.dim:
            count *= dim.dim_value if dim.HasField("dim_value") and dim.dim_value > 0 else 1
        itemsize = onnx.helper.tensor_dtype_to_np_dtype(tensor.elem_type).itemsize \
            if tensor.elem_type and tensor.elem_type != onnx.TensorProto.STRING else 8
        total += count * itemsize
    return total


def check_activation_memory(proto: onnx.ModelProto, input_name: str, side: int,
                            model_name: str) -> None:
    """Refuse, with one line, a model whose activations for one image exceed the memory budget
    (the one images are held to), before a session is opened or a frame run."""
    check_activation_budget(activation_bytes(proto, input_name, side), model_name)


def check_activation_budget(needed: int | None, model_name: str) -> None:
    """The check of `check_activation_memory` on an estimate made earlier (a prepared model
    keeps its own: the budget may have changed since)."""
    budget = IMAGE_BUDGET.capacity
    if needed is not None and needed > budget:
        raise ModelError(f"{model_name}: needs about {needed / _MB:,.0f} MB of activations per "
                         f"image, above the {budget / _MB:,.0f} MB memory budget (set "
                         f"{MEMORY_BUDGET_ENV} to allow more)")


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
        probabilities = to_probabilities(np.asarray(output), spec.output_kind, len(spec.labels))
    except Exception as error:  # onnxruntime raises several unrelated exception types
        text = str(error).strip()
        first_line = text.splitlines()[0][:300] if text else type(error).__name__
        raise ModelError(f"{spec.path.name}: fails on a test frame ({first_line})") from None
    if not np.all(np.isfinite(probabilities)):
        raise ModelError(f"{spec.path.name}: gives non-finite scores (NaN or infinity) on a "
                         "test frame")


def plain_words(path: str | None, technical: str) -> str:
    """What a model that failed to load is, in words for people (the technical message goes
    behind Details): not ONNX at all, not an image classifier, or which part is missing.
    Reads only the file's graph, never its weights."""
    if path is None:
        return "The model could not be loaded."
    try:
        model = onnx.load(str(path), load_external_data=False)
    except Exception:  # protobuf raises several unrelated exception types
        return ("This file is not an ONNX model, or it is damaged (squeezeapp opens .onnx "
                "image classification models).")
    initializers = {tensor.name for tensor in model.graph.initializer}
    inputs = [i for i in model.graph.input if i.name not in initializers]
    shapes = [len(i.type.tensor_type.shape.dim) for i in inputs]
    if len(inputs) != 1 or shapes[0] != 4:
        return ("This file is not an image classification model (it has no image input): "
                "squeezeapp needs a model that takes one picture and gives class scores.")
    outputs = [len(o.type.tensor_type.shape.dim) for o in model.graph.output]
    if not outputs or all(rank not in (0, 2) for rank in outputs):
        return ("This file is not an image classification model (it gives no list of class "
                "scores).")
    if "pre-processing" in technical:
        return ("This model does not say how pictures are to be prepared for it (size, colour "
                "order, scaling), so its answers could not be trusted.")
    if "labels" in technical or "class names" in technical:
        return "This model comes without its class names (labels)."
    return "This model could not be used here."


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
