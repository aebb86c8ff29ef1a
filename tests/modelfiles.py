"""Variants of the real model for tests: stripped metadata, softmax heads, wrong shapes."""

from __future__ import annotations

from pathlib import Path

import onnx
from onnx import TensorProto, helper


def without_metadata(source: Path, target: Path) -> Path:
    model = onnx.load(str(source))
    del model.metadata_props[:]
    onnx.save(model, str(target))
    return target


def with_softmax_4d_output(source: Path, target: Path) -> Path:
    """The model followed by Softmax and a reshape to [N,1000,1,1], like some zoo files."""
    model = onnx.load(str(source))
    kept = [p for p in model.metadata_props if p.key != "output"]  # it would say "logits"
    del model.metadata_props[:]
    model.metadata_props.extend(kept)
    graph = model.graph
    logits = graph.output[0].name
    shape = helper.make_tensor("prob_shape", TensorProto.INT64, [4], [-1, 1000, 1, 1])
    graph.initializer.append(shape)
    graph.node.append(helper.make_node("Softmax", [logits], ["prob_flat"], axis=1))
    graph.node.append(helper.make_node("Reshape", ["prob_flat", "prob_shape"], ["softmaxout_1"]))
    del graph.output[:]
    graph.output.append(helper.make_tensor_value_info("softmaxout_1", TensorProto.FLOAT,
                                                      ["N", 1000, 1, 1]))
    onnx.save(model, str(target))
    return target


def tiny_model(target: Path, classes: int = 10, size: int = 224, channels: int = 3, *,
               crop: int = 224, output_type: int = TensorProto.FLOAT,
               labels: int | None = None) -> Path:
    """A one-layer 'classifier' with the given input size and class count, plus metadata;
    `crop`: the pre-processing's size; `output_type`: the scores are cast to it; `labels`:
    how many labels (as many as classes unless given)."""
    import json

    import numpy as np

    weights = helper.make_tensor("w", TensorProto.FLOAT, [classes, channels, 1, 1],
                                 np.ones(classes * channels, np.float32).tolist())
    nodes = [
        helper.make_node("Conv", ["data", "w"], ["conv"]),
        helper.make_node("GlobalAveragePool", ["conv"], ["pool"]),
        helper.make_node("Flatten", ["pool"], ["flat"]),
        helper.make_node("Cast", ["flat"], ["logits"], to=output_type),
    ]
    graph = helper.make_graph(
        nodes, "tiny",
        [helper.make_tensor_value_info("data", TensorProto.FLOAT, ["N", channels, size, size])],
        [helper.make_tensor_value_info("logits", output_type, ["N", classes])],
        [weights],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    preprocess = {"size": crop, "resize": crop * 8 // 7, "color": "RGB", "scale": 1 / 255,
                  "mean": [0.5] * 3, "std": [0.5] * 3, "layout": "NCHW"}
    names = [f"class {i}" for i in range(classes if labels is None else labels)]
    for key, value in (("labels", names),
                       ("preprocess", preprocess)):
        entry = model.metadata_props.add()
        entry.key, entry.value = key, json.dumps(value)
    onnx.save(model, str(target))
    return target


def random_classifier(target: Path, first: str = "conv", head: str = "gap",
                      color: str = "RGB") -> Path:
    """A small random 1000-class network with metadata, to exercise the load-time rewrites.

    first: "conv" (a 3x3 stride-2 convolution without padding), "padded" (with padding 1),
    "relu" (the input goes through a Relu first, so nothing can be folded).
    head: "gap" (conv to 1000 maps, GlobalAveragePool, Flatten), "reducemean" (ReduceMean over
    H,W), "gemm" (pool 16 features, then a fully connected layer: no per-class maps)."""
    import json

    import numpy as np

    rng = np.random.default_rng(7)
    initialisers = [
        helper.make_tensor("w1", TensorProto.FLOAT, [16, 3, 3, 3],
                           rng.normal(0, 0.3, 16 * 27).astype(np.float32).tolist()),
        helper.make_tensor("b1", TensorProto.FLOAT, [16], rng.normal(0, 0.1, 16).tolist()),
    ]
    nodes = []
    source = "data"
    if first == "relu":
        nodes.append(helper.make_node("Relu", ["data"], ["data_relu"]))
        source = "data_relu"
    pads = [1, 1, 1, 1] if first == "padded" else [0, 0, 0, 0]
    nodes += [helper.make_node("Conv", [source, "w1", "b1"], ["c1"], kernel_shape=[3, 3],
                               strides=[2, 2], pads=pads),
              helper.make_node("Relu", ["c1"], ["r1"])]
    if head == "gemm":
        initialisers += [
            helper.make_tensor("fc", TensorProto.FLOAT, [16, 1000],
                               rng.normal(0, 0.1, 16000).astype(np.float32).tolist())]
        nodes += [helper.make_node("GlobalAveragePool", ["r1"], ["pool"]),
                  helper.make_node("Flatten", ["pool"], ["flat"]),
                  helper.make_node("MatMul", ["flat", "fc"], ["logits"])]
    else:
        initialisers += [
            helper.make_tensor("w2", TensorProto.FLOAT, [1000, 16, 1, 1],
                               rng.normal(0, 0.2, 16000).astype(np.float32).tolist())]
        nodes.append(helper.make_node("Conv", ["r1", "w2"], ["maps"]))
        if head == "reducemean":
            nodes.append(helper.make_node("ReduceMean", ["maps"], ["logits"], axes=[2, 3],
                                          keepdims=0))
        else:
            nodes += [helper.make_node("GlobalAveragePool", ["maps"], ["pool"]),
                      helper.make_node("Flatten", ["pool"], ["logits"])]
    graph = helper.make_graph(
        nodes, "random",
        [helper.make_tensor_value_info("data", TensorProto.FLOAT, ["N", 3, 64, 64])],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["N", 1000])],
        initialisers,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    preprocess = {"size": 64, "resize": 72, "color": color, "scale": 1 / 255,
                  "mean": [0.485, 0.456, 0.406], "std": [0.229, 0.224, 0.225]}
    for key, value in (("labels", [f"class {i}" for i in range(1000)]),
                       ("preprocess", preprocess), ("output", "logits")):
        entry = model.metadata_props.add()
        entry.key, entry.value = key, value if isinstance(value, str) else json.dumps(value)
    onnx.save(model, str(target))
    return target
