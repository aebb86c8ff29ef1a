"""The two item views of the results: a table of rows and a grid of thumbnails."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QModelIndex, QRectF, QSize, Qt
from PySide6.QtGui import QFont, QKeyEvent, QPainter, QPalette
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QListView,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTableView,
)

from squeezeapp.core.batch.pipeline import FileResult
from squeezeapp.ui.common.percent_text import percent_text
from squeezeapp.ui.results.table_model import (
    ERROR_COLOUR,
    NOT_CLASSIFIED,
    RESULT_ROLE,
    THUMBNAIL_ROLE,
    Column,
)

GRID_CELL = QSize(176, 196)
THUMBNAIL_HEIGHT = 136.0  # of a grid cell's picture area
NAVIGATION_KEYS = frozenset({Qt.Key.Key_Home, Qt.Key.Key_End, Qt.Key.Key_PageUp,
                             Qt.Key.Key_PageDown, Qt.Key.Key_Up, Qt.Key.Key_Down,
                             Qt.Key.Key_Left, Qt.Key.Key_Right})


def claims_navigation_key(event: QEvent) -> bool:
    """Accept a ShortcutOverride for the list-moving keys (with Shift or Ctrl too), so that a
    window shortcut on the same key (← → Home End browse images) never takes them from a list
    that has the focus."""
    if (event.type() == QEvent.Type.ShortcutOverride and isinstance(event, QKeyEvent)
            and event.key() in NAVIGATION_KEYS
            and not event.modifiers() & Qt.KeyboardModifier.AltModifier):
        event.accept()
        return True
    return False


class ResultsTable(QTableView):
    """Rows are what is selected here, so Home and End go to the first and last row (a plain
    QTableView moves to the first and last column), and Tab leaves the table instead of walking
    its cells (Ctrl+Tab, Qt's way out, is taken by the overlay's corner shortcut)."""

    def __init__(self, model, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("results-table")
        self.setModel(model)
        self.setSortingEnabled(True)
        self.sortByColumn(-1, Qt.SortOrder.AscendingOrder)  # input order until asked
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setTabKeyNavigation(False)
        self.setAlternatingRowColors(True)
        self.setWordWrap(False)
        self.setTextElideMode(Qt.TextElideMode.ElideMiddle)  # keeps the extension
        self.setIconSize(QSize(28, 28))
        self.verticalHeader().setVisible(False)
        self.verticalHeader().setDefaultSectionSize(32)
        # The confidence is the key number: it always fits; the file name and the error share
        # what is left, so a narrow window (640 px) shortens names, never the percentage.
        header = self.horizontalHeader()
        header.setStretchLastSection(False)
        header.setMinimumSectionSize(60)
        modes = {Column.FILE: QHeaderView.ResizeMode.Stretch,
                 Column.LABEL: QHeaderView.ResizeMode.Interactive,
                 Column.CONFIDENCE: QHeaderView.ResizeMode.Fixed,  # not ResizeToContents:
                 Column.ERROR: QHeaderView.ResizeMode.Stretch}  # that re-measures 10,000 rows
        for column, mode in modes.items():
            header.setSectionResizeMode(column, mode)
        header.resizeSection(Column.LABEL, 200)
        metrics = header.fontMetrics()
        header.resizeSection(Column.CONFIDENCE, 28 + max(
            metrics.horizontalAdvance("Confidence ▾"), metrics.horizontalAdvance("100.0 %")))

    def event(self, event: QEvent) -> bool:
        return claims_navigation_key(event) or super().event(event)

    def moveCursor(self, action: QAbstractItemView.CursorAction,
                   modifiers: Qt.KeyboardModifier) -> QModelIndex:
        if action in (QAbstractItemView.CursorAction.MoveHome,
                      QAbstractItemView.CursorAction.MoveEnd):
            modifiers |= Qt.KeyboardModifier.ControlModifier
        return super().moveCursor(action, modifiers)


class GridDelegate(QStyledItemDelegate):
    """A grid cell: the thumbnail, then the top-1 name with its confidence, then the file name."""

    def sizeHint(self, option, index) -> QSize:
        return GRID_CELL

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index) -> None:
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        rect = QRectF(option.rect).adjusted(4, 4, -4, -4)
        palette = option.palette
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        if selected:
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(palette.color(QPalette.ColorRole.Highlight))
            painter.drawRoundedRect(rect, 6, 6)
        image_area = QRectF(rect.left() + 6, rect.top() + 6, rect.width() - 12,
                            THUMBNAIL_HEIGHT)
        pixmap = index.data(THUMBNAIL_ROLE)
        if pixmap is not None:
            size = pixmap.size().toSizeF().scaled(image_area.size(),
                                                         Qt.AspectRatioMode.KeepAspectRatio)
            target = QRectF(0, 0, size.width(), size.height())
            target.moveCenter(image_area.center())
            painter.drawPixmap(target, pixmap, QRectF(pixmap.rect()))
        else:
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(palette.color(QPalette.ColorRole.AlternateBase))
            painter.drawRoundedRect(image_area, 4, 4)
        result: FileResult | None = index.data(RESULT_ROLE)
        text_role = (QPalette.ColorRole.HighlightedText if selected else QPalette.ColorRole.Text)
        line = QRectF(rect.left() + 4, image_area.bottom() + 4, rect.width() - 8, 20)
        bold = QFont(option.font)
        bold.setBold(True)
        painter.setFont(bold)
        if result is None:
            painter.setPen(palette.color(QPalette.ColorRole.PlaceholderText))
            waiting = index.sibling(index.row(), Column.LABEL).data() != NOT_CLASSIFIED
            title = "classifying…" if waiting else NOT_CLASSIFIED
        elif result.classification is None:
            painter.setPen(ERROR_COLOUR)
            title = "unreadable"
        else:  # the name gives way to the confidence, which always shows in full
            top = result.classification.top
            percent = f"  {percent_text(top.probability)}"
            metrics = painter.fontMetrics()
            room = int(line.width() - metrics.horizontalAdvance(percent))
            name = metrics.elidedText(top.name, Qt.TextElideMode.ElideRight, room)
            used = metrics.horizontalAdvance(name + percent)
            start = line.left() + (line.width() - used) / 2
            painter.setPen(palette.color(text_role))
            painter.drawText(QRectF(start, line.top(), used, line.height()),
                             Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, name)
            unsure = index.sibling(index.row(), Column.CONFIDENCE).data(
                Qt.ItemDataRole.ForegroundRole)
            if unsure is not None and not selected:
                painter.setPen(unsure)
            painter.drawText(QRectF(start, line.top(), used, line.height()),
                             Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, percent)
            title = ""
        if title:
            metrics = painter.fontMetrics()
            painter.drawText(line, Qt.AlignmentFlag.AlignCenter, metrics.elidedText(
                title, Qt.TextElideMode.ElideRight, int(line.width())))
        painter.setFont(option.font)
        painter.setPen(palette.color(QPalette.ColorRole.PlaceholderText if not selected
                                     else text_role))
        name = index.data(Qt.ItemDataRole.DisplayRole) or ""
        line.translate(0, 18)
        painter.drawText(line, Qt.AlignmentFlag.AlignCenter, painter.fontMetrics().elidedText(
            name, Qt.TextElideMode.ElideMiddle, int(line.width())))
        painter.restore()


class ResultsGrid(QListView):
    """Thumbnails in a grid; lays out in batches so that 10,000 items never block a paint."""

    def __init__(self, model, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("results-grid")
        self.setModel(model)
        self.setViewMode(QListView.ViewMode.IconMode)
        self.setResizeMode(QListView.ResizeMode.Adjust)
        self.setMovement(QListView.Movement.Static)
        self.setUniformItemSizes(True)
        self.setLayoutMode(QListView.LayoutMode.Batched)
        self.setBatchSize(500)
        self.setGridSize(GRID_CELL)
        self.setSpacing(0)
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setItemDelegate(GridDelegate(self))

    def event(self, event: QEvent) -> bool:
        return claims_navigation_key(event) or super().event(event)
