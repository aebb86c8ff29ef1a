"""A per-layer summary of a model graph: parameters, MACs, and SqueezeNet's Fire modules.

A Fire module is recognised by its structure, not by node names: a Concat of two ReLU'd
convolutions (1×1 and 3×3 "expand") that read the same ReLU'd 1×1 "squeeze" convolution.

A quantized (QDQ) model is the same network: its Conv nodes read their int8 weights and int32
biases through DequantizeLinear, and their activations through QuantizeLinear/DequantizeLinear
pairs, so both are looked through to find the same layers, parameters and MACs as in float.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import onnx
from onnx import numpy_helper, shape_inference

from squeezeapp.core.models.model_file import load_model_proto

_QDQ = {"QuantizeLinear", "DequantizeLinear"}
_PASS_THROUGH = {"Relu", "Clip", "BatchNormalization", "Dropout", "Identity", *_QDQ}
_WEIGHTED = {"Conv", "Gemm", "MatMul"}


@dataclass(frozen=True)
class Layer:
    name: str
    op: str
    detail: str  # kernel and channels, e.g. "3×3 64→64"
    output_shape: tuple[int, ...]
    params: int
    macs: int


@dataclass(frozen=True)
class FireModule:
    name: str
    squeeze: int  # 1×1 squeeze filters
    expand1x1: int
    expand3x3: int
    in_channels: int
    output_shape: tuple[int, ...]
    params: int
    macs: int
    members: tuple[str, ...]  # names of its squeeze, expand 1×1 and expand 3×3 layers

    @property
    def out_channels(self) -> int:
        return self.expand1x1 + self.expand3x3


@dataclass(frozen=True)
class ModelSummary:
    params: int
    macs: int  # per image
    layers: tuple[Layer, ...]
    fire_modules: tuple[FireModule, ...]
    opset: int
    weight_type: str  # element type of the layers' weights as stored: "float32", "int8", …

    @property
    def gmacs(self) -> float:
        return self.macs / 1e9


def summarize(path: Path) -> ModelSummary:
    model = load_model_proto(Path(path))
    _fix_batch_to_one(model)
    inferred = shape_inference.infer_shapes(model)
    graph = inferred.graph
    shapes = _value_shapes(inferred)
    stored = {init.name: numpy_helper.to_array(init) for init in graph.initializer}
    weights = _weights_by_reader_name(graph, stored)
    producer = {out: node for node in graph.node for out in node.output}

    layers: list[Layer] = []
    per_node: dict[str, Layer] = {}
    for node in graph.node:
        layer = _layer(node, shapes, weights)
        if layer is not None:
            layers.append(layer)
            per_node[node.output[0]] = layer
    fires = _fire_modules(graph, producer, per_node, shapes)
    opset = max((o.version for o in model.opset_import if o.domain in ("", "ai.onnx")), default=0)
    kernel_types = {weights[node.input[1]].dtype.name for node in graph.node
                    if node.op_type in _WEIGHTED and node.input[1] in weights}
    return ModelSummary(
        params=_parameter_count(graph, stored),
        macs=sum(layer.macs for layer in layers),
        layers=tuple(layers),
        fire_modules=tuple(fires),
        opset=opset,
        weight_type="/".join(sorted(kernel_types)),
    )


def _weights_by_reader_name(graph, stored: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Initialisers under the names layers read them by: a quantized one under the output of the
    DequantizeLinear that expands it, so a Conv finds its int8 kernel as it finds a float one."""
    weights = dict(stored)
    for node in graph.node:
        if node.op_type == "DequantizeLinear" and node.input[0] in stored:
            weights[node.output[0]] = stored[node.input[0]]
    return weights


def _parameter_count(graph, stored: dict[str, np.ndarray]) -> int:
    """Float initialisers plus quantized ones (what DequantizeLinear expands), but not the scales
    and zero points of quantization, nor integer constants such as shapes."""
    quantization = {name for node in graph.node if node.op_type in _QDQ for name in node.input[1:]}
    quantized = {node.input[0] for node in graph.node if node.op_type == "DequantizeLinear"}
    return int(sum(array.size for name, array in stored.items()
                   if name not in quantization and (name in quantized or array.dtype.kind == "f")))


def _fix_batch_to_one(model: onnx.ModelProto) -> None:
    for tensor in model.graph.input:
        dims = tensor.type.tensor_type.shape.dim
        if dims and not dims[0].HasField("dim_value"):
            dims[0].dim_value = 1


def _value_shapes(model: onnx.ModelProto) -> dict[str, tuple[int, ...]]:
    shapes = {}
    graph = model.graph
    for value in [*graph.input, *graph.value_info, *graph.output]:
        dims = value.type.tensor_type.shape.dim
        shapes[value.name] = tuple(d.dim_value if d.HasField("dim_value") else -1 for d in dims)
    return shapes


def _layer(node, shapes, weights) -> Layer | None:
    out_shape = shapes.get(node.output[0], ())
    out_elems = int(np.prod(out_shape[1:])) if len(out_shape) > 1 else 0
    if node.op_type == "Conv":
        kernel = weights.get(node.input[1])
        if kernel is None:
            return None
        out_ch, in_per_group, kh, kw = kernel.shape
        groups = next((a.i for a in node.attribute if a.name == "group"), 1)
        params = kernel.size + (weights[node.input[2]].size if len(node.input) > 2 else 0)
        macs = out_elems * in_per_group * kh * kw
        detail = f"{kh}×{kw} {in_per_group * groups}→{out_ch}"
        return Layer(node.name or node.output[0], "Conv", detail, out_shape, params, macs)
    if node.op_type in ("Gemm", "MatMul"):
        matrix = weights.get(node.input[1])
        if matrix is None:
            return None
        params = matrix.size + (weights[node.input[2]].size if len(node.input) > 2 else 0)
        return Layer(node.name or node.output[0], node.op_type, "×".join(map(str, matrix.shape)),
                     out_shape, params, int(matrix.size))
    if node.op_type in ("MaxPool", "AveragePool", "GlobalAveragePool", "Softmax", "Flatten"):
        kernel = next((list(a.ints) for a in node.attribute if a.name == "kernel_shape"), None)
        detail = "×".join(map(str, kernel)) if kernel else ""
        return Layer(node.name or node.output[0], node.op_type, detail, out_shape, 0, 0)
    return None


def _through_activation(name, producer) -> str:
    """Follow a tensor back through ReLU-like and (de)quantizing nodes to the tensor a Conv
    produced."""
    node = producer.get(name)
    while node is not None and node.op_type in _PASS_THROUGH:
        name = node.input[0]
        node = producer.get(name)
    return name


def _fire_modules(graph, producer, per_node, shapes) -> list[FireModule]:
    fires: list[FireModule] = []
    for node in graph.node:
        if node.op_type != "Concat" or len(node.input) != 2:
            continue
        branches = [_through_activation(name, producer) for name in node.input]
        convs = [producer.get(b) for b in branches]
        if not all(c is not None and c.op_type == "Conv" for c in convs):
            continue
        sources = {_through_activation(c.input[0], producer) for c in convs}
        if len(sources) != 1:
            continue
        squeeze_node = producer.get(sources.pop())
        expand = {per_node[b].detail.split(" ")[0]: per_node[b] for b in branches}
        if squeeze_node is None or squeeze_node.op_type != "Conv" or set(expand) != {"1×1", "3×3"}:
            continue
        squeeze = per_node[squeeze_node.output[0]]
        if not squeeze.detail.startswith("1×1"):
            continue
        members = (squeeze, expand["1×1"], expand["3×3"])
        fires.append(FireModule(
            name=f"fire{len(fires) + 2}",  # SqueezeNet numbers its first Fire module 2
            squeeze=_out_channels(squeeze),
            expand1x1=_out_channels(expand["1×1"]),
            expand3x3=_out_channels(expand["3×3"]),
            in_channels=_in_channels(squeeze),
            output_shape=shapes.get(node.output[0], ()),
            params=sum(m.params for m in members),
            macs=sum(m.macs for m in members),
            members=tuple(m.name for m in members),
        ))
    return fires


def _out_channels(layer: Layer) -> int:
    return int(layer.detail.rsplit("→", 1)[1])


def _in_channels(layer: Layer) -> int:
    return int(layer.detail.split(" ")[1].split("→")[0])
