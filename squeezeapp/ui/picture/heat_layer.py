"""What the model saw, drawn over the picture: the class activation heatmap of one predicted
class (View ▸ Show Heatmap) and the square crop the model was given (View ▸ Show Model Crop).

The maps arrive with each result (a second output of the same inference); here one is coloured at
crop size (~0.1 ms, cached per result and class) and scaled smoothly onto the crop's place in
the widget, so it stays aligned with the picture at any window size.
"""

from __future__ import annotations

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QImage, QPainter, QPen

from squeezeapp.core.inference.class_maps import crop_overlay
from squeezeapp.core.inference.preprocess import CropRect
from squeezeapp.ui.common.convert import bgra_to_qimage
from squeezeapp.ui.common.view_options import ViewOptions
from squeezeapp.ui.live.payloads import InferenceResult

CROP_PEN = QColor(255, 255, 255, 220)


def crop_in_widget(crop: CropRect, picture: QRectF, image_width: int) -> QRectF:
    """The crop rectangle (frame pixels) where it lies on the drawn picture (widget pixels)."""
    scale = picture.width() / max(1, image_width)
    return QRectF(picture.x() + crop.x * scale, picture.y() + crop.y * scale,
                  crop.width * scale, crop.height * scale)


class HeatLayer:
    """Paints heatmap and crop outline for the result shown; remembers the last coloured map."""

    def __init__(self) -> None:
        self.rank = 0  # which of the shown predictions the heatmap is for (0: the top one)
        self._key: tuple[int, int] | None = None
        self._image: QImage | None = None

    def choose(self, rank: int) -> None:
        self.rank = rank

    def _heat_image(self, result: InferenceResult) -> QImage | None:
        cam = result.cam
        if cam is None or not len(cam.maps):
            return None
        rank = min(self.rank, len(cam.maps) - 1)
        key = (id(result), rank)
        if key != self._key:
            self._key, self._image = key, bgra_to_qimage(crop_overlay(cam.maps[rank]))
        return self._image

    def paint(self, painter: QPainter, picture: QRectF, image_width: int,
              result: InferenceResult | None, options: ViewOptions) -> None:
        if result is None or result.crop is None:
            return
        where = crop_in_widget(result.crop, picture, image_width)
        painter.save()
        painter.setClipRect(picture)  # a crop wider than a tiny picture must not spill over
        if options.show_heatmap and (heat := self._heat_image(result)) is not None:
            painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
            painter.drawImage(where, heat)
        if options.show_crop:
            pen = QPen(CROP_PEN, 2, Qt.PenStyle.DashLine)
            pen.setCosmetic(True)
            painter.setPen(pen)
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawRect(where.adjusted(1, 1, -1, -1))
        painter.restore()
