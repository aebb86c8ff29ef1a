"""What a model needs to be used: its labels and the exact pre-processing it was trained with."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any, Literal

from squeezeapp.core.common.errors import ModelError

# A model may have any number of classes, as many as its labels; the bounds keep the result
# arrays and the label list small (ImageNet has 1000; a taught model a handful).
MIN_CLASSES, MAX_CLASSES = 2, 100_000
MIN_SIZE, MAX_SIZE = 16, 1024  # the model's input crop, pixels
MAX_RESIZE = 4096  # the shorter side before cropping
MIN_STD = 1e-6
_FLOAT32_SAFE = 1e30  # float32 ends at 3.4e38; leave room for the model's own arithmetic
OutputKind = Literal["logits", "probabilities"]


class ResizeMode(StrEnum):
    """How the picture is scaled before the centre crop (`"resize_mode"` in `preprocess`)."""

    SHORTER = "shorter"  # the shorter side to `resize`, aspect kept (torchvision's recipe)
    SQUASH = "squash"  # both sides to `resize`, aspect ignored (Caffe's ImageNet recipe)


@dataclass(frozen=True)
class PreprocessSpec:
    """Shorter side (or, squashed, both sides) to `resize`, centre crop `size`, channels in
    `color` order, then `(pixel * scale - mean) / std` per channel, laid out NCHW."""

    size: int
    resize: int
    color: Literal["RGB", "BGR"]
    scale: float
    mean: tuple[float, float, float]
    std: tuple[float, float, float]
    layout: Literal["NCHW"] = "NCHW"
    resize_mode: ResizeMode = ResizeMode.SHORTER

    @classmethod
    def from_mapping(cls, raw: Mapping[str, Any], origin: str) -> PreprocessSpec:
        """Validate a `preprocess` object (ONNX metadata, sidecar JSON or registry)."""
        if not isinstance(raw, Mapping):
            raise ModelError(f"{origin}: 'preprocess' must be a JSON object")
        try:
            spec = cls(
                size=_whole(raw["size"]),
                resize=_whole(raw.get("resize", raw["size"])),
                color=str(raw.get("color", "RGB")).upper(),  # type: ignore[arg-type]
                scale=float(raw.get("scale", 1.0)),
                mean=_triple(raw.get("mean", (0.0, 0.0, 0.0))),
                std=_triple(raw.get("std", (1.0, 1.0, 1.0))),
                layout=str(raw.get("layout", "NCHW")).upper(),  # type: ignore[arg-type]
                resize_mode=_resize_mode(raw.get("resize_mode", ResizeMode.SHORTER)),
            )
        except KeyError as error:
            raise ModelError(f"{origin}: 'preprocess' lacks the key {error}") from None
        except (TypeError, ValueError, OverflowError) as error:
            raise ModelError(f"{origin}: invalid 'preprocess' entry ({error})") from None
        problem = spec.problem()
        if problem:
            raise ModelError(f"{origin}: preprocess {problem}")
        return spec

    def problem(self) -> str | None:
        """What is wrong with these numbers, or None: the limits keep every frame's tensor
        small and finite (a 10^5 crop would allocate 112 GiB; std 0 gives NaN probabilities)."""
        if self.color not in ("RGB", "BGR"):
            return f"color must be RGB or BGR, not {self.color[:20]}"
        if self.layout != "NCHW":
            return f"layout must be NCHW, not {self.layout[:20]}"
        if not MIN_SIZE <= self.size <= MAX_SIZE:
            return f"size {self.size} is outside {MIN_SIZE}…{MAX_SIZE}"
        if not self.size <= self.resize <= MAX_RESIZE:
            return f"resize {self.resize} is outside size…{MAX_RESIZE} ({self.size}…{MAX_RESIZE})"
        if not math.isfinite(self.scale) or self.scale == 0:
            return f"scale {self.scale} is not a finite non-zero number"
        if not all(math.isfinite(m) for m in self.mean):
            return f"mean {list(self.mean)} is not finite"
        if not all(math.isfinite(s) and s > MIN_STD for s in self.std):
            return f"std {list(self.std)} must be finite and above {MIN_STD:g}"
        # the tensor is float32: pixel * scale / std and mean / std must stay well inside it
        if any(abs(255 * self.scale / s) > _FLOAT32_SAFE or abs(m / s) > _FLOAT32_SAFE
               for m, s in zip(self.mean, self.std, strict=True)):
            return f"scale {self.scale:g} or mean {list(self.mean)} is too large for float32"
        return None

    def as_dict(self) -> dict[str, Any]:
        return {
            "size": self.size,
            "resize": self.resize,
            "color": self.color,
            "scale": self.scale,
            "mean": list(self.mean),
            "std": list(self.std),
            "layout": self.layout,
            "resize_mode": str(self.resize_mode),
        }

    def describe_resize(self) -> str:
        """How the picture is scaled and cropped, for `info`."""
        how = (f"squashed to {self.resize}×{self.resize}" if self.resize_mode is ResizeMode.SQUASH
               else f"shorter side→{self.resize}")
        return f"{how}, centre crop {self.size}×{self.size}"


def _whole(value: Any) -> int:
    """An integer from JSON: 224 or 224.0, not 224.5, "224", true or 1e400."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value != int(value):
        raise ValueError(f"{value!r} is not a whole number")
    return int(value)


def _resize_mode(value: Any) -> ResizeMode:
    try:
        return ResizeMode(str(value).lower())
    except ValueError:
        raise ValueError(f"resize_mode must be 'shorter' or 'squash', not {str(value)[:20]!r}"
                         ) from None


def _triple(values: Any) -> tuple[float, float, float]:
    if isinstance(values, (str, bytes)) or not isinstance(values, (list, tuple)):
        raise ValueError("mean and std need a list of 3 numbers")
    items = [float(v) for v in values[:4]]
    if len(items) != 3:
        raise ValueError("mean and std need 3 values")
    return items[0], items[1], items[2]


@dataclass(frozen=True)
class ModelSpec:
    """Everything about a model file that the classifier needs, and where each fact came from."""

    name: str  # identifies the model in results, exports and caches (`model_name`)
    display_name: str  # what people read (core.model_names: the one rule)
    path: Path
    sha256: str
    labels: tuple[str, ...]
    wnids: tuple[str, ...]
    preprocess: PreprocessSpec
    output_kind: OutputKind | None  # None: decide from the values (probabilities sum to 1)
    input_name: str
    output_name: str
    input_shape: tuple[int | str | None, ...]
    source: str  # "metadata", "sidecar" or "registry": where labels/pre-processing came from

    @property
    def short_sha(self) -> str:
        return self.sha256[:12]


def short_label(label: str) -> str:
    """The display name: the first comma-separated name of an ImageNet label."""
    return label.split(",", 1)[0].strip()
