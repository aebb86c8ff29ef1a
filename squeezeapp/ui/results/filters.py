"""Which results the views show, and in what order: text and confidence filters, sort keys."""

from __future__ import annotations

from typing import cast

from PySide6.QtCore import QSortFilterProxyModel

from squeezeapp.core.batch.pipeline import FileResult
from squeezeapp.ui.results.table_model import SORT_ROLE, ResultsModel


class ResultsFilter(QSortFilterProxyModel):
    """Rows whose top-1 label or file name contains the text, at or above a confidence.

    With a confidence threshold above 0, rows without a confidence (pending or failed) are hidden.
    """

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self._text = ""
        self._min_confidence = 0.0
        self.setSortRole(SORT_ROLE)
        self.setDynamicSortFilter(True)

    @property
    def text(self) -> str:
        return self._text

    @property
    def min_confidence(self) -> float:
        return self._min_confidence

    def set_text(self, text: str) -> None:
        self._refilter(text=text.strip().lower())

    def set_min_confidence(self, value: float) -> None:
        self._refilter(min_confidence=max(0.0, min(1.0, value)))

    def _refilter(self, **changes) -> None:
        # Qt 6.10 replaced invalidateRowsFilter() (now deprecated) with begin/endFilterChange
        modern = hasattr(self, "beginFilterChange")
        if modern:
            self.beginFilterChange()
        self._text = changes.get("text", self._text)
        self._min_confidence = changes.get("min_confidence", self._min_confidence)
        if modern:
            self.endFilterChange(QSortFilterProxyModel.Direction.Rows)
        else:
            self.invalidateRowsFilter()

    def filterAcceptsRow(self, source_row: int, source_parent) -> bool:
        if not self._text and self._min_confidence <= 0:
            return True  # called for every row of a new batch: 10,000 calls from C++
        model = cast(ResultsModel, self.sourceModel())  # set once, by the results view
        result: FileResult | None = model.result(source_row)
        top = result.classification.top if result and result.classification else None
        if self._min_confidence > 0 and (top is None or top.probability < self._min_confidence):
            return False
        if not self._text:
            return True
        label = top.label.lower() if top else ""
        return self._text in label or self._text in model.name(source_row).lower()
