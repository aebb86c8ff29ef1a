"""A tool button that opens its menu at once, with room of its own for the menu's arrow.

Qt draws such a button's arrow in its bottom-right corner, over a label centred in the whole
button, and does not widen the button for it: with the Fusion style the arrow ran into the last
letter of "Export". This one asks for the arrow's width beside the label's and centres the label
in the rest, so the two never meet, whatever the font size.
"""

from __future__ import annotations

from PySide6.QtCore import QSize
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QStyle, QStyleOptionToolButton, QStylePainter, QToolButton, QWidget


class MenuButton(QToolButton):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)

    def _arrow_room(self) -> int:
        if self.menu() is None:
            return 0
        option = QStyleOptionToolButton()
        self.initStyleOption(option)
        return self.style().pixelMetric(QStyle.PixelMetric.PM_MenuButtonIndicator, option, self)

    def sizeHint(self) -> QSize:  # QToolButton's minimumSizeHint is its sizeHint
        hint = super().sizeHint()
        return QSize(hint.width() + self._arrow_room(), hint.height())

    def paintEvent(self, _event) -> None:
        painter = QStylePainter(self)
        option = QStyleOptionToolButton()
        self.initStyleOption(option)
        label = QStyleOptionToolButton(option)
        option.text, option.icon = "", QIcon()
        painter.drawComplexControl(QStyle.ComplexControl.CC_ToolButton, option)  # frame, arrow
        label.rect = self.rect().adjusted(0, 0, -self._arrow_room(), 0)
        painter.drawControl(QStyle.ControlElement.CE_ToolButtonLabel, label)
