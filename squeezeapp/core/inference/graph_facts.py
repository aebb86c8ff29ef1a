"""What the graph rewrite did to a model, without the model itself (and without `onnx`).

The classifier needs only these facts to feed and read a rewritten session, so that a model
prepared earlier (core.inference.prepared_cache) loads with onnxruntime alone.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class CamSource:
    """Where a model's class activation maps come from, or why it has none."""

    tensor: str | None  # the pre-pooling tensor's name in the graph
    reason: str  # why there is no map (empty when there is one)

    @property
    def supported(self) -> bool:
        return self.tensor is not None


@dataclass(frozen=True)
class FeatureSource:
    """Which outputs of the rewritten graph hold the pooled features and the logits, or why
    there are none (teaching needs them; classifying does not)."""

    features: str | None  # output name of the pooled features [N,F,1,1]
    logits: str | None  # output name of the pooled class scores before softmax [N,C,...]
    dimension: int | None  # F, where shape inference knows it
    reason: str

    @property
    def supported(self) -> bool:
        return self.features is not None and self.logits is not None



NO_FEATURES = FeatureSource(None, None, None, "not requested")


@dataclass(frozen=True)
class GraphFacts:
    """How to feed and read a rewritten session (graph_rewrite.RewrittenModel minus the model)."""

    input_name: str
    uint8_input: bool  # True: the input is the BGR uint8 crop [N,size,size,3]
    normalisation: str  # how the normalisation is done, for logs and `info`
    cam: CamSource
    features: FeatureSource = NO_FEATURES

    @classmethod
    def of(cls, rewritten: Any) -> GraphFacts:
        """The facts of a graph_rewrite.RewrittenModel."""
        return cls(rewritten.input_name, rewritten.uint8_input, rewritten.normalisation,
                   rewritten.cam, rewritten.features)

    def as_dict(self) -> dict[str, Any]:
        features = self.features
        return {"input_name": self.input_name, "uint8_input": self.uint8_input,
                "normalisation": self.normalisation,
                "cam": {"tensor": self.cam.tensor, "reason": self.cam.reason},
                "features": {"features": features.features, "logits": features.logits,
                             "dimension": features.dimension, "reason": features.reason}}

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> GraphFacts:
        """Facts read back from the cache; KeyError/TypeError/ValueError when malformed."""
        cam = raw["cam"]
        tensor = cam["tensor"]
        if not (tensor is None or isinstance(tensor, str)) or not isinstance(cam["reason"], str):
            raise ValueError("cam")
        if not isinstance(raw["input_name"], str) or not isinstance(raw["uint8_input"], bool) \
                or not isinstance(raw["normalisation"], str):
            raise ValueError("facts")
        raw_features = raw["features"]
        names = (raw_features["features"], raw_features["logits"])
        dimension = raw_features["dimension"]
        if not all(name is None or isinstance(name, str) for name in names) \
                or not isinstance(raw_features["reason"], str) \
                or not (dimension is None or (isinstance(dimension, int)
                                              and not isinstance(dimension, bool))):
            raise ValueError("features")
        return cls(raw["input_name"], raw["uint8_input"], raw["normalisation"],
                   CamSource(tensor, cam["reason"]),
                   FeatureSource(names[0], names[1], dimension, raw_features["reason"]))
