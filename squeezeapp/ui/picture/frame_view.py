"""The central widget: the picture scaled to fit (aspect kept), the overlay, or the drop zone,
with the canvas messages on top. While the next picture decodes, the one shown is veiled."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QHelpEvent, QImage, QPainter, QPen
from PySide6.QtWidgets import QSizePolicy, QToolTip, QWidget

from squeezeapp.core.imaging.sources import Frame
from squeezeapp.ui.common.canvas_message import MessageArea, MessageBoard
from squeezeapp.ui.common.percent_text import percent_text
from squeezeapp.ui.common.view_options import ViewOptions
from squeezeapp.ui.live.payloads import InferenceResult
from squeezeapp.ui.picture.heat_layer import HeatLayer
from squeezeapp.ui.picture.overlay import LiveStats, is_stale, paint_overlay

BACKGROUND = QColor(24, 26, 30)
DROP_HINT = "Drop images or folders here, open a camera, or paste an image"
SHORTCUT_HINT = "Ctrl+O  open image   ·   Ctrl+Shift+O  open folder   ·   Ctrl+V  paste"


class FrameView(QWidget):
    frameDisplayed = Signal(int)  # frame id, once per newly painted frame

    def __init__(self, board: MessageBoard, parent=None) -> None:
        super().__init__(parent)
        self.setAccessibleName("Picture and predictions")
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumSize(320, 240)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)  # Tab goes on to the canvas's buttons
        self.setMouseTracking(True)
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)
        self._frame: Frame | None = None
        self._image: QImage | None = None
        self._result: InferenceResult | None = None
        self._stats: LiveStats | None = None
        self._badge = ""
        self._caption = ""  # the model's name; the count shown is the options' count
        self.view_options = ViewOptions()
        self._rows: list[tuple[QRectF, str]] = []
        self.heat = HeatLayer()
        self._painted_id = 0
        self._replacing = ""
        self.setAccessibleDescription(DROP_HINT)
        self.messages = MessageArea(board, self)
        board.changed.connect(self._place_messages)
        self._place_messages()

    # --- state ------------------------------------------------------------------------------
    @property
    def frame(self) -> Frame | None:
        return self._frame

    @property
    def result(self) -> InferenceResult | None:
        return self._result

    def prediction_rects(self) -> list[QRectF]:
        """Where the prediction rows were last drawn (widget coordinates), best first: a click
        on one shows that class's heatmap."""
        return [rect for rect, _label in self._rows]

    @property
    def result_is_stale(self) -> bool:
        return self._result is not None and is_stale(self._result, self._frame)

    def show_frame(self, frame: Frame, image: QImage) -> None:
        had_picture = self._image is not None
        self._frame, self._image = frame, image
        if not had_picture:
            self._place_messages()
        self.update()

    def show_result(self, result: InferenceResult | None) -> None:
        self._result = result
        if result is not None:
            summary = "; ".join(
                f"{p.label}: {percent_text(p.probability).replace(' %', ' percent')}"
                for p in result.predictions)
            self.setAccessibleDescription(summary)
        self.update()

    def set_stats(self, stats: LiveStats | None) -> None:
        self._stats = stats
        self.update()

    def set_badge(self, text: str) -> None:
        self._badge = text
        self.update()

    def set_replacing(self, text: str) -> None:
        """Mark the picture shown as being replaced ("Opening x.jpg…"); "" when done."""
        self._replacing = text
        self.update()

    @property
    def replacing(self) -> str:
        return self._replacing

    @property
    def badge(self) -> str:
        return self._badge

    def set_view_options(self, options: ViewOptions) -> None:
        self.view_options = options
        self.update()

    def _shown_caption(self) -> str:
        if self._result is None or not self._caption:
            return self._caption
        shown = min(self.view_options.count, len(self._result.predictions))
        return f"Top {shown}  ·  {self._caption}"

    def caption_text(self) -> str:
        """The caption as drawn over the picture (for a snapshot of the same overlay)."""
        return self._shown_caption()

    def set_caption(self, text: str) -> None:
        self._caption = text
        self.update()

    def clear(self) -> None:
        self._frame = self._image = self._result = self._stats = None
        self._badge = self._replacing = ""
        self.setAccessibleDescription(DROP_HINT)
        self._place_messages()
        self.update()

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._place_messages()

    def _place_messages(self) -> None:
        """Under the drop hint on an empty canvas; near the bottom, above the FPS line, over a
        picture."""
        area = self.messages
        width = max(200, min(620, self.width() - 48))
        area.setFixedWidth(width)
        layout = area.layout()
        if layout is None:
            return
        height = (layout.heightForWidth(width) if layout.hasHeightForWidth()
                  else layout.sizeHint().height())
        area.setFixedHeight(max(0, height))
        top = (int(self.height() * 0.6) if self._image is None  # below the drop hint
               else self.height() - height - 52)
        area.move((self.width() - width) // 2, max(8, min(top, self.height() - height - 8)))
        area.raise_()

    def picture_rect(self) -> QRectF:
        """Where the picture is drawn: fitted to the widget with its aspect ratio kept."""
        if self._image is None:
            return QRectF()
        area = QRectF(self.rect())
        size = self._image.size().toSizeF().scaled(area.size(), Qt.AspectRatioMode.KeepAspectRatio)
        rect = QRectF(QPointF(0, 0), size)
        rect.moveCenter(area.center())
        return rect

    # --- painting ---------------------------------------------------------------------------
    def paintEvent(self, event) -> None:
        painter = QPainter(self)
        painter.setRenderHints(QPainter.RenderHint.Antialiasing
                               | QPainter.RenderHint.SmoothPixmapTransform
                               | QPainter.RenderHint.TextAntialiasing)
        painter.fillRect(self.rect(), BACKGROUND)
        if self._image is None or self._frame is None:
            self._paint_drop_zone(painter)
            return
        # drawn at device pixels: Qt maps the logical rect through the device pixel ratio
        painter.drawImage(self.picture_rect(), self._image)
        if self._frame.id != self._painted_id:
            self._painted_id = self._frame.id
            self.frameDisplayed.emit(self._frame.id)
        area = QRectF(self.rect())
        stale = self._result is not None and is_stale(self._result, self._frame)
        if not stale:  # a map from another frame would sit on the wrong picture
            self.heat.paint(painter, self.picture_rect(), self._image.width(), self._result,
                            self.view_options)
        self._rows = paint_overlay(painter, area, self._result, self.view_options, stale=stale,
                                   caption=self._shown_caption(), stats=self._stats,
                                   badge=self._badge)
        if self._replacing:
            self._paint_replacing(painter, area)

    def _paint_replacing(self, painter: QPainter, area: QRectF) -> None:
        """Veil the old picture and say what is coming, so it is not taken for the new one."""
        painter.fillRect(self.picture_rect(), QColor(24, 26, 30, 160))
        font = QFont(painter.font())
        font.setPointSizeF(12)
        painter.setFont(font)
        metrics = QFontMetricsF(font)
        pill = QRectF(0, 0, min(area.width() - 24, metrics.horizontalAdvance(self._replacing) + 32),
                      metrics.height() + 16)
        pill.moveCenter(area.center())
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor(12, 16, 22, 220))
        painter.drawRoundedRect(pill, 8, 8)
        painter.setPen(QColor(240, 244, 248))
        painter.drawText(pill, Qt.AlignmentFlag.AlignCenter,
                         metrics.elidedText(self._replacing, Qt.TextElideMode.ElideMiddle,
                                            pill.width() - 16))

    def _paint_drop_zone(self, painter: QPainter) -> None:
        zone = QRectF(self.rect()).adjusted(24, 24, -24, -24)
        pen = QPen(QColor(110, 118, 130), 2, Qt.PenStyle.DashLine)
        painter.setPen(pen)
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawRoundedRect(zone, 16, 16)
        title = QFont(painter.font())
        title.setPointSizeF(15)
        painter.setFont(title)
        painter.setPen(QColor(225, 229, 235))
        upper = QRectF(zone.left() + 20, zone.top(), zone.width() - 40, zone.height() / 2 + 10)
        painter.drawText(upper, Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignBottom
                         | Qt.TextFlag.TextWordWrap, DROP_HINT)
        hint = QFont(painter.font())
        hint.setPointSizeF(10)
        painter.setFont(hint)
        painter.setPen(QColor(150, 158, 170))
        lower = QRectF(zone.left() + 20, zone.center().y() + 22, zone.width() - 40, 60)
        painter.drawText(lower, Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop
                         | Qt.TextFlag.TextWordWrap, SHORTCUT_HINT)

    def mousePressEvent(self, event) -> None:
        """A click on a prediction row shows that class's heatmap."""
        rank = next((i for i, (rect, _text) in enumerate(self._rows)
                     if rect.contains(event.position())), None)
        if rank is not None:
            self.heat.choose(rank)
            self.update()
        super().mousePressEvent(event)

    def event(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.ToolTip and isinstance(event, QHelpEvent):
            label = next((text for rect, text in self._rows if rect.contains(event.pos())), None)
            if label:
                QToolTip.showText(event.globalPos(), label, self)
            else:
                QToolTip.hideText()
                event.ignore()
            return True
        return super().event(event)
