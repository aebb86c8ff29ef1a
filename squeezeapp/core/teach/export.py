"""One self-contained ONNX model from the base model and a taught head.

The base graph is cut at the tensors the head reads (the last Fire module's output, and the
ImageNet class maps when the head reads logits). The head's normalisation is done per image on
the pooled values and applied as a per-channel scale to the unpooled tensors, and the head is a
1×1 convolution before the global average pooling: the pooled result is exactly the head's
scores, and the tensor before the pooling is one map per taught class, so heatmaps keep working.
The file carries the app's metadata (labels, preprocess, model_name, output) and a `teach`
record (classes, example counts, cross-validated accuracy, the base model's sha256).
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from squeezeapp.core.common.files import atomic_writer
from squeezeapp.core.common.hashing import file_sha256
from squeezeapp.core.inference.graph_rewrite import find_cam_tensor, find_feature_tensor
from squeezeapp.core.models.model_file import load_model_proto
from squeezeapp.core.models.names import DISPLAY_NAME_KEY, MODEL_NAME_KEY
from squeezeapp.core.teach.evaluate import TeachReport
from squeezeapp.core.teach.head import FeatureKind, Head
from squeezeapp.core.teach.project import TeachError

OUTPUT_NAME = "probabilities"
_EPS = 1e-12


def build_model(base: onnx.ModelProto, head: Head, names: Sequence[str],
                metadata: dict[str, str]) -> onnx.ModelProto:
    """The base model's backbone + the head + softmax, as one ModelProto."""
    if base.graph.name == "squeezeapp_taught" or any(
            init.name.startswith("_teach_") for init in base.graph.initializer):
        raise TeachError("The base model is a taught model: teach from an ImageNet model")
    cam = find_cam_tensor(base)
    feature_tensor = find_feature_tensor(base.graph, cam.tensor) if cam.tensor else None
    if cam.tensor is None or feature_tensor is None:
        raise TeachError("The base model's last feature layer was not found in its graph")
    blocks = {FeatureKind.FEATURES: [feature_tensor], FeatureKind.LOGITS: [cam.tensor],
              FeatureKind.BOTH: [feature_tensor, cam.tensor]}[head.kind]
    backbone = _backbone(base, blocks)
    graph = backbone.graph
    opset = next((o.version for o in backbone.opset_import if o.domain in ("", "ai.onnx")), 13)
    share = 1.0 if len(blocks) == 1 else 1 / math.sqrt(2)
    scaled = [_normalised_block(graph, tensor, f"_teach_b{i}", share, opset)
              for i, tensor in enumerate(blocks)]
    joined = scaled[0]
    if len(scaled) > 1:
        joined = "_teach_joined"
        graph.node.append(helper.make_node("Concat", scaled, [joined], axis=1))
    # scores = (x - mean)·W + b  →  a 1×1 convolution with weights Wᵀ and bias b - mean·W
    weights = head.weights.T.reshape(head.classes, -1, 1, 1).astype(np.float32)
    bias = (head.bias - head.mean @ head.weights).astype(np.float32)
    graph.initializer.extend([numpy_helper.from_array(weights, "_teach_w"),
                              numpy_helper.from_array(bias, "_teach_b")])
    graph.node.extend([
        helper.make_node("Conv", [joined, "_teach_w", "_teach_b"], ["teach_class_maps"]),
        helper.make_node("GlobalAveragePool", ["teach_class_maps"], ["_teach_pooled"]),
        helper.make_node("Flatten", ["_teach_pooled"], ["_teach_scores"]),
        helper.make_node("Softmax", ["_teach_scores"], [OUTPUT_NAME], axis=1),
    ])
    del graph.output[:]
    graph.output.append(helper.make_tensor_value_info(OUTPUT_NAME, TensorProto.FLOAT,
                                                      ["N", len(names)]))
    del graph.value_info[:]
    graph.name = "squeezeapp_taught"
    del backbone.metadata_props[:]
    for key, value in metadata.items():
        entry = backbone.metadata_props.add()
        entry.key, entry.value = key, value
    onnx.checker.check_model(backbone)
    return backbone


def _backbone(base: onnx.ModelProto, tensors: Sequence[str]) -> onnx.ModelProto:
    """A copy of `base` with only the nodes and weights that compute `tensors`."""
    model = onnx.ModelProto()
    model.CopyFrom(base)
    graph = model.graph
    needed, kept = set(tensors), []
    for node in reversed(list(graph.node)):
        if needed.intersection(node.output):
            kept.append(node)
            needed.update(name for name in node.input if name)
    del graph.node[:]
    graph.node.extend(reversed(kept))
    weights = [init for init in graph.initializer if init.name in needed]
    del graph.initializer[:]
    graph.initializer.extend(weights)
    inputs = [value for value in graph.input if value.name in needed]
    del graph.input[:]
    graph.input.extend(inputs)
    return model


def _reduce(graph: onnx.GraphProto, op: str, source: str, target: str, axes: list[int],
            opset: int) -> None:
    """A reduction over `axes` keeping dims, in the form the opset wants (axes an input
    from opset 18)."""
    if opset >= 18:
        name = f"{target}_axes"
        graph.initializer.append(numpy_helper.from_array(np.array(axes, np.int64), name))
        graph.node.append(helper.make_node(op, [source, name], [target], keepdims=1))
    else:
        graph.node.append(helper.make_node(op, [source], [target], axes=axes, keepdims=1))


def _normalised_block(graph: onnx.GraphProto, tensor: str, prefix: str, share: float,
                      opset: int) -> str:
    """`tensor` [N,c,h,w] scaled per image and channel so that its spatial mean is
    share·signed_sqrt(g)/|signed_sqrt(g)|, g the spatial mean (head.normalise_block)."""
    p = prefix
    # the mean over W then H: one 2-axis mean would look like a second class-map pooling
    _reduce(graph, "ReduceMean", tensor, f"{p}_w", [3], opset)
    _reduce(graph, "ReduceMean", f"{p}_w", f"{p}_g", [2], opset)
    graph.initializer.extend([
        numpy_helper.from_array(np.array(_EPS, np.float32), f"{p}_eps"),
        numpy_helper.from_array(np.array(share, np.float32), f"{p}_share")])
    graph.node.extend([
        helper.make_node("Abs", [f"{p}_g"], [f"{p}_abs"]),
        helper.make_node("Max", [f"{p}_abs", f"{p}_eps"], [f"{p}_safe"]),
        helper.make_node("Sqrt", [f"{p}_safe"], [f"{p}_root"]),
        helper.make_node("Reciprocal", [f"{p}_root"], [f"{p}_inv_root"]),  # signed sqrt = g/√|g|
        helper.make_node("Mul", [f"{p}_g", f"{p}_inv_root"], [f"{p}_ssqrt"]),
    ])
    _reduce(graph, "ReduceSumSquare", f"{p}_ssqrt", f"{p}_sq", [1], opset)
    graph.node.extend([
        helper.make_node("Sqrt", [f"{p}_sq"], [f"{p}_norm"]),
        helper.make_node("Max", [f"{p}_norm", f"{p}_eps"], [f"{p}_safe_norm"]),
        helper.make_node("Div", [f"{p}_inv_root", f"{p}_safe_norm"], [f"{p}_scale0"]),
        helper.make_node("Mul", [f"{p}_scale0", f"{p}_share"], [f"{p}_scale"]),
        helper.make_node("Mul", [tensor, f"{p}_scale"], [f"{p}_out"]),
    ])
    return f"{p}_out"


def teach_record(report: TeachReport, base_sha256: str, base_name: str) -> dict[str, Any]:
    return {"classes": [c.name for c in report.classes],
            "examples": [c.examples for c in report.classes],
            "accuracy": None if report.accuracy is None else round(report.accuracy, 4),
            "class_accuracy": [None if c.accuracy is None else round(c.accuracy, 4)
                               for c in report.classes],
            "validation": report.validation,
            "features": report.kind.value if report.kind else None,
            "regulariser": report.regulariser,
            "base_model": base_name, "base_sha256": base_sha256}


def export_model(base_path: Path, report: TeachReport, preprocess: dict[str, Any],
                 target: Path, model_name: str, *, base_name: str = "",
                 overwrite: bool = False) -> Path:
    """Write the taught model to `target` (a free name beside it unless `overwrite`: the
    user confirmed the name); returns the path written."""
    if report.head is None:
        raise TeachError("Nothing to export yet: train on at least two classes first")
    names = [c.name for c in report.classes]
    base = load_model_proto(base_path)
    metadata = {
        "labels": json.dumps(names),
        "preprocess": json.dumps(preprocess),
        MODEL_NAME_KEY: model_name,
        DISPLAY_NAME_KEY: model_name,
        "output": "probabilities",
        "teach": json.dumps(teach_record(report, file_sha256(base_path),
                                         base_name or base_path.stem)),
    }
    model = build_model(base, report.head, names, metadata)
    try:
        with atomic_writer(target, overwrite=overwrite) as pending:
            pending.stream.write(model.SerializeToString())
    except OSError as error:
        raise TeachError(f"Cannot write {target}: {error.strerror or error}") from None
    return pending.path
