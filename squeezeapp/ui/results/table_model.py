"""The results of a batch as a Qt table model: one row per file, filled in as results arrive.

All rows exist from the start (file names shown at once, "…" until classified), so that arriving
results only change rows in place: one `dataChanged` per chunk, never a reset, and the views stay
where the user scrolled. Thumbnails come from a `ThumbnailCache` on demand (only visible items ask).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from enum import IntEnum
from pathlib import Path

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QColor

from squeezeapp.core.batch.pipeline import FileResult
from squeezeapp.ui.common.percent_text import percent_text
from squeezeapp.ui.common.view_options import DEFAULT_UNSURE_THRESHOLD
from squeezeapp.ui.results.thumbnails import ThumbnailCache

_Index = QModelIndex | QPersistentModelIndex


class Column(IntEnum):
    FILE = 0
    LABEL = 1
    CONFIDENCE = 2
    ERROR = 3


HEADERS = {Column.FILE: "File", Column.LABEL: "Top-1 label", Column.CONFIDENCE: "Confidence",
           Column.ERROR: "Error"}
SORT_ROLE = Qt.ItemDataRole.UserRole + 1  # a value that sorts right (numbers as numbers)
RESULT_ROLE = Qt.ItemDataRole.UserRole + 2  # the FileResult, or None while pending
PATH_ROLE = Qt.ItemDataRole.UserRole + 3  # the file's path as str
THUMBNAIL_ROLE = Qt.ItemDataRole.UserRole + 4  # QPixmap, aspect kept (DecorationRole: a QIcon)
PENDING = "…"
NOT_CLASSIFIED = "not classified"  # a cancelled batch's rows it never reached
UNSURE_COLOUR = QColor(196, 120, 0)  # darker than the overlay's amber: legible on white
ERROR_COLOUR = QColor(200, 50, 45)


def top5_tooltip(result: FileResult) -> str:
    """The hover text: the path, then each prediction with its percentage, or the error."""
    if result.classification is None:
        return f"{result.path}\n{result.error}"
    lines = [str(result.path), *(f"{p.rank}. {p.name}  {percent_text(p.probability)}"
                                 for p in result.classification.predictions)]
    return "\n".join(lines)


class ResultsModel(QAbstractTableModel):
    def __init__(self, thumbnails: ThumbnailCache | None = None, parent=None) -> None:
        super().__init__(parent)
        self._paths: list[Path] = []
        self._names: list[str | None] = []  # made when first asked for (10,000: ~10 ms)
        self._results: list[FileResult | None] = []
        # the rows that asked for each thumbnail (only painted ones ask, so this stays small);
        # int tuples: not tracked by the GC
        self._row_of: dict[str, tuple[int, ...]] = {}
        self._done = 0
        self._failed = 0
        self.thumbnails = thumbnails
        self.unsure_threshold = DEFAULT_UNSURE_THRESHOLD  # ViewOptions.unsure_threshold
        if thumbnails is not None:
            thumbnails.thumbnailReady.connect(self._on_thumbnail)

    # --- filling ----------------------------------------------------------------------------
    def set_paths(self, paths: Sequence[Path]) -> None:
        """Start over with these files, all pending."""
        self.beginResetModel()
        self._paths = [p if isinstance(p, Path) else Path(p) for p in paths]
        self._names = [None] * len(self._paths)
        self._results = [None] * len(self._paths)
        self._row_of = {}
        self._done = self._failed = 0
        self.stopped = False  # cancelled: the rows still pending will not be classified
        self.endResetModel()

    def set_stopped(self, stopped: bool) -> None:
        """Cancelled (or resumed): the pending rows say "not classified" (or "…" again)."""
        if stopped != self.stopped:
            self.stopped = stopped
            if self._paths:
                self.dataChanged.emit(self.index(0, 0),
                                      self.index(len(self._paths) - 1, len(Column) - 1))

    def apply(self, chunk: Iterable[tuple[int, FileResult]]) -> None:
        """Store results by row; one dataChanged for the span they cover."""
        first, last = len(self._results), -1
        for row, result in chunk:
            if not 0 <= row < len(self._results):
                continue
            previous = self._results[row]
            if previous is None:
                self._done += 1
            elif not previous.ok:
                self._failed -= 1
            self._failed += not result.ok
            self._results[row] = result
            first, last = min(first, row), max(last, row)
        if last >= 0:
            self.dataChanged.emit(self.index(first, 0), self.index(last, len(Column) - 1))

    # --- reading ----------------------------------------------------------------------------
    @property
    def total(self) -> int:
        return len(self._paths)

    @property
    def done(self) -> int:
        return self._done

    @property
    def failed(self) -> int:
        return self._failed

    @property
    def paths(self) -> list[Path]:
        return list(self._paths)

    def name(self, row: int) -> str:
        name = self._names[row]
        if name is None:
            name = self._names[row] = self._paths[row].name
        return name

    def result(self, row: int) -> FileResult | None:
        return self._results[row] if 0 <= row < len(self._results) else None

    def finished_results(self, rows: Iterable[int] | None = None) -> list[FileResult]:
        """Completed results in input order (the CLI's order), optionally only of `rows`."""
        wanted = range(len(self._results)) if rows is None else sorted(set(rows))
        return [r for r in (self._results[row] for row in wanted) if r is not None]

    # --- QAbstractTableModel ----------------------------------------------------------------
    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._paths)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(Column)

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole):
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return HEADERS.get(Column(section)) if 0 <= section < len(Column) else None
        if orientation == Qt.Orientation.Horizontal and \
                role == Qt.ItemDataRole.InitialSortOrderRole and section == Column.CONFIDENCE:
            return Qt.SortOrder.DescendingOrder  # the first click shows the surest first
        return None

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        row, column = index.row(), Column(index.column())
        result = self._results[row]
        if role == Qt.ItemDataRole.DisplayRole:
            return self._display(row, column, result)
        if role == SORT_ROLE:
            return self._sort_key(row, column, result)
        if role == Qt.ItemDataRole.ToolTipRole:
            return top5_tooltip(result) if result is not None else \
                f"{self._paths[row]}\n{NOT_CLASSIFIED if self.stopped else 'waiting'}"
        if role == RESULT_ROLE:
            return result
        if role == PATH_ROLE:
            return str(self._paths[row])
        if role == Qt.ItemDataRole.ForegroundRole and column != Column.LABEL:
            return self._foreground(result, column)
        if role == Qt.ItemDataRole.TextAlignmentRole and column == Column.CONFIDENCE:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role in (Qt.ItemDataRole.DecorationRole, THUMBNAIL_ROLE) and column == Column.FILE \
                and self.thumbnails:
            made = self.thumbnails.get(self._paths[row])
            if made is None:
                key = str(self._paths[row])
                rows = self._row_of.get(key, ())
                if row not in rows:
                    self._row_of[key] = (*rows, row)
                return None
            return made.icon if role == Qt.ItemDataRole.DecorationRole else made.pixmap
        return None

    def _foreground(self, result: FileResult | None, column: Column) -> QColor | None:
        """Red for an unreadable file; an unsure confidence in amber (as the overlay marks it)."""
        if result is None:
            return None
        if result.classification is None:
            return ERROR_COLOUR
        return UNSURE_COLOUR if column == Column.CONFIDENCE and self.unsure(result) else None

    def unsure(self, result: FileResult) -> bool:
        top = result.classification.top if result.classification else None
        return top is not None and top.probability < self.unsure_threshold

    def _display(self, row: int, column: Column, result: FileResult | None) -> str:
        if column == Column.FILE:
            return self.name(row)
        if result is None:
            if column == Column.ERROR:
                return ""
            return NOT_CLASSIFIED if self.stopped and column == Column.LABEL else PENDING
        classification = result.classification
        if column == Column.LABEL:
            return classification.top.name if classification else ""
        if column == Column.CONFIDENCE:
            return percent_text(classification.top.probability) if classification else ""
        return result.error or ""

    def _sort_key(self, row: int, column: Column, result: FileResult | None):
        if column == Column.FILE:
            return self.name(row).lower()
        if column == Column.CONFIDENCE:
            if result is None or result.classification is None:
                return -1.0
            return result.classification.top.probability
        return self._display(row, column, result).lower()

    def _on_thumbnail(self, path: str) -> None:
        for row in self._row_of.pop(path, ()):
            index = self.index(row, Column.FILE)
            self.dataChanged.emit(index, index, [Qt.ItemDataRole.DecorationRole])
