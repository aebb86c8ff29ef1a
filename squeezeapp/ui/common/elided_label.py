"""A one-line label that shortens its text with "…" instead of widening the window.

A plain QLabel asks for its whole text as its minimum width, so a long file name in the status bar
would stop the window from being made small (or be cut off mid-letter). This one asks for little,
shows as much as fits, and keeps the whole text in `text()`, its accessible name and its tooltip
(with a detail below it, such as the file a model's name stands for).

Why not superqt's QElidingLabel: its size hint is that of the text as elided now, so once a
narrow window has shortened it, a layout never hands the room back, and its minimum is the
ellipsis alone, so short texts ("Model: …") are shortened too.
"""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QPainter
from PySide6.QtWidgets import QLabel, QSizePolicy, QStyle, QStyleOptionFrame, QWidget

MIN_WIDTH = 140  # the least a long text shrinks to; a shorter one is never shortened
MAX_HINT = 320  # the most it asks for: a long text would otherwise squeeze its neighbours away


class ElidedLabel(QLabel):
    def __init__(self, text: str = "", mode: Qt.TextElideMode = Qt.TextElideMode.ElideRight,
                 parent: QWidget | None = None, max_hint: int = MAX_HINT,
                 min_width: int = MIN_WIDTH) -> None:
        super().__init__(text, parent)
        self.mode, self.max_hint, self.min_width = mode, max_hint, min_width
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Preferred)
        self.setText(text)

    def setText(self, text: str, detail: str = "") -> None:
        super().setText(text)
        self.setToolTip(f"{text}\n{detail}" if detail else text)
        self.updateGeometry()

    def sizeHint(self) -> QSize:
        """The whole text, up to `max_hint`: when the room is short, a layout takes the same
        amount from each label, so one long text must not make the others vanish."""
        hint = super().sizeHint()
        return QSize(min(hint.width(), self.max_hint), hint.height())

    def minimumSizeHint(self) -> QSize:
        hint = super().minimumSizeHint()  # the whole text
        return QSize(min(hint.width(), self.min_width), hint.height())

    def shown_text(self) -> str:
        """What is drawn now: the text, shortened with "…" to the width it has."""
        return self.fontMetrics().elidedText(self.text(), self.mode,
                                             max(0, self.contentsRect().width()))

    def paintEvent(self, event) -> None:
        painter = QPainter(self)
        option = QStyleOptionFrame()
        option.initFrom(self)
        self.style().drawPrimitive(QStyle.PrimitiveElement.PE_Widget, option, painter, self)
        painter.setPen(self.palette().color(self.foregroundRole()))
        flags = self.alignment().value | Qt.TextFlag.TextSingleLine.value
        painter.drawText(self.contentsRect(), flags, self.shown_text())
