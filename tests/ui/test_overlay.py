"""The overlay drawn into QImages and checked by pixels: corners, hidden, 1/3/5 rows, the unsure
marker, scaling with size and devicePixelRatio; snapshots at the source frame's resolution."""

from __future__ import annotations

import json
from dataclasses import dataclass

import numpy as np
import pytest
from PySide6.QtCore import QRectF
from PySide6.QtGui import QImage, QPainter

from squeezeapp.core.imaging.decode import read_image
from squeezeapp.core.inference.classifier import Prediction
from squeezeapp.ui.common.convert import qimage_to_bgr
from squeezeapp.ui.common.percent_text import percent_text
from squeezeapp.ui.common.view_options import Corner, ViewOptions
from squeezeapp.ui.live.payloads import LiveStats
from squeezeapp.ui.picture.overlay import UNSURE, paint_overlay
from squeezeapp.ui.picture.snapshot import render_snapshot, save_frame_snapshot


@dataclass(frozen=True)
class FakeResult:
    predictions: tuple[Prediction, ...]
    smoothed: bool = False
    model: str = "squeezenet1.1"
    latency_ms: float = 4.25


def _result(top: float = 0.8) -> FakeResult:
    rest = (1 - top) / 4
    return FakeResult(tuple(
        Prediction(rank, rank * 10, f"n{rank:08d}", f"label {rank}, synonym",
                   top if rank == 1 else rest)
        for rank in range(1, 6)))


def _render(options: ViewOptions, result=None, size=(900, 600), dpr: float = 1.0,
            **kwargs) -> np.ndarray:
    """Paint the overlay on a black image; return its pixels (H, W, 3 BGR)."""
    image = QImage(round(size[0] * dpr), round(size[1] * dpr), QImage.Format.Format_RGB32)
    image.fill(0)
    image.setDevicePixelRatio(dpr)
    painter = QPainter(image)
    paint_overlay(painter, QRectF(0, 0, size[0], size[1]), result or _result(), options, **kwargs)
    painter.end()
    return qimage_to_bgr(image)


def _drawn(pixels: np.ndarray) -> np.ndarray:
    return pixels.max(axis=2) > 3


def _bounding_box(pixels: np.ndarray) -> tuple[int, int, int, int]:
    rows, columns = np.nonzero(_drawn(pixels))
    return int(columns.min()), int(rows.min()), int(columns.max()), int(rows.max())


@pytest.mark.parametrize("corner", list(Corner))
def test_predictions_go_to_the_chosen_corner(qtbot, corner: Corner) -> None:
    pixels = _render(ViewOptions(corner=corner))
    height, width = pixels.shape[:2]
    top = slice(0, height // 2) if corner.is_top else slice(height // 2, height)
    left = slice(0, width // 2) if corner.is_left else slice(width // 2, width)
    drawn = _drawn(pixels)
    assert drawn[top, left].sum() > 5000  # the panel is there
    drawn[top, left] = False
    assert not drawn.any()  # and nothing anywhere else


def test_stats_and_badge_avoid_the_panel(qtbot) -> None:
    stats = LiveStats(30.0, 25.0, 4.0, 3)
    for corner in Corner:
        pixels = _render(ViewOptions(corner=corner), stats=stats, badge="Paused")
        drawn = _drawn(pixels)
        height, width = drawn.shape
        quadrants = [drawn[:height // 2, :width // 2], drawn[:height // 2, width // 2:],
                     drawn[height // 2:, :width // 2], drawn[height // 2:, width // 2:]]
        assert sum(q.any() for q in quadrants) == 3, corner  # panel, stats, badge: 3 corners


def test_hidden_overlay_draws_nothing_but_keeps_a_state_badge(qtbot) -> None:
    hidden = ViewOptions(overlay_visible=False)
    assert not _drawn(_render(hidden, stats=LiveStats(30, 25, 4, 0))).any()
    with_badge = _drawn(_render(hidden, badge="Paused"))
    assert with_badge.any() and not with_badge[:, : with_badge.shape[1] // 2].any()


def test_one_three_or_five_predictions(qtbot) -> None:
    heights = []
    for count in (1, 3, 5):
        _, top, _, bottom = _bounding_box(_render(ViewOptions(count=count)))
        heights.append(bottom - top)
    row = (heights[2] - heights[1]) / 2
    assert heights[0] < heights[1] < heights[2]
    assert abs((heights[1] - heights[0]) / 2 - row) <= 2  # every row the same height


def _unsure_pixels(pixels: np.ndarray) -> int:
    target = np.array([UNSURE.blue(), UNSURE.green(), UNSURE.red()])
    return int((np.abs(pixels.astype(int) - target).max(axis=2) < 12).sum())


def test_unsure_marker_below_the_threshold(qtbot) -> None:
    options = ViewOptions(unsure_threshold=0.3)
    assert _unsure_pixels(_render(options, _result(top=0.2))) > 500
    assert _unsure_pixels(_render(options, _result(top=0.45))) == 0
    assert _unsure_pixels(_render(ViewOptions(unsure_threshold=0.0), _result(top=0.2))) == 0


def test_overlay_scales_with_size_and_device_pixel_ratio(qtbot) -> None:
    def extent(**kwargs) -> tuple[int, int]:
        left, top, right, bottom = _bounding_box(_render(ViewOptions(), **kwargs))
        return right - left, bottom - top

    base = extent()
    for doubled in (extent(size=(1800, 1200)), extent(dpr=2.0)):
        assert doubled[0] / base[0] == pytest.approx(2.0, rel=0.06)
        assert doubled[1] / base[1] == pytest.approx(2.0, rel=0.08)
    small = extent(size=(640, 400))
    assert small[0] < base[0] and small[1] < base[1]


def test_snapshot_is_the_source_frame_at_its_resolution(qtbot, sample_images, tmp_path) -> None:
    frame = read_image(sample_images[5])
    height, width = frame.shape[:2]
    options = ViewOptions(corner=Corner.TOP_RIGHT)
    picture = render_snapshot(frame, _result(), options, caption="Top 5")
    assert (picture.width(), picture.height()) == (width, height)
    pixels = qimage_to_bgr(picture)
    # left half untouched, to the pixel; the overlay is in the top right
    assert np.array_equal(pixels[:, : width // 2], frame[:, : width // 2])
    assert not np.array_equal(pixels[: height // 3, width // 2:], frame[: height // 3, width // 2:])
    hidden = qimage_to_bgr(render_snapshot(frame, _result(), ViewOptions(overlay_visible=False)))
    assert np.array_equal(hidden, frame)

    big = np.ascontiguousarray(np.tile(frame, (4, 4, 1)))
    png = save_frame_snapshot(tmp_path, big, "clip.mp4", _result(), options,
                              video_timestamp_s=12.3456)
    saved = QImage(str(png))
    assert (saved.width(), saved.height()) == (width * 4, height * 4)
    record = json.loads(png.with_suffix(".json").read_text())
    assert record["video_timestamp_s"] == 12.346 and record["latency_ms"] == 4.25
    assert (record["width"], record["height"]) == (width * 4, height * 4)
    assert record["predictions"][0]["label"] == "label 1, synonym"
    second = save_frame_snapshot(tmp_path, frame, "photo.jpg", None, options)
    assert second != png and json.loads(second.with_suffix(".json").read_text())[
        "video_timestamp_s"] is None


@pytest.mark.parametrize(("probability", "text"), [
    (0.988, "98.8 %"), (0.0004, "<0.1 %"), (0.0, "0.0 %"), (0.0005, "0.1 %"),
    (0.9996, ">99.9 %"), (1.0, "100.0 %"), (0.9994, "99.9 %"),
])
def test_percent_text_never_rounds_to_certainty_or_nothing(probability, text) -> None:
    assert percent_text(probability) == text
