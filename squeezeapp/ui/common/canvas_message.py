"""Messages on the canvas: every state the user must see, where they are looking.

`MessageBoard` holds what is to be shown, keyed by topic ("model", "source", "download", ...) and
level, so an informational message never replaces an error: both are kept, errors shown first.
An error stays until the user acts (a button, the ✕, or whatever its owner clears it on, such as
the next picture on screen). Every message is also logged with its time (View ▸ Messages).
`MessageArea` draws the board as cards over the frame view, with selectable text and buttons.
"""

from __future__ import annotations

import enum
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

logger = logging.getLogger(__name__)

MAX_CARDS = 3


class Level(enum.IntEnum):
    INFO = 0
    ERROR = 1


@dataclass(frozen=True)
class MessageAction:
    label: str
    run: Callable[[], None]
    enabled: bool = True  # False: shown greyed (e.g. Download while downloading)


@dataclass(frozen=True)
class CanvasMessage:
    topic: str
    level: Level
    title: str
    detail: str = ""
    actions: tuple[MessageAction, ...] = ()

    @property
    def text(self) -> str:
        return f"{self.title}\n{self.detail}".strip()

    @property
    def one_line(self) -> str:
        """The text on one line (status bar, log): its non-empty lines joined by dashes."""
        return " — ".join(line for line in self.text.splitlines() if line.strip())


@dataclass(frozen=True)
class LogEntry:
    time: float
    level: Level
    text: str

    def line(self) -> str:
        stamp = time.strftime("%H:%M:%S", time.localtime(self.time))
        mark = "⚠ " if self.level is Level.ERROR else ""
        return f"{stamp}  {mark}{self.text}"


class MessageBoard(QObject):
    changed = Signal()
    posted = Signal(object)  # CanvasMessage, also for the status bar

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self._shown: dict[tuple[str, Level], CanvasMessage] = {}
        self.log: list[LogEntry] = []

    def show(self, message: CanvasMessage) -> None:
        key = (message.topic, message.level)
        if self._shown.get(key) == message:
            return
        self._shown[key] = message
        self.note(message.level, message.one_line)
        self.posted.emit(message)
        self.changed.emit()

    def info(self, topic: str, title: str, detail: str = "",
             actions: tuple[MessageAction, ...] = ()) -> None:
        self.show(CanvasMessage(topic, Level.INFO, title, detail, actions))

    def error(self, topic: str, title: str, detail: str = "",
              actions: tuple[MessageAction, ...] = ()) -> None:
        self.show(CanvasMessage(topic, Level.ERROR, title, detail, actions))

    def note(self, level: Level, text: str) -> None:
        """Log without showing on the canvas (e.g. "Loaded squeezenet1.1")."""
        (logger.warning if level is Level.ERROR else logger.info)("%s", text)
        self.log.append(LogEntry(time.time(), level, text))

    def clear(self, topic: str, level: Level | None = None) -> None:
        keys = [k for k in self._shown if k[0] == topic and level in (None, k[1])]
        for key in keys:
            del self._shown[key]
        if keys:
            self.changed.emit()

    def clear_errors(self) -> None:
        """The next picture on screen: the errors shown over the one before are the past."""
        self.clear_level(Level.ERROR)

    def clear_level(self, level: Level) -> None:
        keys = [k for k in self._shown if k[1] is level]
        for key in keys:
            del self._shown[key]
        if keys:
            self.changed.emit()

    def shown(self, topic: str, level: Level) -> CanvasMessage | None:
        return self._shown.get((topic, level))

    def is_shown(self, message: CanvasMessage) -> bool:
        return self._shown.get((message.topic, message.level)) is message

    def dismiss(self, message: CanvasMessage) -> None:
        if self.is_shown(message):
            self.clear(message.topic, message.level)

    def current(self) -> list[CanvasMessage]:
        """What the canvas shows: errors first, newest first within a level."""
        newest_first = list(reversed(self._shown.values()))
        return sorted(newest_first, key=lambda m: -m.level)[:MAX_CARDS]


class CardButton(QPushButton):
    """A card's button, pressed from the keyboard with Space or Enter once Tab reaches it (the
    window's own Space, Pause, does not take the key from it)."""

    def __init__(self, text: str, parent: QWidget | None = None) -> None:
        super().__init__(text, parent)
        self.setAutoDefault(True)  # Enter presses it too

    def event(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.ShortcutOverride and isinstance(event, QKeyEvent) \
                and event.key() in (Qt.Key.Key_Space, Qt.Key.Key_Return, Qt.Key.Key_Enter):
            event.accept()
            return True
        return super().event(event)


class _Card(QFrame):
    def __init__(self, board: MessageBoard, message: CanvasMessage, parent: QWidget) -> None:
        super().__init__(parent)
        error = message.level is Level.ERROR
        self.setObjectName("error-card" if error else "info-card")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        accent = "#e5484d" if error else "#3daee9"
        self.setStyleSheet(
            f"QFrame#{self.objectName()} {{ background: rgb(22, 27, 34);"
            f" border: 1px solid {accent}; border-left: 4px solid {accent}; border-radius: 8px; }}"
            " QLabel { color: #eef2f6; background: transparent; border: none; }"
            " QLabel#detail { color: #c4ccd6; }"
            " QPushButton { color: #eef2f6; background: #2b333e; border: 1px solid #4b5665;"
            " border-radius: 5px; padding: 5px 14px; }"
            " QPushButton:hover { background: #36414f; }"
            " QPushButton#dismiss { border: none; background: transparent; color: #aab4c0;"
            " padding: 0; font-size: 15px; }")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(14, 10, 10, 10)
        top = QHBoxLayout()
        title = QLabel(message.title)
        title.setObjectName("title")
        font = title.font()
        font.setBold(True)
        font.setPointSizeF(font.pointSizeF() * 1.1)
        title.setFont(font)
        title.setWordWrap(True)
        title.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        top.addWidget(title, 1)
        if error:
            close = CardButton("✕")
            close.setObjectName("dismiss")
            close.setToolTip("Dismiss")
            close.setAccessibleName("Dismiss")
            close.setFixedWidth(28)
            close.clicked.connect(lambda: board.dismiss(message))
            top.addWidget(close, 0, Qt.AlignmentFlag.AlignTop)
        layout.addLayout(top)
        if message.detail:
            detail = QLabel(message.detail)
            detail.setObjectName("detail")
            detail.setWordWrap(True)
            detail.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse
                                           | Qt.TextInteractionFlag.TextSelectableByKeyboard)
            detail.setCursor(Qt.CursorShape.IBeamCursor)
            layout.addWidget(detail)
        if message.actions:
            buttons = QHBoxLayout()
            buttons.addStretch(1)
            for action in message.actions:
                button = CardButton(action.label)
                button.setEnabled(action.enabled)
                button.clicked.connect(action.run)
                buttons.addWidget(button)
            layout.addLayout(buttons)


class MessageArea(QWidget):
    """The cards, stacked; the frame view places this widget and keeps it on top."""

    def __init__(self, board: MessageBoard, parent: QWidget) -> None:
        super().__init__(parent)
        self.setObjectName("canvas-messages")
        self.board = board
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Minimum)
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self._layout.setSpacing(8)
        board.changed.connect(self.refresh)
        self.refresh()

    def refresh(self) -> None:
        while (item := self._layout.takeAt(0)) is not None:
            if (widget := item.widget()) is not None:
                widget.hide()
                widget.deleteLater()
        messages = self.board.current()
        for message in messages:
            card = _Card(self.board, message, self)
            self._layout.addWidget(card)
            card.show()  # now, not when the layout gets round to it
        self.setVisible(bool(messages))
        if (parent := self.parentWidget()) is not None:
            parent.update()

    def texts(self) -> list[str]:
        """Every text the cards show, as the user reads it (titles, details, buttons)."""
        return [w.text() for w in self.findChildren(QWidget)
                if isinstance(w, QLabel | QPushButton) and w.isVisibleTo(self)
                and w.text() != "✕"]

    def button(self, text: str) -> QPushButton | None:
        return next((b for b in self.findChildren(QPushButton)
                     if b.text() == text and b.isVisibleTo(self)), None)


class MessagesDialog(QDialog):
    """View ▸ Messages: this session's messages with their times."""

    def __init__(self, board: MessageBoard, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("messages-dialog")
        self.setWindowTitle("Messages")
        self.resize(640, 360)
        layout = QVBoxLayout(self)
        self.list = QListWidget(self)
        self.list.setWordWrap(True)
        self.list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.list.addItems([entry.line() for entry in board.log] or ["No messages yet"])
        self.list.scrollToBottom()
        layout.addWidget(self.list)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, parent=self)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
