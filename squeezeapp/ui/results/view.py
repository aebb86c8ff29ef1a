"""The results view for folders and many files: a sortable, filterable table and a thumbnail grid
over one model, filled in the background, with progress, export, copy and "Sort into folders".

Integration (what a window does with it):

    results = ResultsView(cache)                      # one ResultCache for the app's lifetime
    results.openRequested.connect(show_single_picture)  # path (str): Enter / double-click
    results.closeRequested.connect(back_to_picture)     # Esc
    results.start(paths, model_path, session_settings)  # again on a model switch
    results.set_unsure_threshold(view_options.unsure_threshold)
    ...
    results.shutdown()                                # in closeEvent (bounded waits)
"""

from __future__ import annotations

import html
import logging
import time
from collections.abc import Sequence
from pathlib import Path

from PySide6.QtCore import (
    QModelIndex,
    QPersistentModelIndex,
    QSettings,
    Qt,
    QUrl,
    Signal,
)
from PySide6.QtGui import QAction, QDesktopServices, QGuiApplication, QKeySequence, QPalette
from PySide6.QtWidgets import (
    QAbstractItemView,
    QButtonGroup,
    QDoubleSpinBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMenu,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QStackedWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from squeezeapp.core.batch.formats import FILE_FORMATS
from squeezeapp.core.batch.label_folders import SortSummary, copy_into_label_folders
from squeezeapp.core.batch.pipeline import CHANGED_ON_DISK, FileResult
from squeezeapp.core.batch.result_cache import ResultCache
from squeezeapp.core.batch.xmp import SidecarNaming, SidecarResult, tag_results, untag_photos
from squeezeapp.core.batch.xmp import describe as describe_sidecars
from squeezeapp.core.common.files import describe_os_error
from squeezeapp.core.imaging.scan import ImageScan, describe_left_out
from squeezeapp.core.inference.classifier import SessionSettings
from squeezeapp.ui.common.file_dialogs import DialogFolders, ask_export_file, ask_sort_folder
from squeezeapp.ui.common.jobs import Job, JobContext, let_threads_leave, run_job, wait_for
from squeezeapp.ui.common.menu_button import MenuButton
from squeezeapp.ui.results.export import (
    export_format_for,
    export_results,
    rows_as_text,
)
from squeezeapp.ui.results.filters import ResultsFilter
from squeezeapp.ui.results.item_views import ResultsGrid, ResultsTable
from squeezeapp.ui.results.job import Chunk, JobSummary, ResultsJob
from squeezeapp.ui.results.table_model import (
    ERROR_COLOUR,
    PATH_ROLE,
    RESULT_ROLE,
    Column,
    ResultsModel,
)
from squeezeapp.ui.results.tags import TagSettings, WriteTagsDialog
from squeezeapp.ui.results.thumbnails import THUMBNAIL_PX, ThumbnailCache

logger = logging.getLogger(__name__)

EXPORT_JOB, SORT_JOB = "export", "sort into folders"
TAGS_JOB = "tags"
EXIT_GRACE_S = 0.1


class ResultsView(QWidget):
    openRequested = Signal(str)  # a file's path: Enter or double-click on its row or cell
    closeRequested = Signal()  # Esc: back to the single-picture view
    finished = Signal(object)  # JobSummary, when a batch ends (also when cancelled)
    errorShown = Signal(str)  # a failure the view shows (and keeps) in its status line
    exported = Signal(str, int)  # path written, results in it
    sortFinished = Signal(object)  # SortSummary
    tagsFinished = Signal(str)  # "Wrote tags to 100 sidecars", when Write/Remove Tags ends
    # Add to Class ▸ a class of the open teach project: its name and the selected files (the
    # window hands them to the teach panel; the results view knows nothing of teaching)
    addToClassRequested = Signal(str, list)

    def __init__(self, cache: ResultCache | None = None, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("results-view")
        self.setAccessibleName("Results view")  # also where its keys work (Keyboard Shortcuts)
        # thumbnails as sharp as the screen: a 2× screen draws a cell with twice the pixels
        screen = QGuiApplication.primaryScreen()
        ratio = screen.devicePixelRatio() if screen is not None else 1.0
        self.thumbnails = ThumbnailCache(size=round(THUMBNAIL_PX * max(1.0, ratio)), parent=self)
        self.model = ResultsModel(self.thumbnails, self)
        self.proxy = ResultsFilter(self)
        self.proxy.setSourceModel(self.model)
        self.job = ResultsJob(cache, self)
        self.job.chunkReady.connect(self._on_chunk)
        self.job.finished.connect(self._on_finished)
        self.job.failed.connect(self._on_failed)
        self.job.modelReady.connect(self._on_model_ready)
        self.show_summaries = True  # dialogs after "Sort into folders" (tests turn them off)
        self.dialog_folders = DialogFolders()  # the window hands over the app's remembered ones
        self.settings_store: QSettings | None = None  # the app's settings (Write Tags' choices)
        self.tags_note = ""  # the last Write/Remove Tags outcome, in the status line
        self.tags_dialog: WriteTagsDialog | None = None
        self._tag_settings: TagSettings | None = None  # chosen in this run (else the stored)
        self.tags_box: QMessageBox | None = None
        self.last_summary: JobSummary | None = None
        self.error = ""
        self.summary_box: QMessageBox | None = None
        self._started = 0.0
        self._model_ready_at: float | None = None
        self._classified = 0
        self._tasks: list[Job] = []  # export and sort jobs started and maybe still running
        self._build()
        self.model.dataChanged.connect(self._update_status)
        self.proxy.rowsInserted.connect(self._update_status)
        self.proxy.rowsRemoved.connect(self._update_status)
        self.proxy.modelReset.connect(self._update_status)
        self.proxy.layoutChanged.connect(self._update_status)
        self.filter_edit.textChanged.connect(self._update_status)  # after the proxy's own slot
        self.confidence_spin.valueChanged.connect(self._update_status)

    # --- layout -----------------------------------------------------------------------------
    def _build(self) -> None:
        self.filter_edit = QLineEdit(self)
        self.filter_edit.setPlaceholderText("Filter by label or file name")
        self.filter_edit.setClearButtonEnabled(True)
        self.filter_edit.setAccessibleName("Filter")
        self.filter_edit.setMinimumWidth(200)  # its hint stays readable in a 640-px window
        self.filter_edit.textChanged.connect(self.proxy.set_text)
        self.confidence_spin = QDoubleSpinBox(self)
        self.confidence_spin.setRange(0, 100)
        self.confidence_spin.setDecimals(0)
        self.confidence_spin.setSingleStep(5)
        self.confidence_spin.setSuffix(" %")
        self.confidence_spin.setPrefix("≥ ")
        self.confidence_spin.setAccessibleName("Minimum confidence")
        self.confidence_spin.setToolTip("Show only results whose top-1 confidence is at least this")
        self.confidence_spin.valueChanged.connect(
            lambda value: self.proxy.set_min_confidence(value / 100))

        self.table = ResultsTable(self.proxy, self)
        self.table.setAccessibleName("Results table")
        self.table.activated.connect(self._open_index)  # a double-click (Enter: open_action)

        self.grid = ResultsGrid(self.proxy, self)
        self.grid.setAccessibleName("Results thumbnails")
        self.grid.activated.connect(self._open_index)
        # one selection for both views: what is selected in the grid is selected in the table
        self.grid.setSelectionModel(self.table.selectionModel())

        self.pages = QStackedWidget(self)
        self.pages.addWidget(self.table)
        self.pages.addWidget(self.grid)
        self.table_button = QToolButton(self)
        self.table_button.setText("Table")
        self.table_button.setCheckable(True)
        self.table_button.setChecked(True)
        self.grid_button = QToolButton(self)
        self.grid_button.setText("Thumbnails")
        self.grid_button.setCheckable(True)
        switch = QButtonGroup(self)
        for page, button in enumerate((self.table_button, self.grid_button)):
            switch.addButton(button, page)
        switch.idClicked.connect(self.show_page)

        # Enter opens the current result from either list, not from the filter being typed
        self.open_action = QAction("&Open Selected Result", self)
        self.open_action.setShortcuts([QKeySequence(Qt.Key.Key_Return),
                                       QKeySequence(Qt.Key.Key_Enter)])
        self.open_action.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
        self.open_action.triggered.connect(
            lambda: self._open_index(self.current_view.currentIndex()))
        self.table.addAction(self.open_action)
        self.grid.addAction(self.open_action)
        self.copy_action = self._action("&Copy Rows", self.copy_selection,
                                        QKeySequence.StandardKey.Copy)
        self.back_action = self._action("&Back to Picture", self.closeRequested.emit,
                                        Qt.Key.Key_Escape)
        self.export_actions = {  # one per file format of core.batch.formats, in its order
            name: self._action(f"Export {format.title}…",
                               lambda _=False, name=name: self.choose_export(name))
            for name, format in FILE_FORMATS.items()}
        self.sort_action = self._action("&Sort into Folders…", self.choose_sort_folder)
        self.write_tags_action = self._action("&Write Tags…", self.choose_write_tags)
        self.remove_tags_action = self._action("&Remove Tags…", self.choose_remove_tags)
        for action in (self.write_tags_action, self.remove_tags_action):
            action.setToolTip("Labels as keywords in XMP sidecars, where photo managers "
                              "(darktable, digiKam, Lightroom, Immich) read them")
        # Add to Class ▸ each class of the open teach project (set_teach_classes fills it)
        self.add_to_class_menu = QMenu("Add to &Class", self)
        self.add_to_class_menu.setToolTip("Add the selected pictures as examples of a class of "
                                          "the teach project")
        self.add_to_class_action = self.add_to_class_menu.menuAction()
        self._teach_classes: list[str] = []
        for list_view in (self.table, self.grid):
            list_view.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
            list_view.customContextMenuRequested.connect(
                lambda pos, list_view=list_view: self._context_menu(list_view, pos))
        self.table.selectionModel().selectionChanged.connect(
            lambda *_: self._update_add_to_class())
        self._update_add_to_class()
        self.export_button = export_button = MenuButton(self)  # its arrow beside "Export"
        export_button.setText("Export")
        export_menu = QMenu(export_button)
        export_menu.addActions(list(self.export_actions.values()))
        # results that leave for the user's photo manager (here: the top bar fits 640 px)
        export_menu.addSeparator()
        export_menu.addActions([self.write_tags_action, self.remove_tags_action])
        export_menu.setToolTipsVisible(True)
        export_button.setMenu(export_menu)
        self.sort_button = sort_button = QToolButton(self)
        sort_button.setDefaultAction(self.sort_action)
        self.back_button = back_button = QToolButton(self)
        back_button.setDefaultAction(self.back_action)

        # two rows, so that a 640-px window keeps the filter readable and every button whole:
        # what is shown (filter, view) above what to do with it (export, sort, go back)
        top = QHBoxLayout()
        top.addWidget(self.filter_edit, 1)
        top.addWidget(self.confidence_spin)
        top.addSpacing(12)
        top.addWidget(self.table_button)
        top.addWidget(self.grid_button)
        actions = QHBoxLayout()
        actions.addStretch(1)
        actions.addWidget(export_button)
        actions.addWidget(sort_button)
        actions.addWidget(back_button)

        self.progress = QProgressBar(self)
        self.progress.setTextVisible(False)
        self.progress.setMaximumHeight(10)
        self.status_label = QLabel("No files", self)
        self.status_label.setObjectName("results-status")
        self.status_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.cancel_button = QPushButton("Cancel", self)
        self.cancel_button.setEnabled(False)
        self.cancel_button.clicked.connect(self._cancel_or_resume)
        # what the folders or the drop held besides pictures, the list a click away
        self.left_out = ImageScan()
        self.left_out_box: QMessageBox | None = None
        self.left_out_label = QLabel(self)
        self.left_out_label.setObjectName("results-left-out")
        self.left_out_label.setTextFormat(Qt.TextFormat.RichText)
        self.left_out_label.linkActivated.connect(lambda _link: self.show_left_out())
        self.left_out_label.hide()
        bottom = QHBoxLayout()
        bottom.addWidget(self.progress, 1)
        bottom.addWidget(self.status_label, 2)
        bottom.addWidget(self.cancel_button)

        # said above the empty list, not only in the small status line at the bottom
        self.no_match = QWidget(self)
        self.no_match.setObjectName("results-no-match")
        self.no_match_label = QLabel(self.no_match)
        clear_button = QPushButton("Clear Filter", self.no_match)
        clear_button.clicked.connect(self.clear_filter)
        no_match_row = QHBoxLayout(self.no_match)
        no_match_row.setContentsMargins(0, 4, 0, 4)
        no_match_row.addWidget(self.no_match_label, 1)
        no_match_row.addWidget(clear_button)
        self.no_match.hide()

        # what an export or a sort did, with the way to see it (kept until the next batch or ✕)
        self.notice = QWidget(self)
        self.notice.setObjectName("results-notice")
        self.notice_label = QLabel(self.notice)
        self.notice_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.show_folder_button = QPushButton("Show in Folder", self.notice)
        self.show_folder_button.clicked.connect(self.show_notice_folder)
        close_notice = QToolButton(self.notice)
        close_notice.setText("✕")
        close_notice.setAccessibleName("Close")
        close_notice.clicked.connect(self.notice.hide)
        notice_row = QHBoxLayout(self.notice)
        notice_row.setContentsMargins(0, 4, 0, 4)
        notice_row.addWidget(self.notice_label, 1)
        notice_row.addWidget(self.show_folder_button)
        notice_row.addWidget(close_notice)
        self.notice.hide()
        self.notice_folder: Path | None = None
        self.exported.connect(lambda path, count: self.show_notice(
            f"Exported {count:,} result{'s' * (count != 1)} to {Path(path).name}",
            Path(path).parent))
        self.show_page(1)  # thumbnails first: what a folder of pictures looks like

        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)
        layout.addLayout(top)
        layout.addLayout(actions)
        layout.addWidget(self.notice)
        layout.addWidget(self.no_match)
        layout.addWidget(self.pages, 1)
        layout.addWidget(self.left_out_label)
        layout.addLayout(bottom)

    def _action(self, text: str, slot, shortcut=None) -> QAction:
        action = QAction(text, self)
        # a button showing the action drops "…" from its text (Qt's iconText): an action that
        # opens a dialog keeps it there too
        action.setIconText(text.replace("&", ""))
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
            action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        action.triggered.connect(slot)
        self.addAction(action)
        return action

    def show_page(self, page: int) -> None:
        """0: the table, 1: the thumbnail grid."""
        self.pages.setCurrentIndex(page)
        (self.table_button if page == 0 else self.grid_button).setChecked(True)

    def set_unsure_threshold(self, threshold: float) -> None:
        """Mark confidences below this in amber (ViewOptions.unsure_threshold, as the overlay)."""
        self.model.unsure_threshold = threshold
        if self.model.total:
            self.model.dataChanged.emit(self.model.index(0, 0),
                                        self.model.index(self.model.total - 1, len(Column) - 1),
                                        [Qt.ItemDataRole.ForegroundRole])

    @property
    def current_view(self) -> QAbstractItemView:
        return self.table if self.pages.currentIndex() == 0 else self.grid

    # --- what was left out ----------------------------------------------------------------
    def set_left_out(self, scan: ImageScan) -> None:
        """'4 files left out: 2 videos, 1 text file, 1 unsupported format  Show list'."""
        self.left_out = scan
        summary = scan.summary()
        self.left_out_label.setText(f"{html.escape(summary)} &nbsp;<a href='list'>Show list</a>"
                                    if summary else "")
        self.left_out_label.setVisible(bool(summary))

    def left_out_text(self) -> str:
        return self.left_out.summary()

    def show_left_out(self) -> None:
        """The list of what was left out and why, in a box the user closes."""
        scan = self.left_out
        box = QMessageBox(QMessageBox.Icon.Information, "Left Out", scan.summary() + ".",
                          QMessageBox.StandardButton.Close, self)
        box.setInformativeText("These were found but are not pictures squeezeapp reads. "
                               "Details lists each one and why.")
        box.setDetailedText(describe_left_out(scan.left_out, scan.left_out_total))
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.left_out_box = box
        box.open()

    # --- the batch --------------------------------------------------------------------------
    def start(self, paths: Sequence[Path], model: str | Path | None,
              settings: SessionSettings | None = None, top_k: int = 5) -> None:
        """Show `paths` (all pending) and classify them in the background with `model`."""
        self.error = ""
        self.last_summary = None
        self.model.set_paths(paths)
        self.progress.setRange(0, max(1, len(paths)))
        self.progress.setValue(0)
        self._started = time.perf_counter()
        self._model_ready_at = None
        self._classified = 0
        self._job_args = (list(paths), model, settings, top_k)
        self.cancel_button.setText("Cancel")
        self.cancel_button.setEnabled(bool(paths))
        self.notice.hide()
        if paths:
            self.job.start(paths, model, settings, top_k)
        self._update_status()

    def cancel(self) -> None:
        self.job.cancel()
        for task in self._tasks:
            if task.objectName() == SORT_JOB:
                task.quit()
        self.cancel_button.setEnabled(False)

    def _cancel_or_resume(self) -> None:
        (self.resume if self.model.stopped else self.cancel)()

    def resume(self) -> None:
        """Go on with a cancelled batch: the results it finished are remembered (the cache),
        so they come back at once and only the rest is classified."""
        paths, model, settings, top_k = self._job_args
        self.start(paths, model, settings, top_k)

    def show_notice(self, text: str, folder: Path | None) -> None:
        self.notice_label.setText(text)
        self.notice_folder = folder
        self.show_folder_button.setVisible(folder is not None)
        self.notice.show()

    def show_notice_folder(self) -> bool:
        """Show in Folder: the folder in the system's file manager."""
        folder = self.notice_folder
        if folder is None:
            return False
        if not QDesktopServices.openUrl(QUrl.fromLocalFile(str(folder))):
            self.show_error(f"No file manager answered. The files are in {folder}")
            return False
        return True

    def begin_shutdown(self) -> None:
        """Ask every background job to stop, without waiting: the window does this first, so
        that they wind down together while other parts close (a quiet exit well under 1 s)."""
        self.cancel()
        self.thumbnails.cancel_pending()

    def shutdown(self, timeout_s: float = 2.0) -> None:
        """Stop every background job and wait for them, `timeout_s` in all (window close)."""
        self.begin_shutdown()
        deadline = time.monotonic() + timeout_s
        self.job.wait(timeout_s)
        self.thumbnails.shutdown(max(0.0, deadline - time.monotonic()))
        if wait_for(self._tasks, max(0.0, deadline - time.monotonic()),
                    "export or sort into folders"):
            let_threads_leave(EXIT_GRACE_S)

    def _on_model_ready(self, _name: str) -> None:
        self._model_ready_at = time.perf_counter()
        self._update_status()

    def _on_chunk(self, chunk: Chunk) -> None:
        self._classified = chunk.classified
        self.model.apply(chunk.results)
        self.progress.setValue(self.model.done)

    def _on_finished(self, summary: JobSummary) -> None:
        self.last_summary = summary
        self.model.set_stopped(summary.cancelled)
        self.cancel_button.setText("Resume" if summary.cancelled else "Cancel")
        self.cancel_button.setEnabled(summary.cancelled)
        self.progress.setValue(self.model.done)
        self._update_status()
        self.finished.emit(summary)

    def _on_failed(self, message: str) -> None:
        self.cancel_button.setEnabled(False)
        self.show_error(f"Could not classify: {message}")

    def show_error(self, message: str) -> None:
        """Kept in the status line until the next batch starts."""
        logger.warning("%s", message)
        self.error = message
        self._update_status()
        self.errorShown.emit(message)

    def images_per_s(self) -> float:
        if self.last_summary is not None:
            return self.last_summary.images_per_s
        if self._model_ready_at is None:
            return 0.0
        elapsed = time.perf_counter() - self._model_ready_at
        return self._classified / elapsed if elapsed > 0.2 else 0.0

    def status_text(self) -> str:
        total, done, failed = self.model.total, self.model.done, self.model.failed
        if not total:
            return "No files"
        parts = [f"{done:,} of {total:,} done"]
        waiting = self.job.running and self.last_summary is None and not self.error
        if waiting and self._model_ready_at is None and not done:
            parts.append("loading the model…")
        summary = self.last_summary
        if summary is not None and summary.cancelled:
            parts[0] += " (cancelled)"
        rate = self.images_per_s()
        if rate > 0:
            parts.append(f"{rate:,.0f} images/s")
        if summary is not None and summary.cached:
            parts.append(f"{summary.cached:,} remembered")
        if failed:
            parts.append(f"{failed:,} unreadable")
        if self.tags_note:
            parts.append(self.tags_note)
        hidden = total - self.proxy.rowCount()
        if hidden:
            parts.append(f"{hidden:,} hidden by the filter")
        text = "  ·  ".join(parts)
        return f"⚠ {self.error}  ·  {text}" if self.error else text

    def clear_filter(self) -> None:
        self.filter_edit.clear()
        self.confidence_spin.setValue(0)

    def _update_status(self, *_args) -> None:
        self.status_label.setText(self.status_text())
        # the Error column only takes room from the file names when a row has an error
        no_errors = self.model.failed == 0
        if self.table.isColumnHidden(Column.ERROR) != no_errors:
            self.table.setColumnHidden(Column.ERROR, no_errors)
        hidden_all = self.model.total > 0 and self.proxy.rowCount() == 0
        if hidden_all:
            text = self.filter_edit.text().strip()
            minimum = self.confidence_spin.value()
            wanted = " and ".join(part for part in (
                f"“{text}”" if text else "", f"≥ {minimum:.0f} %" if minimum else "") if part)
            self.no_match_label.setText(
                f"None of the {self.model.total:,} results matches {wanted or 'the filter'}.")
        self.no_match.setVisible(hidden_all)
        palette = self.status_label.palette()
        palette.setColor(QPalette.ColorRole.WindowText, ERROR_COLOUR if self.error
                         else self.palette().color(QPalette.ColorRole.WindowText))
        self.status_label.setPalette(palette)

    # --- selection, open, copy --------------------------------------------------------------
    def _open_index(self, index: QModelIndex | QPersistentModelIndex) -> None:
        path = index.data(PATH_ROLE)
        if path:
            self.openRequested.emit(path)

    def shown_paths(self) -> list[Path]:
        """The files as the table shows them now: filtered and sorted (what ←/→ should walk
        after Enter opens one of them)."""
        return [Path(self.proxy.index(row, 0).data(PATH_ROLE))
                for row in range(self.proxy.rowCount())]

    def path_to_open(self) -> Path | None:
        """What Back to Picture shows after a new batch: the current selected row, else the
        first row (as shown) not known to be unreadable, else the first row."""
        current = self.current_view.currentIndex()
        if current.isValid() and self.table.selectionModel().isSelected(current):
            return Path(current.data(PATH_ROLE))
        rows = [self.proxy.index(row, 0) for row in range(self.proxy.rowCount())]
        readable = (index for index in rows
                    if (result := index.data(RESULT_ROLE)) is None or result.ok)
        chosen = next(readable, rows[0] if rows else None)
        if chosen is not None:
            return Path(chosen.data(PATH_ROLE))
        return self.model.paths[0] if self.model.total else None

    def selected_rows(self) -> list[int]:
        """Source rows of the selection, in input order."""
        rows = {self.proxy.mapToSource(index).row()
                for index in self.table.selectionModel().selectedRows()}
        return sorted(rows)

    def visible_rows(self) -> list[int]:
        return sorted(self.proxy.mapToSource(self.proxy.index(row, 0)).row()
                      for row in range(self.proxy.rowCount()))

    def selected_paths(self) -> list[Path]:
        paths = self.model.paths
        return [paths[row] for row in self.selected_rows() if row < len(paths)]

    # --- Add to Class (teach) ---------------------------------------------------------------
    def set_teach_classes(self, names: Sequence[str]) -> None:
        """The classes of the open teach project, in its order (none: no project open)."""
        names = [str(name) for name in names]
        if names == self._teach_classes:
            return
        self._teach_classes = names
        self.add_to_class_menu.clear()
        for name in names:
            action = self.add_to_class_menu.addAction(name.replace("&", "&&"))
            action.setData(name)
            action.triggered.connect(lambda _=False, name=name: self.add_to_class(name))
        self._update_add_to_class()

    def _update_add_to_class(self) -> None:
        self.add_to_class_action.setEnabled(bool(self._teach_classes)
                                            and self.table.selectionModel().hasSelection())

    def add_to_class(self, name: str) -> None:
        """Add to Class ▸ `name`: ask for the selected files to become its examples."""
        paths = self.selected_paths()
        if name in self._teach_classes and paths:
            self.addToClassRequested.emit(name, paths)

    def context_menu(self) -> QMenu:
        """What a right-click on the results offers: the selection's actions."""
        self._update_add_to_class()
        menu = QMenu(self)
        menu.addAction(self.open_action)
        menu.addAction(self.copy_action)
        menu.addSeparator()
        menu.addAction(self.add_to_class_action)
        return menu

    def _context_menu(self, list_view: QAbstractItemView, pos) -> None:
        menu = self.context_menu()
        menu.exec(list_view.viewport().mapToGlobal(pos))
        menu.deleteLater()

    def selected_results(self) -> list[FileResult]:
        return self.model.finished_results(self.selected_rows())

    def copy_selection(self) -> str:
        """Ctrl+C: the selected rows as tab-separated text on the clipboard."""
        results = self.selected_results()
        if not results:
            return ""
        text = rows_as_text(results)
        QGuiApplication.clipboard().setText(text)
        return text

    # --- export -----------------------------------------------------------------------------
    def choose_export(self, kind: str) -> None:
        format = FILE_FORMATS[kind]
        path = ask_export_file(self, self.dialog_folders, f"results.{format.suffix}",
                               format.file_filter)
        if path is not None:
            self.export(path, export_format_for(path, kind))

    def export(self, path: Path, kind: str) -> Job:
        """Write every finished result, in input order, as `kind`, off the GUI thread; emits
        `exported` (or `errorShown`). Returns the job."""
        results = self.model.finished_results()
        return self._keep(run_job(
            lambda _ctx: export_results(path, kind, results), name=EXPORT_JOB,
            returned=lambda count: self.exported.emit(str(path), count),
            errored=lambda error: self.show_error(f"Export failed: {_in_words(error)}")))

    def _keep(self, job: Job) -> Job:
        self._tasks = [task for task in self._tasks if not task.done]
        self._tasks.append(job)
        return job

    # --- sort into folders ------------------------------------------------------------------
    def choose_sort_folder(self) -> None:
        if (folder := ask_sort_folder(self, self.dialog_folders)) is not None:
            self.sort_into_folders(folder)

    def sort_into_folders(self, destination: Path, results: Sequence[FileResult] | None = None):
        """Copy the selected images (all shown ones when nothing is selected) into one folder per
        top-1 label under `destination`, off the GUI thread. Emits `sortFinished`."""
        if results is None:
            rows = self.selected_rows() or self.visible_rows()
            results = self.model.finished_results(rows)
        chosen = list(results)
        return self._keep(run_job(
            lambda ctx: copy_into_label_folders(chosen, destination, ctx.cancel), name=SORT_JOB,
            returned=lambda summary: self._on_sorted(summary, destination),
            errored=lambda error: self.show_error(
                f"Sort into folders failed: {_in_words(error)}")))

    # --- XMP sidecars -----------------------------------------------------------------------
    def _tag_targets(self) -> tuple[list[FileResult], bool]:
        """The classified results of the selected rows, else of all rows; and whether that
        was a selection."""
        rows = self.selected_rows()
        results = [r for r in self.model.finished_results(rows or None) if r.ok]
        return results, bool(rows)

    def choose_write_tags(self) -> None:
        results, selected = self._tag_targets()
        if not results:
            self.show_error("Nothing to tag yet: no photo has been classified")
            return
        dialog = WriteTagsDialog(self.tag_settings,
                                 self.model.unsure_threshold, len(results), selected, self)
        dialog.accepted.connect(lambda: self._on_tags_chosen(dialog.chosen(), results))
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.tags_dialog = dialog
        dialog.open()

    @property
    def tag_settings(self) -> TagSettings:
        return self._tag_settings or TagSettings.load(self.settings_store)

    def _on_tags_chosen(self, settings: TagSettings, results: list[FileResult]) -> None:
        self._tag_settings = settings
        settings.save(self.settings_store)
        self.write_tags(settings, results)

    def write_tags(self, settings: TagSettings, results: Sequence[FileResult] | None = None):
        """Write the keywords into the sidecars off the GUI thread; emits `tagsFinished`."""
        if results is None:
            results = self._tag_targets()[0]
        rule = settings.rule(self.model.unsure_threshold)
        chosen = [(result, result.classification) for result in results
                  if result.classification is not None]

        def tag(_ctx: JobContext) -> tuple[list[SidecarResult], int]:
            # a photo changed on disk since it was classified would get another picture's tags
            work = [(result.path, classification) for result, classification in chosen
                    if not result.changed_on_disk()]
            return tag_results(work, rule, naming=settings.naming), len(chosen) - len(work)

        return self._keep(run_job(
            tag, name=TAGS_JOB,
            returned=lambda done: self._on_tagged(done[0], done[1], False, rule.min_confidence),
            errored=lambda error: self.show_error(f"Write Tags failed: {_in_words(error)}")))

    def choose_remove_tags(self) -> None:
        # the same photos Write Tags counts: those classified (an unreadable file has none)
        results, selected = self._tag_targets()
        paths = [result.path for result in results]
        if not paths:
            self.show_error("Nothing to untag yet: no photo has been classified")
            return
        naming = self.tag_settings.naming
        box = QMessageBox(QMessageBox.Icon.Question, "Remove Tags",
                          f"Remove the keywords squeezeapp wrote from the sidecars ({naming}) "
                          f"of {len(paths):,} {'selected ' if selected else ''}photo"
                          f"{'' if len(paths) == 1 else 's'}? Keywords and tags from anything "
                          "else stay.",
                          QMessageBox.StandardButton.Cancel, self)
        remove = box.addButton("Remove Tags", QMessageBox.ButtonRole.AcceptRole)
        box.buttonClicked.connect(
            lambda button: self.remove_tags(naming, paths) if button is remove else None)
        self.tags_box = box
        box.open()

    def remove_tags(self, naming: SidecarNaming, paths: Sequence[Path]):
        chosen = list(paths)
        return self._keep(run_job(
            lambda _ctx: untag_photos(chosen, naming=naming), name=TAGS_JOB,
            returned=lambda outcomes: self._on_tagged(outcomes, 0, True),
            errored=lambda error: self.show_error(f"Remove Tags failed: {_in_words(error)}")))

    def _on_tagged(self, outcomes: list[SidecarResult], changed: int, removing: bool,
                   min_confidence: float | None = None) -> None:
        """The confirmation line stays in the status; failures are listed in a box. `changed`:
        photos left out because they changed on disk since they were classified."""
        self.tags_note = describe_sidecars(outcomes, removing, min_confidence) + (
            f"; {changed:,} {CHANGED_ON_DISK}, not tagged" if changed else "")
        self._update_status()
        self.tagsFinished.emit(self.tags_note)
        failures = [outcome.error for outcome in outcomes if outcome.error]
        if failures and self.show_summaries:
            box = QMessageBox(QMessageBox.Icon.Warning, "Remove Tags" if removing
                              else "Write Tags", self.tags_note + ".",
                              QMessageBox.StandardButton.Ok, self)
            box.setDetailedText("\n".join(failures))
            self.tags_box = box
            box.open()

    def _on_sorted(self, summary: SortSummary, destination: Path | None = None) -> None:
        self.sortFinished.emit(summary)
        self.show_notice(summary.describe().splitlines()[0].rstrip(".")
                         + (f" in {destination.name}" if destination else "")
                         + (f"; {summary.changed:,} {CHANGED_ON_DISK}, not copied"
                            if summary.changed else ""), destination)
        if self.show_summaries:
            box = QMessageBox(QMessageBox.Icon.Information, "Sort into Folders",
                              summary.describe(), QMessageBox.StandardButton.Ok, self)
            box.open()
            self.summary_box = box


def _in_words(error: BaseException) -> str:
    """A failure for the status line: the user's file and why, never a raw "[Errno 30]"."""
    return describe_os_error(error) if isinstance(error, OSError) else str(error)
