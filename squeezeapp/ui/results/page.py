"""Which page the window shows: the single picture, or the results of a folder or many files.

Several images (a folder, a multi-file drop or open) are classified as a batch into the results
view; Enter or a double-click there opens that picture in the single view, and Esc goes back.
One job: switching pages and (re)starting the batch when the images or the model change.
"""

from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QStackedWidget, QWidget

from squeezeapp.core.batch.result_cache import ResultCache
from squeezeapp.core.imaging.scan import ImageScan
from squeezeapp.core.inference.classifier import SessionSettings
from squeezeapp.ui.results.view import ResultsView

logger = logging.getLogger(__name__)

PICTURE_PAGE, RESULTS_PAGE = 0, 1


class ResultsPage(QObject):
    """Owns the stacked pages and the results view; the window wires menus and sources."""

    openRequested = Signal(list, int)  # the batch's images and the index to show singly
    pageChanged = Signal(bool)  # True: the results view is showing

    def __init__(self, picture: QWidget, parent: QWidget) -> None:
        super().__init__(parent)
        self.stack = QStackedWidget(parent)
        self.stack.addWidget(picture)
        self.view = ResultsView(ResultCache(), self.stack)
        self.stack.addWidget(self.view)
        self.paths: list[Path] = []
        self._model: str | None = None
        self._settings: SessionSettings | None = None
        self.view.openRequested.connect(self._open_single)
        self.view.closeRequested.connect(self.back_to_picture)
        self._picture_chosen = True  # False from a batch's start until a picture is opened

    @property
    def showing_results(self) -> bool:
        return self.stack.currentIndex() == RESULTS_PAGE

    @property
    def has_results(self) -> bool:
        return bool(self.paths)

    def show_batch(self, paths: list[Path], model: str | None,
                   settings: SessionSettings | None, left_out: ImageScan | None = None) -> None:
        """Classify `paths` in the background and show the results view, with one line for
        what the folders or the drop held besides pictures."""
        self.paths = list(paths)
        self._model, self._settings = model, settings
        self._picture_chosen = False  # the picture view stays empty until one is asked for
        self.view.back_button.hide()  # nothing to go back to (Esc still opens the current row)
        self.view.start(self.paths, model, settings)
        self.view.set_left_out(left_out or ImageScan())
        self.show_results()

    def model_changed(self, model: str | None, settings: SessionSettings | None) -> None:
        """Re-classify the batch with the model now loaded (cached results come back at once)."""
        if self.paths and (model, settings) != (self._model, self._settings):
            self._model, self._settings = model, settings
            self.view.start(self.paths, model, settings)

    def forget(self) -> None:
        """A single picture, a video or a camera replaced the batch."""
        if self.paths:
            self.view.cancel()
            self.paths = []
        self.show_picture()

    def show_results(self) -> None:
        if self.paths:
            self._switch(RESULTS_PAGE)

    def show_picture(self) -> None:
        self._switch(PICTURE_PAGE)

    def back_to_picture(self) -> None:
        """Esc / Back to Picture: the picture last opened; after a new batch, the selected row
        (else the first readable result), opened now, as Enter would."""
        if self._picture_chosen or not self.paths:
            self.show_picture()
        elif (path := self.view.path_to_open()) is not None:
            self._open_single(str(path))

    def _switch(self, page: int) -> None:
        if self.stack.currentIndex() != page:
            self.stack.setCurrentIndex(page)
            self.pageChanged.emit(page == RESULTS_PAGE)
        focus = self.view.current_view if page == RESULTS_PAGE else self.stack.widget(0)
        if focus is not None:
            focus.setFocus()

    def _open_single(self, path: str) -> None:
        """Open one result in the picture view; ←/→ then walk the rows in the order, and with
        the filter, that the table shows (falling back to the batch's order)."""
        self._picture_chosen = True
        self.view.back_button.show()
        chosen = Path(path)
        shown = self.view.shown_paths()
        order = shown if chosen in shown else self.paths
        index = order.index(chosen) if chosen in order else 0
        self.show_picture()
        self.openRequested.emit(order, index)

    def shutdown(self, timeout_s: float = 2.0) -> None:
        self.view.shutdown(timeout_s)
