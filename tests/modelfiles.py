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


def tiny_model(target: Path, classes: int = 10, size: int = 224, channels: int = 3) -> Path:
    """A one-layer 'classifier' with the given input size and class count, plus metadata."""
    import json

    import numpy as np

    weights = helper.make_tensor("w", TensorProto.FLOAT, [classes, channels, 1, 1],
                                 np.ones(classes * channels, np.float32).tolist())
    nodes = [
        helper.make_node("Conv", ["data", "w"], ["conv"]),
        helper.make_node("GlobalAveragePool", ["conv"], ["pool"]),
        helper.make_node("Flatten", ["pool"], ["logits"]),
    ]
    graph = helper.make_graph(
        nodes, "tiny",
        [helper.make_tensor_value_info("data", TensorProto.FLOAT, ["N", channels, size, size])],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["N", classes])],
        [weights],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    preprocess = {"size": 224, "resize": 256, "color": "RGB", "scale": 1 / 255,
                  "mean": [0.5] * 3, "std": [0.5] * 3, "layout": "NCHW"}
    for key, value in (("labels", [f"class {i}" for i in range(classes)]),
                       ("preprocess", preprocess)):
        entry = model.metadata_props.add()
        entry.key, entry.value = key, json.dumps(value)
    onnx.save(model, str(target))
    return target
