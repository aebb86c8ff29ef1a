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
class GraphFacts:
    """How to feed and read a rewritten session (graph_rewrite.RewrittenModel minus the model)."""

    input_name: str
    uint8_input: bool  # True: the input is the BGR uint8 crop [N,size,size,3]
    normalisation: str  # how the normalisation is done, for logs and `info`
    cam: CamSource

    @classmethod
    def of(cls, rewritten: Any) -> GraphFacts:
        """The facts of a graph_rewrite.RewrittenModel."""
        return cls(rewritten.input_name, rewritten.uint8_input, rewritten.normalisation,
                   rewritten.cam)

    def as_dict(self) -> dict[str, Any]:
        return {"input_name": self.input_name, "uint8_input": self.uint8_input,
                "normalisation": self.normalisation,
                "cam": {"tensor": self.cam.tensor, "reason": self.cam.reason}}

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
        return cls(raw["input_name"], raw["uint8_input"], raw["normalisation"],
                   CamSource(tensor, cam["reason"]))
