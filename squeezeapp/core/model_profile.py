"""What a user choosing a model wants to know: how fast it is and how accurate, side by side.

`model_profile(path)` reads what the model's metadata states (the fast int8 model carries its
held-out accuracy and its speed-up over float, measured when it was built: see
quantize.build_fast_model) and, with `measure=True`, times it on this machine. The Model menu
and `squeezeapp models list` both show `ModelProfile.summary`.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import onnx

from squeezeapp.core.errors import ModelError
from squeezeapp.core.quantize import ACCURACY_KEY, DISPLAY_NAME_KEY, SPEED_KEY
from squeezeapp.core.timing import interleave

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ModelProfile:
    name: str
    display_name: str
    path: Path
    precision: str  # "int8" or "float32"
    top1: float | None = None  # held-out photos, as stated in the metadata
    top5: float | None = None
    float_top1: float | None = None  # its float source on the same photos
    held_out_photos: int | None = None
    speedup: float | None = None  # over its float source, 1 thread, measured at build time
    ms_per_image: float | None = None  # measured here (measure=True): 1-thread classify p50
    error: str | None = None  # why the model cannot be used

    @property
    def summary(self) -> str:
        """One line for a menu or a listing, e.g. '1.9x faster than float; top-1 66 % on 50
        held-out photos (float 66 %); 1.71 ms/image here'."""
        if self.error:
            return f"unusable: {self.error}"
        parts = [self.precision]
        if self.speedup is not None:
            parts.append(f"{self.speedup:.1f}x the float model's speed (1 thread, at build)")
        if self.top1 is not None:
            accuracy = f"top-1 {self.top1:.0%}"
            if self.top5 is not None:
                accuracy += f", top-5 {self.top5:.0%}"
            accuracy += f" on {self.held_out_photos} held-out photos"
            if self.float_top1 is not None:
                accuracy += f" (float: top-1 {self.float_top1:.0%})"
            parts.append(accuracy)
        if self.ms_per_image is not None:
            parts.append(f"{self.ms_per_image:.2f} ms/image on 1 thread here")
        return "; ".join(parts)


def model_profile(path: Path, measure: bool = False) -> ModelProfile:
    """A model's profile from its metadata; `measure` also times it here (about 0.3 s)."""
    try:
        model = onnx.load(str(path), load_external_data=False)
    except Exception as error:  # protobuf raises several unrelated exception types
        return ModelProfile(path.stem, path.stem, path, "?", error=f"not readable ({error})")
    meta = {p.key: p.value for p in model.metadata_props}
    int8 = any(node.op_type in ("QuantizeLinear", "QLinearConv", "ConvInteger")
               for node in model.graph.node)
    name = meta.get("model_name") or path.stem
    accuracy = _json(meta.get(ACCURACY_KEY))
    speed = _json(meta.get(SPEED_KEY))
    profile = ModelProfile(
        name=name, display_name=meta.get(DISPLAY_NAME_KEY) or name, path=path,
        precision="int8" if int8 else "float32",
        top1=accuracy.get("top1"), top5=accuracy.get("top5"),
        float_top1=accuracy.get("float_top1"), held_out_photos=accuracy.get("held_out_photos"),
        speedup=speed.get("speedup_1thread"),
    )
    if not measure:
        return profile
    try:
        ms = _time_one_thread(path)
    except ModelError as error:
        return ModelProfile(**{**profile.__dict__, "error": str(error)})
    return ModelProfile(**{**profile.__dict__, "ms_per_image": ms})


def _json(raw: str | None) -> dict:
    try:
        value = json.loads(raw) if raw else {}
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _time_one_thread(path: Path) -> float:
    from squeezeapp.core.classifier import Classifier, SessionSettings

    classifier = Classifier.load(path, SessionSettings(threads=1, provider="cpu"))
    frame = np.full((480, 640, 3), 128, np.uint8)
    timed = interleave({"classify": lambda: classifier.classify(frame)}, rounds=3, block=15,
                       warmup=5)
    return timed["classify"].p50
