"""What a model needs to be used: its labels and the exact pre-processing it was trained with."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from squeezeapp.core.errors import ModelError

NUM_CLASSES = 1000
OutputKind = Literal["logits", "probabilities"]


@dataclass(frozen=True)
class PreprocessSpec:
    """Shorter side to `resize`, centre crop `size`, channels in `color` order,
    then `(pixel * scale - mean) / std` per channel, laid out NCHW."""

    size: int
    resize: int
    color: Literal["RGB", "BGR"]
    scale: float
    mean: tuple[float, float, float]
    std: tuple[float, float, float]
    layout: Literal["NCHW"] = "NCHW"

    @classmethod
    def from_mapping(cls, raw: Mapping[str, Any], origin: str) -> PreprocessSpec:
        """Validate a `preprocess` object (ONNX metadata, sidecar JSON or registry)."""
        try:
            spec = cls(
                size=int(raw["size"]),
                resize=int(raw.get("resize", raw["size"])),
                color=str(raw.get("color", "RGB")).upper(),  # type: ignore[arg-type]
                scale=float(raw.get("scale", 1.0)),
                mean=_triple(raw.get("mean", (0.0, 0.0, 0.0))),
                std=_triple(raw.get("std", (1.0, 1.0, 1.0))),
                layout=str(raw.get("layout", "NCHW")).upper(),  # type: ignore[arg-type]
            )
        except (KeyError, TypeError, ValueError) as error:
            raise ModelError(f"{origin}: invalid 'preprocess' entry ({error})") from None
        if spec.color not in ("RGB", "BGR"):
            raise ModelError(f"{origin}: preprocess color must be RGB or BGR, not {spec.color}")
        if spec.layout != "NCHW":
            raise ModelError(f"{origin}: only NCHW layout is supported, not {spec.layout}")
        if not 0 < spec.size <= spec.resize or any(s == 0 for s in spec.std):
            raise ModelError(f"{origin}: preprocess needs 0 < size <= resize and non-zero std")
        return spec

    def as_dict(self) -> dict[str, Any]:
        return {
            "size": self.size,
            "resize": self.resize,
            "color": self.color,
            "scale": self.scale,
            "mean": list(self.mean),
            "std": list(self.std),
            "layout": self.layout,
        }


def _triple(values: Any) -> tuple[float, float, float]:
    items = [float(v) for v in values]
    if len(items) != 3:
        raise ValueError("mean and std need 3 values")
    return items[0], items[1], items[2]


@dataclass(frozen=True)
class ModelSpec:
    """Everything about a model file that the classifier needs, and where each fact came from."""

    name: str
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
