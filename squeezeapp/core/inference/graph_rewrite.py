"""Rewriting a model's graph in memory at load time, before its session is created.

Two rewrites, each checked on the graph and skipped (with the reason logged and reported) when it
would not be exact:

- **A uint8 NHWC prologue.** The session takes the centre crop exactly as OpenCV holds it (BGR
  uint8, height × width × channels): a Transpose and a Cast inside the graph make it NCHW float,
  and the model's normalisation `(pixel * scale - mean) / std`, channel order included, is folded
  into the weights of the first convolution. Python then only crops. Folding the mean into the
  bias is exact only where the convolution pads nothing (a padded border would be zero in pixel
  space, not zero after normalisation); with padding, the gain is still folded and the mean is
  subtracted by an explicit Sub before the convolution, which keeps the padding right. A model
  whose input is not consumed by a single float convolution gets the normalisation as Mul/Add
  nodes instead.
- **A class activation map output.** The tensor feeding the global average pooling that ends the
  network (GlobalAveragePool, or ReduceMean over H and W) is found from the graph, not by name,
  and added as a second output: for SqueezeNet it is conv10's [N,1000,h,w] per-class map, so the
  map of any class costs no second inference.
- **Feature outputs** (for teaching new classes). From the class-map tensor the graph is walked
  back through activations to the 1×1 convolution that makes one map per class; its input is the
  backbone's last feature tensor (SqueezeNet: the last Fire module's [N,512,h,w]). Its global
  average (`FEATURES_OUTPUT`, [N,512,1,1]) and the pooled class scores before any softmax (the
  logits) are added as outputs, so one inference gives probabilities, logits and features.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from squeezeapp.core.inference.graph_facts import NO_FEATURES, CamSource, FeatureSource
from squeezeapp.core.models.model_file import load_model_proto
from squeezeapp.core.models.spec import PreprocessSpec

logger = logging.getLogger(__name__)

UINT8_INPUT = "image_uint8_nhwc"
# Between the pooling and the output only these may follow (int8 models round the scores with a
# QuantizeLinear/DequantizeLinear pair, which keeps one value per class)
_PASS_THROUGH = {"Flatten", "Reshape", "Squeeze", "Softmax", "Identity", "LogSoftmax",
                 "QuantizeLinear", "DequantizeLinear"}


FEATURES_OUTPUT = "squeezeapp_pooled_features"
# between the per-class maps and the 1×1 convolution that makes them, and between that
# convolution and the feature tensor, only these element-wise layers may sit
_ACTIVATIONS = {"Relu", "LeakyRelu", "Clip", "Identity", "Dropout"}


@dataclass(frozen=True)
class RewrittenModel:
    """The model to open a session on, and what was changed in it."""

    model: onnx.ModelProto
    input_name: str
    uint8_input: bool  # True: the input is the BGR uint8 crop [N,size,size,3]
    normalisation: str  # how the normalisation is done, for logs and `info`
    cam: CamSource
    features: FeatureSource = NO_FEATURES


def load_model(path) -> onnx.ModelProto:
    return load_model_proto(Path(path))


def rewrite(model: onnx.ModelProto, preprocess: PreprocessSpec, *, uint8_input: bool = True,
            cam_output: bool = True, feature_outputs: bool = True) -> RewrittenModel:
    """A rewritten copy of `model`; the original is not modified."""
    model = _copy(model)
    graph = model.graph
    input_name = graph_inputs(graph)[0].name
    cam = find_cam_tensor(model) if cam_output or feature_outputs \
        else CamSource(None, "not requested")
    features = FeatureSource(None, None, None, "not requested")
    if feature_outputs:
        features = add_feature_outputs(model, cam)
    if not cam_output:
        cam = CamSource(None, "not requested")
    if cam.tensor is not None:
        _add_output(graph, cam.tensor)
    normalisation = "in Python (float NCHW input)"
    if uint8_input:
        done = add_uint8_prologue(graph, preprocess)
        if done is not None:
            input_name, normalisation = UINT8_INPUT, done
    logger.debug("graph rewrite: normalisation %s; CAM %s", normalisation, cam.tensor or cam.reason)
    return RewrittenModel(model, input_name, input_name == UINT8_INPUT, normalisation, cam,
                          features)


def _copy(model: onnx.ModelProto) -> onnx.ModelProto:
    copied = onnx.ModelProto()
    copied.CopyFrom(model)
    return copied


def graph_inputs(graph: onnx.GraphProto) -> list[onnx.ValueInfoProto]:
    """Real inputs (older files also list their initialisers as inputs)."""
    initialisers = {init.name for init in graph.initializer}
    return [i for i in graph.input if i.name not in initialisers]


def _consumers(graph: onnx.GraphProto, name: str) -> list[onnx.NodeProto]:
    return [node for node in graph.node if name in node.input]


def _producer(graph: onnx.GraphProto, name: str) -> onnx.NodeProto | None:
    return next((node for node in graph.node if name in node.output), None)


def _attribute(node: onnx.NodeProto, name: str, default=None):
    for attribute in node.attribute:
        if attribute.name == name:
            return helper.get_attribute_value(attribute)
    return default


# --- class activation map -------------------------------------------------------------------

def find_cam_tensor(model: onnx.ModelProto) -> CamSource:
    """The [N,C,h,w] tensor whose spatial mean is the model's output (C scores), if any."""
    graph = model.graph
    if len(graph.output) != 1:
        return CamSource(None, f"the model has {len(graph.output)} outputs, expected 1")
    pools = [node for node in graph.node if _is_spatial_mean(graph, node)]
    if len(pools) != 1:
        return CamSource(None, "no global average pooling over the image found in the graph"
                         if not pools else "more than one global average pooling in the graph")
    pool = pools[0]
    # Everything between the pooling and the output must only reshape or normalise the scores:
    # then each pooled channel is one class and the tensor before pooling is its map.
    current, output = pool.output[0], graph.output[0].name
    while current != output:
        consumers = _consumers(graph, current)
        if len(consumers) != 1 or consumers[0].op_type not in _PASS_THROUGH:
            kind = consumers[0].op_type if len(consumers) == 1 else "several layers"
            return CamSource(None, f"the pooled features go through {kind} before the output, so "
                                   "the pooled tensor holds features, not one map per class")
        current = consumers[0].output[0]
    tensor = pool.input[0]
    channels = _channel_count(model, tensor)
    classes = _per_image_count(graph.output[0])
    if channels is not None and classes is not None and channels != classes:
        return CamSource(None, f"the pooled tensor has {channels} channels, not one per class")
    return CamSource(tensor, "")


def _per_image_count(value: onnx.ValueInfoProto) -> int | None:
    """The number of values per image a declared output holds, where its shape is fixed."""
    dims = value.type.tensor_type.shape.dim[1:]
    if not dims or not all(d.HasField("dim_value") and d.dim_value > 0 for d in dims):
        return None
    return int(np.prod([d.dim_value for d in dims]))


# --- feature outputs --------------------------------------------------------------------------

def _map_convolution(graph: onnx.GraphProto, cam_tensor: str) -> onnx.NodeProto | None:
    """The 1×1 convolution that makes the per-class maps (through activations), or None."""
    node = _producer(graph, cam_tensor)
    while node is not None and node.op_type in _ACTIVATIONS:
        node = _producer(graph, node.input[0])
    if node is None or node.op_type != "Conv" or _attribute(node, "group", 1) != 1:
        return None
    weight = _initialiser(graph, node.input[1]) if len(node.input) > 1 else None
    if weight is None or list(weight.dims[2:]) != [1, 1]:
        return None
    return node


def find_feature_tensor(graph: onnx.GraphProto, cam_tensor: str) -> str | None:
    """The tensor the per-class maps are made from by one 1×1 convolution (through activations),
    or None when the maps come from anything else."""
    conv = _map_convolution(graph, cam_tensor)
    if conv is None:
        return None
    tensor = conv.input[0]
    producer = _producer(graph, tensor)
    while producer is not None and producer.op_type in {"Dropout", "Identity"}:
        tensor = producer.input[0]
        producer = _producer(graph, tensor)
    return tensor


def add_feature_outputs(model: onnx.ModelProto, cam: CamSource) -> FeatureSource:
    """Add the pooled features and the logits as outputs of `model` (changed in place)."""
    graph = model.graph
    if not cam.supported or cam.tensor is None:
        return FeatureSource(None, None, None, f"no per-class maps: {cam.reason}")
    feature_tensor = find_feature_tensor(graph, cam.tensor)
    if feature_tensor is None:
        return FeatureSource(None, None, None, "the per-class maps are not one 1×1 convolution "
                                               "of a feature tensor")
    pool = next(node for node in graph.node
                if _is_spatial_mean(graph, node) and node.input[0] == cam.tensor)
    conv = _map_convolution(graph, cam.tensor)
    weight = _initialiser(graph, conv.input[1]) if conv is not None else None
    dimension = int(weight.dims[1]) if weight is not None else None  # no shape inference: fast
    graph.node.append(helper.make_node("GlobalAveragePool", [feature_tensor], [FEATURES_OUTPUT]))
    _add_output(graph, FEATURES_OUTPUT)
    logits = pool.output[0]
    if logits not in {o.name for o in graph.output}:
        _add_output(graph, logits)
    return FeatureSource(FEATURES_OUTPUT, logits, dimension, "")


def _is_spatial_mean(graph: onnx.GraphProto, node: onnx.NodeProto) -> bool:
    if node.op_type == "GlobalAveragePool":
        return True
    if node.op_type != "ReduceMean":
        return False
    axes = _attribute(node, "axes")
    if axes is None and len(node.input) > 1:  # opset 18: axes is an input
        constant = next((i for i in graph.initializer if i.name == node.input[1]), None)
        axes = numpy_helper.to_array(constant).tolist() if constant is not None else None
    return axes is not None and sorted(a % 4 for a in axes) == [2, 3]


def _channel_count(model: onnx.ModelProto, tensor: str) -> int | None:
    try:
        inferred = onnx.shape_inference.infer_shapes(model)
    except Exception:  # a model shape inference cannot follow: judge it by the output alone
        return None
    for info in (*inferred.graph.value_info, *inferred.graph.output):
        if info.name == tensor:
            dims = info.type.tensor_type.shape.dim
            return dims[1].dim_value if len(dims) > 1 and dims[1].dim_value > 0 else None
    return None


def _add_output(graph: onnx.GraphProto, tensor: str) -> None:
    graph.output.append(helper.make_tensor_value_info(tensor, TensorProto.FLOAT, None))


# --- uint8 NHWC prologue ----------------------------------------------------------------------

def add_uint8_prologue(graph: onnx.GraphProto, preprocess: PreprocessSpec) -> str | None:
    """Make the graph take the BGR uint8 NHWC crop; returns how the normalisation is done, or
    None (graph unchanged) when the input is not a float32 NCHW image."""
    (original,) = graph_inputs(graph)[:1]
    tensor_type = original.type.tensor_type
    dims = list(tensor_type.shape.dim)
    if tensor_type.elem_type != TensorProto.FLOAT or len(dims) != 4:
        return None
    batch = dims[0].dim_param or (dims[0].dim_value if dims[0].dim_value > 0 else "N")
    size = preprocess.size
    gain = np.array([preprocess.scale / s for s in preprocess.std], np.float32)
    mean_pixels = np.array([m / preprocess.scale for m in preprocess.mean], np.float32)
    # model channel c is read from BGR channel source[c]
    source = [2, 1, 0] if preprocess.color == "RGB" else [0, 1, 2]

    nodes = [helper.make_node("Transpose", [UINT8_INPUT], ["_nchw_u8"], perm=[0, 3, 1, 2]),
             helper.make_node("Cast", ["_nchw_u8"], ["_nchw_f32"], to=TensorProto.FLOAT)]
    conv = _foldable_conv(graph, original.name)
    if conv is not None:
        weight = _initialiser_array(graph, conv.input[1])
        folded = np.empty_like(weight)
        for c, bgr in enumerate(source):  # reorder to BGR and scale by the per-channel gain
            folded[:, bgr] = weight[:, c] * gain[c]
        mean_bgr = _to_bgr(mean_pixels, source)
        padded = any(_attribute(conv, "pads", [0, 0, 0, 0])) or \
            _attribute(conv, "auto_pad", b"NOTSET") not in (b"NOTSET", "NOTSET", b"VALID", "VALID")
        conv_input = "_nchw_f32"
        if padded:  # the border must be zero after normalisation: subtract the mean explicitly
            mean_name = _add_initialiser(graph, "_mean_bgr", mean_bgr.reshape(1, 3, 1, 1))
            nodes.append(helper.make_node("Sub", ["_nchw_f32", mean_name], ["_centred"]))
            conv_input = "_centred"
            how = "gain folded into the first convolution, mean subtracted before it (padded)"
        else:  # no padding: conv(W', x) + b' equals conv(W, (x*scale - mean)/std) + b everywhere
            bias = _conv_bias(graph, conv, weight.shape[0])
            bias = bias - np.einsum("oikl,i->o", folded, mean_bgr).astype(np.float32)
            bias_name = _add_initialiser(graph, f"{conv.input[1]}_bias_folded", bias)
            if len(conv.input) > 2:
                conv.input[2] = bias_name
            else:
                conv.input.append(bias_name)
            how = "folded into the first convolution (exact: it pads nothing)"
        new_weight = _add_initialiser(graph, f"{conv.input[1]}_folded", folded)
        conv.input[1] = new_weight
        conv.input[0] = conv_input
    else:
        offset = np.array([-m / s for m, s in zip(preprocess.mean, preprocess.std, strict=True)],
                          np.float32)
        reorder = _add_initialiser(graph, "_bgr_to_model", np.array(source, np.int64))
        scale_name = _add_initialiser(graph, "_gain", gain.reshape(1, 3, 1, 1))
        offset_name = _add_initialiser(graph, "_offset", offset.reshape(1, 3, 1, 1))
        nodes += [helper.make_node("Gather", ["_nchw_f32", reorder], ["_ordered"], axis=1),
                  helper.make_node("Mul", ["_ordered", scale_name], ["_scaled"]),
                  helper.make_node("Add", ["_scaled", offset_name], [original.name])]
        how = "Mul/Add nodes in the graph (the first layer is not a foldable convolution)"
    new_input = helper.make_tensor_value_info(UINT8_INPUT, TensorProto.UINT8,
                                              [batch, size, size, 3])
    graph.input.remove(original)
    graph.input.insert(0, new_input)
    _prepend(graph, nodes)
    _drop_unused_initialisers(graph)
    return how


def _to_bgr(values: np.ndarray, source: list[int]) -> np.ndarray:
    """Per-channel values in model order → the same values indexed by BGR channel."""
    result = np.empty_like(values)
    for c, bgr in enumerate(source):
        result[bgr] = values[c]
    return result


def _foldable_conv(graph: onnx.GraphProto, input_name: str) -> onnx.NodeProto | None:
    consumers = _consumers(graph, input_name)
    if len(consumers) != 1 or consumers[0].op_type != "Conv":
        return None
    conv = consumers[0]
    weight = _initialiser(graph, conv.input[1]) if len(conv.input) > 1 else None
    if (conv.input[0] != input_name or weight is None or weight.data_type != TensorProto.FLOAT
            or _attribute(conv, "group", 1) != 1 or len(weight.dims) != 4 or weight.dims[1] != 3
            or len(_consumers(graph, conv.input[1])) != 1):
        return None
    if len(conv.input) > 2 and (_initialiser(graph, conv.input[2]) is None
                                or len(_consumers(graph, conv.input[2])) != 1):
        return None
    return conv


def _initialiser(graph: onnx.GraphProto, name: str) -> onnx.TensorProto | None:
    return next((init for init in graph.initializer if init.name == name), None)


def _initialiser_array(graph: onnx.GraphProto, name: str) -> np.ndarray:
    """A constant the caller checked exists (`_foldable_conv`), as float32."""
    init = _initialiser(graph, name)
    if init is None:
        raise ValueError(f"no initialiser named {name!r}")
    return numpy_helper.to_array(init).astype(np.float32)


def _conv_bias(graph: onnx.GraphProto, conv: onnx.NodeProto, channels: int) -> np.ndarray:
    if len(conv.input) > 2 and conv.input[2]:
        return _initialiser_array(graph, conv.input[2])
    return np.zeros(channels, np.float32)


def _add_initialiser(graph: onnx.GraphProto, name: str, value: np.ndarray) -> str:
    graph.initializer.append(numpy_helper.from_array(value, name))
    return name


def _prepend(graph: onnx.GraphProto, nodes: list[onnx.NodeProto]) -> None:
    existing = list(graph.node)
    del graph.node[:]
    graph.node.extend([*nodes, *existing])


def _drop_unused_initialisers(graph: onnx.GraphProto) -> None:
    used = {name for node in graph.node for name in node.input}
    keep = [init for init in graph.initializer if init.name in used]
    del graph.initializer[:]
    graph.initializer.extend(keep)
    stale = [i for i in graph.input if i.name != UINT8_INPUT and i.name not in used]
    for value in stale:
        graph.input.remove(value)


# --- experiment: the crop inside the graph too -----------------------------------------------

FRAME_INPUT = "frame_uint8_nhwc"
ROI_INPUT = "crop_roi"


def add_crop_prologue(model: onnx.ModelProto, size: int) -> onnx.ModelProto:
    """A copy of a uint8-prologue model that takes the whole BGR frame [1,H,W,3] and a region
    (`crop_roi`) and crops and resizes inside the graph (Resize, tf_crop_and_resize, linear).

    Measured by `bench` (contender classify_graph_crop), not used by the app: it is no faster
    than OpenCV's warp on two cores, and onnxruntime rounds uint8 interpolation differently
    (crops differ by at most one grey level, on about half the pixels)."""
    model = _copy(model)
    graph = model.graph
    crop_input = graph.input[0]
    if crop_input.name != UINT8_INPUT:
        raise ValueError("add_crop_prologue needs the uint8 prologue first")
    graph.input.remove(crop_input)
    graph.input.insert(0, helper.make_tensor_value_info(FRAME_INPUT, TensorProto.UINT8,
                                                        [1, "height", "width", 3]))
    graph.input.insert(1, helper.make_tensor_value_info(ROI_INPUT, TensorProto.FLOAT, [8]))
    sizes = _add_initialiser(graph, "_crop_sizes", np.array([1, size, size, 3], np.int64))
    _prepend(graph, [helper.make_node(
        "Resize", [FRAME_INPUT, ROI_INPUT, "", sizes], [UINT8_INPUT], mode="linear",
        coordinate_transformation_mode="tf_crop_and_resize")])
    return model


def crop_roi(matrix: np.ndarray, height: int, width: int, size: int) -> np.ndarray:
    """The Resize region whose sample positions are those of a crop's dst→src affine map:
    tf_crop_and_resize samples start*(L-1) + i*(end-start)*(L-1)/(size-1)."""
    step_x, offset_x = matrix[0, 0], matrix[0, 2]
    step_y, offset_y = matrix[1, 1], matrix[1, 2]
    start_x, start_y = offset_x / max(1, width - 1), offset_y / max(1, height - 1)
    end_x = start_x + step_x * (size - 1) / max(1, width - 1)
    end_y = start_y + step_y * (size - 1) / max(1, height - 1)
    return np.array([0, start_y, start_x, 0, 1, end_y, end_x, 1], np.float32)
