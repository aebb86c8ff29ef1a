"""Drawing the predictions panel, the FPS line and a badge over the picture, with QPainter.

Everything is laid out in the painter's logical coordinates and sized from the area it covers:
the overlay grows with the window (and with a snapshot's source resolution), and Qt maps it to
device pixels on HiDPI screens. Font sizes are in pixels, not points, so that a QImage (72 dpi
by default) and a screen (96+ dpi) give the same proportions.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QPainter

from squeezeapp.core.imaging.sources import Frame
from squeezeapp.core.inference.classifier import Prediction
from squeezeapp.ui.common.percent_text import WIDEST_PERCENT, percent_text
from squeezeapp.ui.common.view_options import Corner, ViewOptions
from squeezeapp.ui.live.payloads import LiveStats

STALE_AFTER_S = 0.5  # a live result older than this, relative to the frame shown, is dimmed

PANEL = QColor(12, 16, 22, 190)
TEXT = QColor(240, 244, 248)
MUTED = QColor(170, 180, 192)
BAR_TOP = QColor(61, 174, 233)
BAR = QColor(61, 174, 233, 110)
UNSURE = QColor(240, 170, 40)  # the "unsure" marker and the top bar of an unsure result
MARGIN = 12.0
PADDING = 10.0
ROW_PX = 15.0  # font sizes at scale 1 (a picture area of about 900×600 logical pixels)
SMALL_PX = 11.5
STATS_PX = 12.0
BADGE_PX = 13.5
REFERENCE_SIZE = (900.0, 600.0)
MIN_SCALE, MAX_SCALE = 0.8, 4.0  # at 0.6 a 640×400 window's small text was ~7 px
MIN_TEXT_PX = 9  # the smallest text the overlay draws, whatever the window's size


class ShownResult(Protocol):
    """What the overlay needs of a result (InferenceResult has it; so do test doubles)."""

    @property
    def predictions(self) -> Sequence[Prediction]: ...

    @property
    def smoothed(self) -> bool: ...


class TimedResult(ShownResult, Protocol):
    @property
    def source(self) -> str: ...

    @property
    def frame_timestamp(self) -> float: ...


def is_stale(result: TimedResult, frame: Frame | None) -> bool:
    """Does `result` describe something other than the picture on screen?"""
    if frame is None or result.source != frame.source:
        return True
    if not frame.live:
        return False  # a still image's result is for that image, whenever it was computed
    return frame.timestamp - result.frame_timestamp > STALE_AFTER_S


def overlay_scale(area: QRectF) -> float:
    """How much larger than at the reference size to draw, for the area the overlay covers."""
    if area.width() <= 0 or area.height() <= 0:
        return 1.0
    scale = min(area.width() / REFERENCE_SIZE[0], area.height() / REFERENCE_SIZE[1])
    return max(MIN_SCALE, min(MAX_SCALE, scale))


def _font(painter: QPainter, pixels: float, bold: bool = False) -> QFont:
    font = QFont(painter.font())
    font.setPixelSize(max(MIN_TEXT_PX, round(pixels)))
    font.setBold(bold)
    return font


def _place(area: QRectF, width: float, height: float, corner: Corner, margin: float) -> QRectF:
    left = area.left() + margin if corner.is_left else area.right() - margin - width
    top = area.top() + margin if corner.is_top else area.bottom() - margin - height
    return QRectF(left, top, width, height)


def paint_predictions(painter: QPainter, area: QRectF, result: ShownResult, stale: bool,
                      caption: str, options: ViewOptions | None = None,
                      scale: float | None = None) -> list[tuple[QRectF, str]]:
    """Top-k rows (short name, %, bar) in a panel in the options' corner (top left by default);
    returns each row's rect and full label (for tooltips). Nothing when the overlay is hidden."""
    options = options or ViewOptions()
    if not options.overlay_visible or not result.predictions:
        return []
    scale = overlay_scale(area) if scale is None else scale
    predictions = list(result.predictions)[: options.count]
    unsure = options.is_unsure(predictions[0].probability)
    row_font = _font(painter, ROW_PX * scale)
    small_font = _font(painter, SMALL_PX * scale)
    bold_small = _font(painter, SMALL_PX * scale, bold=True)
    padding, margin = PADDING * scale, MARGIN * scale
    row_height = QFontMetricsF(row_font).height() + 8 * scale
    header_height = QFontMetricsF(small_font).height() + 6 * scale
    width = min(380.0 * scale, max(220.0 * scale, area.width() * 0.42),
                area.width() - 2 * margin)
    height = padding * 2 + header_height + row_height * len(predictions)
    panel = _place(area, width, height, options.corner, margin)
    radius = 8 * scale

    painter.save()
    painter.setOpacity(0.5 if stale else 1.0)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(PANEL)
    painter.drawRoundedRect(panel, radius, radius)

    header = QRectF(panel.left() + padding, panel.top() + padding, width - 2 * padding,
                    header_height)
    if unsure:  # a pill at the header's right: visible at a glance, says why
        painter.setFont(bold_small)
        text = "? unsure"
        pill_width = QFontMetricsF(bold_small).horizontalAdvance(text) + 12 * scale
        pill = QRectF(header.right() - pill_width, header.top(), pill_width, header.height())
        painter.setBrush(UNSURE)
        painter.drawRoundedRect(pill, radius / 2, radius / 2)
        painter.setPen(QColor(20, 20, 20))
        painter.drawText(pill, Qt.AlignmentFlag.AlignCenter, text)
        header.setRight(pill.left() - 6 * scale)
    painter.setFont(small_font)
    painter.setPen(MUTED)
    note = "  ·  older than this picture" if stale else ("  ·  smoothed" if result.smoothed
                                                          else "")
    header_text = QFontMetricsF(small_font).elidedText(
        f"{caption}{note}", Qt.TextElideMode.ElideRight, header.width())
    painter.drawText(header, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                     header_text)

    rows = []
    painter.setFont(row_font)
    metrics = QFontMetricsF(row_font)
    percent_width = max(metrics.horizontalAdvance(WIDEST_PERCENT),
                        metrics.horizontalAdvance(percent_text(0.9999))) + 6 * scale
    top = header.bottom()
    for prediction in predictions:
        row = QRectF(panel.left() + padding, top, width - 2 * padding, row_height - 4 * scale)
        bar = QRectF(row.left(), row.top(), row.width() * max(0.0, prediction.probability),
                     row.height())
        painter.setPen(Qt.PenStyle.NoPen)
        if prediction.rank == 1:
            painter.setBrush(UNSURE if unsure else BAR_TOP)
        else:
            painter.setBrush(BAR)
        painter.drawRoundedRect(bar, radius / 2, radius / 2)
        painter.setPen(TEXT)
        percent = percent_text(prediction.probability)
        name_rect = row.adjusted(6 * scale, 0, -percent_width, 0)
        name = metrics.elidedText(prediction.name, Qt.TextElideMode.ElideRight, name_rect.width())
        painter.drawText(name_rect, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                         name)
        painter.drawText(row.adjusted(0, 0, -6 * scale, 0),
                         Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, percent)
        rows.append((row, prediction.label))
        top += row_height
    painter.restore()
    return rows


def _paint_pill(painter: QPainter, rect: QRectF, font: QFont, text: str, radius: float) -> None:
    """Text centred on a rounded translucent panel."""
    painter.save()
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(PANEL)
    painter.drawRoundedRect(rect, radius, radius)
    painter.setFont(font)
    painter.setPen(TEXT)
    painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, text)
    painter.restore()


def paint_stats(painter: QPainter, area: QRectF, stats: LiveStats,
                corner: Corner = Corner.BOTTOM_LEFT, scale: float = 1.0) -> None:
    """The FPS line in a strip at a bottom corner."""
    font = _font(painter, STATS_PX * scale)
    text = (f"display {stats.display_fps:4.1f} fps  ·  inference {stats.inference_fps:4.1f} fps"
            f"  ·  latency {stats.latency_ms:.1f} ms  ·  dropped {stats.dropped}")
    metrics = QFontMetricsF(font)
    strip = _place(area, metrics.horizontalAdvance(text) + 16 * scale,
                   metrics.height() + 8 * scale, corner, MARGIN * scale)
    _paint_pill(painter, strip, font, text, 6 * scale)


def paint_badge(painter: QPainter, area: QRectF, text: str,
                corner: Corner = Corner.TOP_RIGHT, scale: float = 1.0) -> None:
    """A small label at a top corner (e.g. "3 / 40", "Paused")."""
    font = _font(painter, BADGE_PX * scale, bold=True)
    metrics = QFontMetricsF(font)
    badge = _place(area, metrics.horizontalAdvance(text) + 18 * scale,
                   metrics.height() + 8 * scale, corner, MARGIN * scale)
    _paint_pill(painter, badge, font, text, 6 * scale)


def _free_corner(corner: Corner, top: bool, default_left: bool) -> Corner:
    """A corner on the given edge that the predictions panel does not use."""
    left = not corner.is_left if corner.is_top == top else default_left
    return {(True, True): Corner.TOP_LEFT, (True, False): Corner.TOP_RIGHT,
            (False, True): Corner.BOTTOM_LEFT, (False, False): Corner.BOTTOM_RIGHT}[(top, left)]


def paint_overlay(painter: QPainter, area: QRectF, result: ShownResult | None,
                  options: ViewOptions, *, stale: bool = False, caption: str = "",
                  stats: LiveStats | None = None, badge: str = "") -> list[tuple[QRectF, str]]:
    """The whole overlay for one picture area: predictions in the chosen corner, the FPS line
    and the badge in corners it leaves free. Hidden overlay: only the badge (a state such as
    "Paused" must stay visible). Returns the prediction rows (rect, full label) for tooltips."""
    scale = overlay_scale(area)
    rows: list[tuple[QRectF, str]] = []
    if result is not None:
        rows = paint_predictions(painter, area, result, stale, caption, options, scale)
    if stats is not None and options.overlay_visible:
        corner = _free_corner(options.corner, top=False, default_left=True)
        paint_stats(painter, area, stats, corner, scale)
    if badge:
        corner = _free_corner(options.corner, top=True, default_left=False)
        paint_badge(painter, area, badge, corner, scale)
    return rows

