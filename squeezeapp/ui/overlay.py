"""Drawing the predictions panel and the FPS line over the picture, with QPainter."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QPainter

from squeezeapp.core.sources import Frame
from squeezeapp.ui.live_types import InferenceResult

STALE_AFTER_S = 0.5  # a live result older than this, relative to the frame shown, is dimmed

PANEL = QColor(12, 16, 22, 190)
TEXT = QColor(240, 244, 248)
MUTED = QColor(170, 180, 192)
BAR_TOP = QColor(61, 174, 233)
BAR = QColor(61, 174, 233, 110)
MARGIN = 12.0
PADDING = 10.0


@dataclass(frozen=True)
class LiveStats:
    display_fps: float
    inference_fps: float
    latency_ms: float
    dropped: int


def is_stale(result: InferenceResult, frame: Frame | None) -> bool:
    """Does `result` describe something other than the picture on screen?"""
    if frame is None or result.source != frame.source:
        return True
    if not frame.live:
        return False  # a still image's result is for that image, whenever it was computed
    return frame.timestamp - result.frame_timestamp > STALE_AFTER_S


def _font(painter: QPainter, point_size: float, bold: bool = False) -> QFont:
    font = QFont(painter.font())
    font.setPointSizeF(point_size)
    font.setBold(bold)
    return font


def paint_predictions(painter: QPainter, area: QRectF, result: InferenceResult, stale: bool,
                      caption: str) -> list[tuple[QRectF, str]]:
    """Top-k rows (short name, %, bar) in a panel at the top left; returns row rects + labels."""
    row_font = _font(painter, 11.0)
    small_font = _font(painter, 8.5)
    row_height = QFontMetricsF(row_font).height() + 8
    header_height = QFontMetricsF(small_font).height() + 6
    width = min(380.0, max(220.0, area.width() * 0.42))
    height = PADDING * 2 + header_height + row_height * len(result.predictions)
    panel = QRectF(area.left() + MARGIN, area.top() + MARGIN, width, height)

    painter.save()
    painter.setOpacity(0.5 if stale else 1.0)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(PANEL)
    painter.drawRoundedRect(panel, 8, 8)

    painter.setFont(small_font)
    painter.setPen(MUTED)
    header = QRectF(panel.left() + PADDING, panel.top() + PADDING, width - 2 * PADDING,
                    header_height)
    note = "  ·  older than this picture" if stale else ("  ·  smoothed" if result.smoothed
                                                          else "")
    painter.drawText(header, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                     f"{caption}{note}")

    rows = []
    painter.setFont(row_font)
    metrics = QFontMetricsF(row_font)
    top = header.bottom()
    for prediction in result.predictions:
        row = QRectF(panel.left() + PADDING, top, width - 2 * PADDING, row_height - 4)
        bar = QRectF(row.left(), row.top(), row.width() * max(0.0, prediction.probability),
                     row.height())
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(BAR_TOP if prediction.rank == 1 else BAR)
        painter.drawRoundedRect(bar, 4, 4)
        painter.setPen(TEXT)
        percent = f"{prediction.probability * 100:5.1f} %"
        percent_width = metrics.horizontalAdvance("100.0 %") + 6
        name_rect = row.adjusted(6, 0, -percent_width, 0)
        name = metrics.elidedText(prediction.name, Qt.TextElideMode.ElideRight, name_rect.width())
        painter.drawText(name_rect, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                         name)
        painter.drawText(row.adjusted(0, 0, -6, 0),
                         Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, percent)
        rows.append((row, prediction.label))
        top += row_height
    painter.restore()
    return rows


def _paint_pill(painter: QPainter, rect: QRectF, font: QFont, text: str) -> None:
    """Text centred on a rounded translucent panel."""
    painter.save()
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(PANEL)
    painter.drawRoundedRect(rect, 6, 6)
    painter.setFont(font)
    painter.setPen(TEXT)
    painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, text)
    painter.restore()


def paint_stats(painter: QPainter, area: QRectF, stats: LiveStats) -> None:
    """The FPS line in a strip at the bottom left."""
    font = _font(painter, 9.0)
    text = (f"display {stats.display_fps:4.1f} fps  ·  inference {stats.inference_fps:4.1f} fps"
            f"  ·  {stats.latency_ms:4.1f} ms  ·  dropped {stats.dropped}")
    metrics = QFontMetricsF(font)
    strip = QRectF(area.left() + MARGIN, area.bottom() - MARGIN - metrics.height() - 8,
                   metrics.horizontalAdvance(text) + 16, metrics.height() + 8)
    _paint_pill(painter, strip, font, text)


def paint_badge(painter: QPainter, area: QRectF, text: str) -> None:
    """A small label at the top right (e.g. "3 / 40", "Paused")."""
    font = _font(painter, 10.0, bold=True)
    metrics = QFontMetricsF(font)
    badge = QRectF(0, 0, metrics.horizontalAdvance(text) + 18, metrics.height() + 8)
    badge.moveTopRight(area.topRight() + QRectF(-MARGIN, MARGIN, 0, 0).topLeft())
    _paint_pill(painter, badge, font, text)
