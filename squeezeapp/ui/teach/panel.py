"""The teach panel (Model ▸ Teach New Classes…): classes, their examples, Hold to Record, how
good the taught model is, and Export. Training is automatic: each change restarts a short
debounce, then one job trains off the GUI thread and the live view switches to the taught model.
"""

from __future__ import annotations

import logging
import time
from collections import deque
from pathlib import Path

import numpy as np
from PySide6.QtCore import QSize, Qt, QTimer, Signal
from PySide6.QtGui import QImage, QKeySequence, QPixmap, QShortcut
from PySide6.QtWidgets import (
    QDockWidget,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from squeezeapp.core.imaging.sources import Frame
from squeezeapp.core.teach.project import Project, TeachError
from squeezeapp.core.teach.train import TrainedProject
from squeezeapp.ui.common.canvas_message import Level, MessageAction, MessageBoard, Topic
from squeezeapp.ui.common.jobs import Job, run_job, wait_for
from squeezeapp.ui.teach.engine import Saved, TeachEngine, Trained

logger = logging.getLogger(__name__)

TRAIN_DEBOUNCE_MS = 600
MAX_STRIP = 40  # thumbnails kept per class in the strip
PANEL_MAX_WIDTH = 360  # warnings and long class names wrap or elide; the panel never grows
RECORD_FPS_RANGE = (1, 30)  # Hold to Record's frames per second the spin box offers
RECORD_TEXT, STILL_TEXT = "Hold to Record", "Add This Picture"
NOTHING_TO_RECORD = "Nothing to record"


def _pixmap(image: np.ndarray) -> QPixmap:
    rgb = np.ascontiguousarray(image[:, :, ::-1])
    height, width = rgb.shape[:2]
    return QPixmap.fromImage(QImage(rgb.data, width, height, 3 * width,
                                    QImage.Format.Format_RGB888).copy())


class TeachPanel(QDockWidget):
    """One project at a time; `modelReady(path)` asks the window to show the taught model live,
    `imagenetWanted()` to go back to the base model (the project stays open)."""

    modelReady = Signal(object)  # Path of the taught model to load
    imagenetWanted = Signal()
    trained = Signal(object)  # TrainedProject, once shown
    classesChanged = Signal(list)  # the open project's class names, in order

    def __init__(self, board: MessageBoard, base_model: Path, parent: QWidget | None = None
                 ) -> None:
        super().__init__("Teach", parent)
        self.setObjectName("teachPanel")
        self.board = board
        self.engine = TeachEngine(base_model)
        self.project: Project | None = None
        self.latest: TrainedProject | None = None
        self.live_taught = True
        self._imagenet_live = True  # the live view shows the ImageNet model (not a taught one)
        self._frame: Frame | None = None
        self._jobs: list[Job] = []  # started; the finished ones are dropped at the next start
        self._training = False
        self._train_again = False
        self._thumbs: dict[str, list[tuple[Path, QPixmap]]] = {}
        self._added: dict[str, int] = {}  # saved since the last training: counted at once
        self.exported: Path | None = None
        # from taking a frame to its thumbnail in the strip, ms (the goal: < 150)
        self.strip_latency_ms: deque[float] = deque(maxlen=200)
        self._recording: str | None = None
        self._record_timer = QTimer(self, interval=125)
        self._record_timer.timeout.connect(self._record_tick)
        self._debounce = QTimer(self, singleShot=True, interval=TRAIN_DEBOUNCE_MS)
        self._debounce.timeout.connect(self._train_now)
        self._build()

    # --- layout -----------------------------------------------------------------------------
    def _build(self) -> None:
        body = QWidget(self)
        self.setMaximumWidth(PANEL_MAX_WIDTH)
        layout = QVBoxLayout(body)
        self.title = QLabel("No project", body)
        self.title.setMinimumWidth(1)  # a long project name is elided, never widens the panel
        layout.addWidget(self.title)
        self.class_list = QListWidget(body)
        self.class_list.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        self.class_list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.class_list.setAccessibleName("Classes")
        self.class_list.setMaximumHeight(150)
        self.class_list.setToolTip("Double-click a class to rename it")
        self.class_list.itemChanged.connect(self._on_item_renamed)
        # double-click edits the name alone (the row also shows the count)
        self.class_list.setEditTriggers(QListWidget.EditTrigger.NoEditTriggers)
        self.class_list.itemDoubleClicked.connect(self.begin_rename)
        self.class_list.itemDelegate().closeEditor.connect(
            lambda *_: QTimer.singleShot(0, self._refresh_classes))
        self.class_list.currentRowChanged.connect(lambda _row: self._show_strip())
        self.class_list.currentRowChanged.connect(lambda _row: self._update_move_buttons())
        layout.addWidget(self.class_list)
        row = QHBoxLayout()
        self.add_button = QPushButton("Add Class", body)
        self.add_button.clicked.connect(lambda: self.add_class("Class"))
        self.remove_button = QPushButton("Remove Class", body)
        self.remove_button.clicked.connect(self.remove_current_class)
        row.addWidget(self.add_button)
        row.addWidget(self.remove_button)
        layout.addLayout(row)
        row = QHBoxLayout()  # the class order is the taught model's label order
        self.up_button = QPushButton("Move Up", body)
        self.up_button.setToolTip("Move the selected class up (the taught model's labels "
                                  "follow this order)")
        self.up_button.clicked.connect(lambda: self.move_current_class(-1))
        self.down_button = QPushButton("Move Down", body)
        self.down_button.setToolTip("Move the selected class down")
        self.down_button.clicked.connect(lambda: self.move_current_class(1))
        row.addWidget(self.up_button)
        row.addWidget(self.down_button)
        layout.addLayout(row)
        row = QHBoxLayout()
        self.record_button = QPushButton(RECORD_TEXT, body)
        self.record_button.setToolTip("Adds frames from the camera or video while held (or hold "
                                      "R); on a picture, adds the picture shown")
        self.record_button.pressed.connect(self.start_recording)
        self.record_button.released.connect(self.stop_recording)
        self.add_images_button = QPushButton("Add Images…", body)
        self.add_images_button.clicked.connect(self._choose_images)
        row.addWidget(self.record_button)
        row.addWidget(self.add_images_button)
        layout.addLayout(row)
        row = QHBoxLayout()
        fps_label = QLabel("Recording rate:", body)
        self.fps_spin = QSpinBox(body)
        self.fps_spin.setRange(*RECORD_FPS_RANGE)
        self.fps_spin.setSuffix(" frames/s")
        self.fps_spin.setAccessibleName("Recording rate")
        self.fps_spin.setToolTip("How many frames a second Hold to Record adds (saved in the "
                                 "project)")
        fps_label.setBuddy(self.fps_spin)
        self.fps_spin.setEnabled(False)
        self.fps_spin.valueChanged.connect(self.set_record_fps)
        row.addWidget(fps_label)
        row.addWidget(self.fps_spin, 1)
        layout.addLayout(row)
        self.strip_title = QLabel("Examples", body)
        self.strip_title.setMinimumWidth(1)
        layout.addWidget(self.strip_title)
        self.strip = QListWidget(body)
        self.strip.setViewMode(QListWidget.ViewMode.IconMode)
        self.strip.setFlow(QListWidget.Flow.LeftToRight)
        self.strip.setWrapping(False)
        self.strip.setIconSize(QSize(56, 56))
        self.strip.setFixedHeight(84)
        self.strip.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.strip.setAccessibleName("Examples")
        self.strip.setToolTip("Delete removes the selected example (Undo on the picture)")
        self.strip.setSelectionMode(QListWidget.SelectionMode.ExtendedSelection)
        delete = QShortcut(QKeySequence(QKeySequence.StandardKey.Delete), self.strip)
        delete.setContext(Qt.ShortcutContext.WidgetShortcut)
        delete.activated.connect(self.delete_selected_examples)
        layout.addWidget(self.strip)
        self.accuracy_label = QLabel("Add examples to two classes to train.", body)
        self.accuracy_label.setWordWrap(True)
        layout.addWidget(self.accuracy_label)
        self.confusion_title = QLabel("Confusion matrix (rows: the true class; columns: what "
                                      "the model said)", body)
        self.confusion_title.setWordWrap(True)
        layout.addWidget(self.confusion_title)
        self.confusion = QTableWidget(0, 0, body)
        self.confusion.setAccessibleName("Confusion matrix")
        self.confusion.setMaximumHeight(160)
        layout.addWidget(self.confusion)
        self.warnings_label = QLabel("", body)
        self.warnings_label.setWordWrap(True)
        self.warnings_label.setStyleSheet("color: #b35c00")
        layout.addWidget(self.warnings_label)
        row = QHBoxLayout()
        self.switch_button = QPushButton("Use ImageNet Model", body)
        self.switch_button.clicked.connect(self.toggle_live_model)
        self.switch_button.setEnabled(False)  # ImageNet is live until the first training
        self.export_button = QPushButton("Export Model…", body)
        self.export_button.clicked.connect(self._choose_export)
        self.export_button.setEnabled(False)
        row.addWidget(self.switch_button)
        row.addWidget(self.export_button)
        layout.addLayout(row)
        self.setWidget(body)
        self.setAcceptDrops(True)

    # --- project ------------------------------------------------------------------------------
    def open_project(self, folder: Path) -> bool:
        try:
            project = Project.create(folder)
        except TeachError as error:
            self.board.error(Topic.TEACH, "The teach project could not be opened", str(error))
            return False
        self.board.clear(Topic.TEACH)
        self.project = project
        self.latest = None
        self._thumbs = {}
        self._set_elided(self.title, f"Project: {folder.name}")
        self.title.setToolTip(str(folder))
        self._refresh_classes()
        self.class_list.setCurrentRow(0)
        self._show_record_fps()
        self._start(self.engine.thumbnails, project.snapshot(), MAX_STRIP,
                    done=self._on_thumbnails)
        self.schedule_training()
        return True

    def _on_thumbnails(self, found: list[Saved]) -> None:
        for saved in found:
            self._thumbs[saved.class_name] = [
                (path, _pixmap(t)) for path, t in zip(saved.paths, saved.thumbnails,
                                                      strict=True)]
        self._show_strip()

    def counts(self) -> dict[str, int]:
        if self.latest is None or self.project is None:
            return {}
        return dict(zip(self.latest.scan.classes, self.latest.scan.counts(), strict=True))

    def _refresh_classes(self) -> None:
        project = self.project
        if project is None:
            return
        current = self.class_list.currentRow()
        counts = self.counts()
        accuracy = {c.name: c.accuracy for c in self.latest.report.classes} \
            if self.latest is not None else {}
        self.class_list.blockSignals(True)
        self.class_list.clear()
        for name in project.classes:
            item = QListWidgetItem(name)
            item.setData(Qt.ItemDataRole.UserRole, name)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsEditable)
            count = counts.get(name, 0) + self._added.get(name, 0)
            share = accuracy.get(name)
            shown = "" if share is None else f", {share:.0%} right"
            item.setToolTip(f"{count} examples{shown}; double-click to rename")
            item.setData(Qt.ItemDataRole.StatusTipRole, f"{count} examples{shown}")
            item.setText(f"{name}  —  {count} examples{shown}")
            self.class_list.addItem(item)
        self.class_list.blockSignals(False)
        self.class_list.setCurrentRow(min(max(0, current), self.class_list.count() - 1))
        self._update_move_buttons()
        self.classesChanged.emit(list(project.classes))

    def _update_move_buttons(self) -> None:
        row, count = self.class_list.currentRow(), self.class_list.count()
        self.up_button.setEnabled(row > 0)
        self.down_button.setEnabled(0 <= row < count - 1)

    def move_current_class(self, offset: int) -> None:
        """Move Up / Move Down: the class order (saved in the project) is the label order of
        the next taught model."""
        name, project = self.current_class(), self.project
        if name is None or project is None:
            return
        try:
            project.move_class(name, offset)
        except TeachError as error:
            self.board.error(Topic.TEACH, "Class not moved", str(error))
            return
        self._clear_stale(Level.ERROR, "Class not moved")
        self._refresh_classes()
        self.select_class(name)
        self.schedule_training()

    # --- recording rate -----------------------------------------------------------------------
    def _show_record_fps(self) -> None:
        project = self.project
        self.fps_spin.blockSignals(True)
        if project is not None:
            low, high = RECORD_FPS_RANGE
            self.fps_spin.setValue(min(high, max(low, round(project.settings.record_fps))))
        self.fps_spin.blockSignals(False)
        self.fps_spin.setEnabled(project is not None)

    def set_record_fps(self, fps: int) -> None:
        """The recording rate spin box: saved in the project; a recording going on speeds up
        or slows down at once."""
        project = self.project
        if project is None:
            return
        try:
            project.with_settings(record_fps=float(fps))
        except TeachError as error:
            self.board.error(Topic.TEACH, "Recording rate not saved", str(error))
            return
        self._clear_stale(Level.ERROR, "Recording rate not saved")
        if self._record_timer.isActive():
            self._record_timer.setInterval(int(1000 / project.settings.record_fps))

    def class_count_text(self, name: str) -> str:
        for row in range(self.class_list.count()):
            item = self.class_list.item(row)
            if item.data(Qt.ItemDataRole.UserRole) == name:
                return str(item.data(Qt.ItemDataRole.StatusTipRole))
        return ""

    def current_class(self) -> str | None:
        item = self.class_list.currentItem()
        return None if item is None else str(item.data(Qt.ItemDataRole.UserRole))

    def select_class(self, name: str) -> None:
        for row in range(self.class_list.count()):
            if self.class_list.item(row).data(Qt.ItemDataRole.UserRole) == name:
                self.class_list.setCurrentRow(row)

    def add_class(self, name: str) -> str | None:
        if self.project is None:
            return None
        try:
            added = self.project.add_class(f"{name} {len(self.project.classes) + 1}"
                                           if name == "Class" else name)
        except TeachError as error:
            self.board.error(Topic.TEACH, "Class not added", str(error))
            return None
        self._clear_stale(Level.ERROR, "Class not added")
        self._refresh_classes()
        self.select_class(added)
        self.schedule_training()
        return added

    def remove_current_class(self) -> None:
        name, project = self.current_class(), self.project
        if name is None or project is None:
            return
        try:
            moved = project.remove_class(name)
        except TeachError as error:
            self.board.error(Topic.TEACH, "Class not removed", str(error))
            return
        self._clear_stale(Level.ERROR, "Class not removed")
        if moved is not None:
            self.board.info(Topic.TEACH, f"Removed class '{name}'",
                            f"Its pictures were kept in {moved}")
        self._refresh_classes()
        self.schedule_training()

    def _show_renamed(self, name: str) -> None:
        self._refresh_classes()
        self.select_class(name)

    def begin_rename(self, item: QListWidgetItem) -> None:
        self.class_list.blockSignals(True)
        item.setText(str(item.data(Qt.ItemDataRole.UserRole)))
        self.class_list.blockSignals(False)
        self.class_list.editItem(item)

    def _on_item_renamed(self, item: QListWidgetItem) -> None:
        old = str(item.data(Qt.ItemDataRole.UserRole))
        new = item.text().split("  —  ", 1)[0].strip()
        if self.project is None or new == old:
            return
        try:
            renamed = self.project.rename_class(old, new)
            self._clear_stale(Level.ERROR, "Class not renamed")
        except TeachError as error:
            self.board.error(Topic.TEACH, "Class not renamed", str(error))
            renamed = old
        folder = self.project.folder / renamed
        self._thumbs[renamed] = [(folder / path.name, pixmap)
                                 for path, pixmap in self._thumbs.pop(old, [])]
        # not now: the list is still inside the item's edit
        QTimer.singleShot(0, lambda: self._show_renamed(renamed))
        self.schedule_training()

    # --- examples -----------------------------------------------------------------------------
    def set_frame(self, frame: Frame, _image: object = None) -> None:
        """The frame on screen now (the session's frameShown): what a recording adds."""
        self._frame = frame
        if self._recording is None:
            self.record_button.setText(RECORD_TEXT if frame.live else STILL_TEXT)

    def keyPressEvent(self, event) -> None:
        """Holding R records into the selected class, like holding the button."""
        if event.key() == Qt.Key.Key_R and not event.isAutoRepeat():
            self.record_button.setDown(True)
            self.start_recording()
            return
        super().keyPressEvent(event)

    def keyReleaseEvent(self, event) -> None:
        if event.key() == Qt.Key.Key_R and not event.isAutoRepeat():
            self.record_button.setDown(False)
            self.stop_recording()
            return
        super().keyReleaseEvent(event)

    def clear_frame(self) -> None:
        self._frame = None
        if self._recording is None:
            self.record_button.setText(RECORD_TEXT)

    def start_recording(self) -> None:
        name = self.current_class()
        if name is None or self.project is None:
            return
        if self._frame is None:
            self.board.info(Topic.TEACH, NOTHING_TO_RECORD,
                            "Open a camera or a video (or a picture) first, then hold the button.")
            return
        self._recording = name
        if not self._frame.live:  # a still: the button is "Snapshot to class", once
            self._record_tick()
            self._recording = None
            return
        self._record_timer.setInterval(int(1000 / self.project.settings.record_fps))
        self._record_tick()
        self._record_timer.start()
        self.record_button.setText("Recording…")

    def stop_recording(self) -> None:
        self._record_timer.stop()
        self._recording = None
        self.record_button.setText(STILL_TEXT if self._frame is not None
                                   and not self._frame.live else RECORD_TEXT)

    def _record_tick(self) -> None:
        frame, name, project = self._frame, self._recording, self.project
        if frame is None or name is None or project is None:
            return
        self._start(self.engine.save_frames, project.snapshot(), name, [frame.image],
                    time.monotonic(), done=self._on_saved)

    def add_files(self, name: str, files: list[Path]) -> None:
        if self.project is not None:
            self._start(self.engine.add_files, self.project.snapshot(), name, files,
                        done=self._on_saved)

    def _choose_images(self) -> None:
        from PySide6.QtWidgets import QFileDialog

        name = self.current_class()
        if name is None:
            return
        files, _ = QFileDialog.getOpenFileNames(self, f"Add Images to '{name}'")
        if files:
            self.add_files(name, [Path(f) for f in files])

    def dragEnterEvent(self, event) -> None:
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:
        name = self.current_class()
        paths = [Path(url.toLocalFile()) for url in event.mimeData().urls()
                 if url.isLocalFile()][:1000]
        if name is not None and paths:
            self.add_files(name, paths)
            event.acceptProposedAction()

    def _on_saved(self, saved: Saved) -> None:
        thumbs = self._thumbs.setdefault(saved.class_name, [])
        thumbs.extend((path, _pixmap(t)) for path, t in zip(saved.paths, saved.thumbnails,
                                                            strict=True))
        del thumbs[:-MAX_STRIP]
        self._added[saved.class_name] = self._added.get(saved.class_name, 0) + len(saved.paths)
        if saved.paths:  # an example was added: why nothing was recorded is the past
            self._clear_stale(Level.INFO, NOTHING_TO_RECORD)
        if saved.failures:
            count = len(saved.failures)
            self.board.error(Topic.TEACH, f"{count} picture{'' if count == 1 else 's'} not added",
                             "\n".join(saved.failures[:10]))
        self._show_strip()
        if saved.started:
            self.strip_latency_ms.append((time.monotonic() - saved.started) * 1e3)
        self._refresh_counts_now()
        self.schedule_training()

    def _refresh_counts_now(self) -> None:
        """Counts right away: the last training's, plus what was saved since."""
        added = self._added
        counts = self.counts()
        for row in range(self.class_list.count()):
            item = self.class_list.item(row)
            name = str(item.data(Qt.ItemDataRole.UserRole))
            count = counts.get(name, 0) + added.get(name, 0)
            self.class_list.blockSignals(True)
            item.setData(Qt.ItemDataRole.StatusTipRole, f"{count} examples")
            item.setText(f"{name}  —  {count} examples")
            self.class_list.blockSignals(False)

    def _show_strip(self) -> None:
        self.strip.clear()
        name = self.current_class()
        self._set_elided(self.strip_title, "Examples" if name is None
                         else f"Examples of '{name}'")
        for path, pixmap in self._thumbs.get(name or "", []):
            item = QListWidgetItem(pixmap, "")
            item.setData(Qt.ItemDataRole.UserRole, str(path))
            item.setToolTip(path.name)
            self.strip.addItem(item)
        self.strip.scrollToBottom()

    def delete_selected_examples(self) -> None:
        """Delete: the selected examples go to the project's `.removed` folder, with Undo."""
        if self.project is None:
            return
        paths = [Path(item.data(Qt.ItemDataRole.UserRole)) for item in self.strip.selectedItems()]
        for path in paths:
            self._start(self.engine.remove_example, self.project.snapshot(), path,
                        done=lambda removed, original=path: self._on_removed(original, removed))

    def _on_removed(self, original: Path, removed: Path) -> None:
        name = original.parent.name
        entries = self._thumbs.get(name, [])
        kept = [entry for entry in entries if entry[0] != original]
        undone = [entry for entry in entries if entry[0] == original]
        self._thumbs[name] = kept
        self._show_strip()
        self.schedule_training()

        def undo() -> None:
            self.board.clear(Topic.TEACH)
            self._start(self.engine.restore_example, removed, original,
                        done=lambda _path: self._on_restored(name, undone))

        self.board.info(Topic.TEACH, f"Removed {original.name} from '{name}'",
                        "It is kept in the project's .removed folder.",
                        (MessageAction("Undo", undo),))

    def _on_restored(self, name: str, entries: list[tuple[Path, QPixmap]]) -> None:
        self._thumbs.setdefault(name, []).extend(entries)
        self._show_strip()
        self.schedule_training()

    # --- training -----------------------------------------------------------------------------
    def schedule_training(self) -> None:
        """Train once changes stop for a moment; what the panel says until then is not stale."""
        self._debounce.start()
        if self.latest is not None or self._training:
            self.accuracy_label.setText("Examples changed: training in a moment…")
        self.warnings_label.setText("")

    def _train_now(self) -> None:
        if self.project is None:
            return
        if self._training:
            self._train_again = True
            return
        self._training = True
        self.accuracy_label.setText("Training…")
        self._start(self.engine.train, self.project.snapshot(), done=self._on_trained,
                    failed=self._on_train_failed)

    def _on_trained(self, trained: Trained) -> None:
        self._training = False
        self.latest = trained.result
        self._added = {}
        report = trained.result.report
        if report.accuracy is not None:
            kind = report.kind.description if report.kind else ""
            self.accuracy_label.setText(
                f"Accuracy {report.accuracy:.0%} ({report.validation} cross-validation; "
                f"{kind}, trained in {report.train_ms:.0f} ms)")
        elif report.trained:
            self.accuracy_label.setText("Trained; accuracy needs 2 examples in every class.")
        else:
            self.accuracy_label.setText("Not trained yet.")
        self._fill_confusion()
        lines = list(report.warnings) + list(trained.result.left_out[:5])
        if trained.problem:
            lines.append(trained.problem)
        self.warnings_label.setText("\n".join(lines))
        self.export_button.setEnabled(report.trained)
        self._update_switch()
        self._refresh_classes()
        if trained.model is not None and self.live_taught:
            self.modelReady.emit(trained.model)
        self.trained.emit(trained.result)
        if self._train_again:
            self._train_again = False
            self.schedule_training()

    def _on_train_failed(self, error: Exception) -> None:
        self._training = False
        self.accuracy_label.setText("Training failed.")
        self.board.error(Topic.TEACH, "Training failed", str(error) or type(error).__name__)

    def _fill_confusion(self) -> None:
        report = self.latest.report if self.latest else None
        matrix = report.confusion if report else ()
        names = [c.name for c in report.classes] if report else []
        self.confusion.setRowCount(len(matrix))
        self.confusion.setColumnCount(len(matrix))
        self.confusion.setHorizontalHeaderLabels(names[:len(matrix)])
        self.confusion.setVerticalHeaderLabels(names[:len(matrix)])
        for i, row in enumerate(matrix):
            for j, value in enumerate(row):
                item = QTableWidgetItem(str(value))
                item.setFlags(Qt.ItemFlag.ItemIsEnabled)
                self.confusion.setItem(i, j, item)

    # --- live model and export -------------------------------------------------------------
    def model_in_use(self, imagenet: bool) -> None:
        """The window loaded a model: whether it is the ImageNet one taught from."""
        self._imagenet_live = imagenet
        self._update_switch()

    def _update_switch(self) -> None:
        """"Use ImageNet Model" only while a taught model is live; "Use Taught Model" once
        there is one."""
        if self.live_taught:
            self.switch_button.setText("Use ImageNet Model")
            self.switch_button.setEnabled(not self._imagenet_live)
        else:
            self.switch_button.setText("Use Taught Model")
            self.switch_button.setEnabled(self.latest is not None and self.latest.report.trained)

    def toggle_live_model(self) -> None:
        self.live_taught = not self.live_taught
        self._update_switch()
        if not self.live_taught:
            self.imagenetWanted.emit()
        elif self.project is not None:
            self.schedule_training()

    def _choose_export(self) -> None:
        from PySide6.QtWidgets import QFileDialog

        from squeezeapp.core.models.paths import user_models_dir

        if self.project is None:
            return
        suggested = user_models_dir() / f"{self.project.folder.name}.onnx"
        target, _ = QFileDialog.getSaveFileName(self, "Export Model", str(suggested),
                                                "ONNX models (*.onnx)")
        if target:
            self.export_to(Path(target))

    def export_to(self, target: Path) -> None:
        """Write the taught model (the dialog confirmed the name)."""
        if self.latest is None or not self.latest.report.trained:
            self.board.error(Topic.TEACH, "Nothing to export yet", "Train on two classes first.")
            return
        self._start(self.engine.export, self.latest, target, done=self._on_exported)

    def _on_exported(self, path: Path) -> None:
        self.exported = path
        self.board.info(Topic.TEACH, f"Exported {path.name}", str(path))

    # --- messages ---------------------------------------------------------------------------
    def _clear_stale(self, level: Level, title: str) -> None:
        """Clear the panel's message titled `title`: what it said was fixed by the action of
        its kind that just worked."""
        shown = self.board.shown(Topic.TEACH, level)
        if shown is not None and shown.title == title:
            self.board.clear(Topic.TEACH, level)

    @staticmethod
    def _set_elided(label: QLabel, text: str) -> None:
        width = max(80, PANEL_MAX_WIDTH - 40)
        label.setText(label.fontMetrics().elidedText(text, Qt.TextElideMode.ElideMiddle, width))
        label.setToolTip(text)

    # --- jobs ---------------------------------------------------------------------------------
    def _start(self, function, *args, done, failed=None) -> None:
        job = run_job(lambda _ctx: function(*args), name="teach", returned=done,
                      errored=failed or (lambda error: self.board.error(
                          Topic.TEACH, "Teach: something failed",
                          str(error) or type(error).__name__)))
        self._jobs = [each for each in self._jobs if not each.done]
        self._jobs.append(job)

    def busy(self) -> bool:
        return any(not job.done for job in self._jobs) or self._debounce.isActive()

    def shutdown(self, timeout_s: float = 3.0) -> None:
        self._record_timer.stop()
        self._debounce.stop()
        wait_for(self._jobs, timeout_s, "teach jobs")
