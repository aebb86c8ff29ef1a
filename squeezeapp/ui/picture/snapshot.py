"""Ctrl+S: the source frame at its own resolution with the overlay drawn on it, as PNG, and the
predictions as JSON beside it.

The picture is rendered from the frame itself, not grabbed from the window, so it has no
letterbox bars and keeps every source pixel; the overlay is laid out for the frame's size (see
`overlay.overlay_scale`). Names carry the time; both files are written through
`core.common.files.write_atomic`: whole or not at all, never over an existing file or link.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Protocol

import numpy as np
from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QRectF, QStandardPaths
from PySide6.QtGui import QImage, QPainter

from squeezeapp import APP_NAME
from squeezeapp.core.common.files import write_atomic
from squeezeapp.ui.common.convert import bgr_to_qimage
from squeezeapp.ui.common.view_options import ViewOptions
from squeezeapp.ui.picture.overlay import ShownResult, paint_overlay


class SnapshotResult(ShownResult, Protocol):
    """What the JSON records of a result (InferenceResult has it)."""

    @property
    def model(self) -> str: ...

    @property
    def latency_ms(self) -> float: ...


def default_snapshot_dir() -> Path:
    pictures = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.PicturesLocation)
    return Path(pictures or Path.home()) / APP_NAME


def render_snapshot(bgr_frame: np.ndarray, result: ShownResult | None, options: ViewOptions,
                    *, caption: str = "", stale: bool = False) -> QImage:
    """The frame (BGR uint8, H×W×3) as a QImage of the same size with the overlay painted on it
    as `options` say (nothing when the overlay is hidden)."""
    image = bgr_to_qimage(bgr_frame).convertToFormat(QImage.Format.Format_RGB32)
    if result is not None and options.overlay_visible:
        painter = QPainter(image)
        try:
            painter.setRenderHints(QPainter.RenderHint.Antialiasing
                                   | QPainter.RenderHint.TextAntialiasing)
            paint_overlay(painter, QRectF(image.rect()), result, options, stale=stale,
                          caption=caption)
        finally:
            painter.end()
    return image.convertToFormat(QImage.Format.Format_RGB888)


def save_snapshot(folder: Path, picture: QImage, source: str,
                  result: SnapshotResult | None, stale: bool, *,
                  video_timestamp_s: float | None = None) -> Path:
    """Write `<stamp>.png` and `<stamp>.json`; return the PNG path. Raises OSError on failure."""
    folder.mkdir(parents=True, exist_ok=True)
    stem = time.strftime(f"{APP_NAME}-%Y%m%d-%H%M%S")
    png = folder / f"{stem}.png"
    counter = 1
    while any(p.exists() or p.is_symlink() for p in (png, png.with_suffix(".json"))):
        counter += 1
        png = folder / f"{stem}-{counter}.png"
    encoded = QByteArray()
    buffer = QBuffer(encoded)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    if not picture.save(buffer, "PNG"):  # type: ignore[call-overload]  # the stubs want bytes
        raise OSError(f"could not encode {png.name} as PNG")
    buffer.close()
    png = write_atomic(png, bytes(encoded.data()))
    record = {
        "image": png.name,
        "width": picture.width(),
        "height": picture.height(),
        "source": source,
        "saved_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "video_timestamp_s": (round(video_timestamp_s, 3) if video_timestamp_s is not None
                              else None),
        "model": result.model if result else None,
        "latency_ms": round(result.latency_ms, 2) if result else None,
        "result_is_for_an_older_frame": stale,
        "smoothed": result.smoothed if result else False,
        "predictions": [p.as_dict() for p in result.predictions] if result else [],
    }
    write_atomic(png.with_suffix(".json"), json.dumps(record, indent=2, ensure_ascii=False) + "\n")
    return png


def save_frame_snapshot(folder: Path, bgr_frame: np.ndarray, source: str,
                        result: SnapshotResult | None, options: ViewOptions, *,
                        stale: bool = False, caption: str = "",
                        video_timestamp_s: float | None = None) -> Path:
    """Ctrl+S in one call: render the frame with its overlay, then write PNG and JSON."""
    picture = render_snapshot(bgr_frame, result, options, caption=caption, stale=stale)
    return save_snapshot(folder, picture, source, result, stale,
                         video_timestamp_s=video_timestamp_s)
