"""Ctrl+S: the picture as shown (overlay included) as PNG, and the predictions as JSON beside it.

Names carry the time and never overwrite an existing file.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

from PySide6.QtCore import QStandardPaths
from PySide6.QtGui import QImage

from squeezeapp import APP_NAME
from squeezeapp.ui.live_types import InferenceResult


def default_snapshot_dir() -> Path:
    pictures = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.PicturesLocation)
    return Path(pictures or Path.home()) / APP_NAME


def save_snapshot(folder: Path, picture: QImage, source: str,
                  result: InferenceResult | None, stale: bool) -> Path:
    """Write `<stamp>.png` and `<stamp>.json`; return the PNG path. Raises OSError on failure."""
    folder.mkdir(parents=True, exist_ok=True)
    stem = time.strftime(f"{APP_NAME}-%Y%m%d-%H%M%S")
    png = folder / f"{stem}.png"
    counter = 1
    while png.exists() or png.with_suffix(".json").exists():
        counter += 1
        png = folder / f"{stem}-{counter}.png"
    if not picture.save(str(png), "PNG"):
        raise OSError(f"could not write {png}")
    record = {
        "image": png.name,
        "source": source,
        "saved_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "model": result.model if result else None,
        "result_is_for_an_older_frame": stale,
        "smoothed": result.smoothed if result else False,
        "predictions": [p.as_dict() for p in result.predictions] if result else [],
    }
    png.with_suffix(".json").write_text(json.dumps(record, indent=2, ensure_ascii=False) + "\n",
                                        encoding="utf-8")
    return png
