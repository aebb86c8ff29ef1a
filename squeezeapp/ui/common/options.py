"""What the command line tells the window, as a small frozen dataclass (not argparse's namespace),
so the ui layer never imports the cli."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class GuiOptions:
    model: str | None = None  # --model: this run only, never remembered
    threads: int | None = None  # --threads: this run only
    provider: str | None = None  # --provider: this run only
    source: str | None = None  # camera:N, or an image, folder or video to open at start
    exit_after: float | None = None
    metrics_json: Path | None = None
    screenshot: Path | None = None
