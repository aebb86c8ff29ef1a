"""What the workers hand to the views: results and model descriptions, as frozen dataclasses.

Views (the frame view, the overlay, snapshots) import these without importing a worker thread.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from squeezeapp.core.inference.classifier import ClassMaps, Prediction
from squeezeapp.core.inference.preprocess import CropRect


@dataclass(frozen=True)
class InferenceResult:
    frame_id: int
    frame_timestamp: float
    source: str
    live: bool
    predictions: tuple[Prediction, ...]
    latency_ms: float  # pre-processing + inference + post-processing
    model: str
    smoothed: bool
    token: int = 0  # the request it answers (LiveSession's staleness rule)
    crop: CropRect | None = None  # the square of the frame the model saw
    cam: ClassMaps | None = None  # maps of `predictions`' classes (models that have them)
    model_display_name: str = ""  # `model` as people read it (the caption)


@dataclass(frozen=True)
class LoadedModel:
    name: str  # identifies the model (results, caches)
    display_name: str  # what people read: menu, status bar, canvas, About
    path: Path
    provider: str
    threads: int | None
    sha256: str = ""  # identifies the weights (About: the licence of a known model)
    cam_unsupported: str = ""  # why the model has no class maps ('' when it has them)


@dataclass(frozen=True)
class LiveStats:
    """The FPS line's figures, measured by the session and drawn by the overlay."""

    display_fps: float
    inference_fps: float
    latency_ms: float
    dropped: int


@dataclass(frozen=True)
class ModelFailure:
    """Why a model did not load: in words for people, and the technical detail (Details)."""

    words: str
    detail: str

    def __str__(self) -> str:
        return self.detail
