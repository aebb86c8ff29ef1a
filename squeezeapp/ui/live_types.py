"""What the workers hand to the views: results and model descriptions, as frozen dataclasses.

Views (the frame view, the overlay, snapshots) import these without importing a worker thread.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from squeezeapp.core.classifier import Prediction


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


@dataclass(frozen=True)
class LoadedModel:
    name: str
    path: Path
    provider: str
    threads: int | None
    sha256: str = ""  # identifies the weights (About: the licence of a known model)
