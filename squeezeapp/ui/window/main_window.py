"""The main window: layout, menus, drag-and-drop and closing. The work is done by one-job objects:
`LiveSession` (threads, the current request, meters), `ModelController` (which model runs),
`SourceOpener` (what to open) and `MessageBoard` (what the canvas says).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from PySide6.QtCore import QSettings, QSize, Qt, QTimer, QUrl
from PySide6.QtGui import (
    QAction,
    QCloseEvent,
    QDesktopServices,
    QDragEnterEvent,
    QDropEvent,
    QGuiApplication,
    QKeySequence,
    QShortcut,
)
from PySide6.QtWidgets import QMainWindow, QMenu

from squeezeapp import APP_NAME
from squeezeapp.core.common.files import describe_os_error
from squeezeapp.core.imaging.decode import is_video_path
from squeezeapp.core.imaging.source_kinds import SourceKind
from squeezeapp.core.imaging.sources import CameraInfo, FrameSource, list_cameras
from squeezeapp.ui.common.canvas_message import (
    CanvasMessage,
    Level,
    MessageAction,
    MessageBoard,
    MessagesDialog,
    Topic,
)
from squeezeapp.ui.common.elided_label import ElidedLabel
from squeezeapp.ui.common.file_dialogs import DialogFolders, ask_folder, ask_images, ask_video
from squeezeapp.ui.common.jobs import quit_all
from squeezeapp.ui.common.options import GuiOptions
from squeezeapp.ui.common.settings import AppSettings, load_geometry, save_geometry
from squeezeapp.ui.common.view_options import ViewOptions
from squeezeapp.ui.live.session import LiveSession
from squeezeapp.ui.models.controller import ModelController
from squeezeapp.ui.picture.frame_view import FrameView
from squeezeapp.ui.picture.snapshot import default_snapshot_dir, save_frame_snapshot
from squeezeapp.ui.picture.view_menu import OverlayMenu
from squeezeapp.ui.results.page import ResultsPage
from squeezeapp.ui.sources.camera_menu import NO_CAMERA, CameraMenu
from squeezeapp.ui.sources.image_list import ImageList
from squeezeapp.ui.sources.opener import SourceOpener
from squeezeapp.ui.sources.recent import RecentEntry, RecentMenu
from squeezeapp.ui.teach.panel import TeachPanel
from squeezeapp.ui.window.help_dialogs import ModelFacts, build_about_dialog, build_shortcuts_dialog

logger = logging.getLogger(__name__)

STATUS_MS = 10_000
CLOSE_JOBS_WAIT_S = 1.0  # what closing waits for other background jobs, in all
DEFAULT_SIZE = QSize(1100, 720)
MINIMUM_SIZE = QSize(640, 400)


def default_size(available: QSize) -> QSize:
    """The first window: 1100×720, or less on a small (or 2×-scaled) screen, room left for the
    title bar and the panel; never below MINIMUM_SIZE."""
    width = min(DEFAULT_SIZE.width(), max(MINIMUM_SIZE.width(), available.width() - 40))
    height = min(DEFAULT_SIZE.height(), max(MINIMUM_SIZE.height(), available.height() - 60))
    return QSize(width, height)


def window_title(description: str, position: str = "", folder: str = "") -> str:
    """'tench.JPEG (3 / 40 in album) — squeezeapp': the file's name, never its whole path."""
    where = " in ".join(part for part in (position, folder) if part)
    shown = f"{description} ({where})" if where else description
    return f"{shown} — {APP_NAME}" if shown else APP_NAME


class MainWindow(QMainWindow):
    def __init__(self, store: QSettings, options: GuiOptions | None = None, *,
                 retry_interval_s: float = 3.0, snapshot_dir: Path | None = None,
                 camera_lister: Callable[[], list[CameraInfo]] = list_cameras) -> None:
        super().__init__()
        self.store, self.options = store, options or GuiOptions()
        self.prefs = AppSettings.load(store)
        self.snapshot_dir = snapshot_dir or default_snapshot_dir()
        self.setWindowTitle(APP_NAME)
        self.setAcceptDrops(True)
        screen = self.screen() or QGuiApplication.primaryScreen()
        self.resize(default_size(screen.availableGeometry().size()) if screen else DEFAULT_SIZE)
        self.dialog_folders = DialogFolders(store)
        self.board = MessageBoard(self)
        self.view = FrameView(self.board, self)
        self.results = ResultsPage(self.view, self)
        self.results.view.dialog_folders = self.dialog_folders
        self.results.view.settings_store = store
        self._description = ""  # what the picture view shows, for the title
        self.setCentralWidget(self.results.stack)
        self.session = LiveSession(self.board, retry_interval_s, self)
        self._show_session_in_view()
        self.session.mirror_camera, self.session.mirror_video = (self.prefs.mirror,
                                                                 self.prefs.mirror_video)
        self.session.loop_video = self.prefs.loop_video
        self.session.inference.set_smoothing(self.prefs.smoothing)
        self.models = ModelController(self.session, self.board, self.prefs, self.remember,
                                      self.options, self)
        self.models.dialog_folders = self.dialog_folders
        for line in self.prefs.ignored:
            self.board.note(Level.INFO, f"Settings: ignored {line}")
        self.opener = SourceOpener(self.session, self.board, camera_lister, self)
        self.opener.resolution = self.prefs.resolution
        self._build_status_bar()
        self._build_menus()
        self._status_post: CanvasMessage | None = None
        self.board.posted.connect(self._post_status)
        self.board.changed.connect(self._expire_status)
        self.session.pictureShown.connect(self._on_picture_shown)
        self.session.liveChanged.connect(self._on_live_changed)
        self.session.sourceOpened.connect(self._on_source_opened)
        self.session.modelLoaded.connect(self._on_model_loaded)
        self.opener.imagesScanned.connect(self._on_images_scanned)
        self.opener.openWorked.connect(self.recent_menu.add)
        self.opener.pathsMissing.connect(self._on_paths_missing)
        self.results.openRequested.connect(self.opener.open_images)
        self.results.pageChanged.connect(self._on_page_changed)
        self.models.labelsChanged.connect(self._on_model_labels)
        if (geometry := load_geometry(store)) is not None:
            self.restoreGeometry(geometry)
        self.session.start()
        self.models.start()
        self.view.setFocus()
        if self.prefs.camera_active and not self.options.source:
            self.opener.open_camera(self.prefs.camera)  # the last session ended on the camera
        self._update_actions()

    def _show_session_in_view(self) -> None:
        """The session owns threads, the view owns pixels: its state reaches the view here."""
        session, view = self.session, self.view
        session.frameShown.connect(view.show_frame)
        session.pictureCleared.connect(view.clear)
        session.predictionsChanged.connect(view.show_result)
        session.captionChanged.connect(view.set_caption)
        session.statsChanged.connect(view.set_stats)
        session.badgeChanged.connect(view.set_badge)
        session.replacingChanged.connect(view.set_replacing)
        view.frameDisplayed.connect(lambda _id: session.frame_displayed())

    def remember(self, **changes) -> None:
        """Save settings that have proved to work (the model controller calls this)."""
        self.prefs = replace(self.prefs, **changes)
        self.prefs.save(self.store)

    # --- layout -----------------------------------------------------------------------------
    def _build_status_bar(self) -> None:
        """Messages on the left, then model, provider and source; each shortens with "…" when
        the window is narrow (the whole text is in its tooltip). Messages take the room left
        over (100 px at least); the three labels give way evenly."""
        right, middle = Qt.TextElideMode.ElideRight, Qt.TextElideMode.ElideMiddle
        self.message_label = ElidedLabel("", right, max_hint=10_000, min_width=100)
        self.model_label = ElidedLabel("Model: loading…", right, min_width=200)
        self.provider_label = ElidedLabel("", right, min_width=100)
        self.source_label = ElidedLabel("No source", middle, min_width=160)  # keeps the extension
        self._status_timer = QTimer(self, singleShot=True, interval=STATUS_MS)
        self._status_timer.timeout.connect(lambda: self.message_label.setText(""))
        bar = self.statusBar()
        self.message_label.setAccessibleName("Message")
        bar.addWidget(self.message_label, 1)
        for label, name in ((self.model_label, "Model"), (self.provider_label, "Provider"),
                            (self.source_label, "Source")):
            label.setAccessibleName(name)
            label.setContentsMargins(10, 0, 10, 0)
            bar.addPermanentWidget(label)

    def show_status(self, text: str) -> None:
        """A passing message in the status bar (cleared after STATUS_MS)."""
        self.message_label.setText(text)
        self._status_timer.start()

    def _action(self, menu: QMenu | None, text: str, slot, shortcut=None,
                checked: bool | None = None) -> QAction:
        action = QAction(text, self)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        if checked is not None:
            action.setCheckable(True)
            action.setChecked(checked)
            action.toggled.connect(slot)
        else:
            action.triggered.connect(slot)
        (menu.addAction(action) if menu is not None else self.addAction(action))
        return action

    def _build_menus(self) -> None:
        bar, opener = self.menuBar(), self.opener
        file_menu = bar.addMenu("&File")
        self._action(file_menu, "Open &Image…", self.choose_images, QKeySequence.StandardKey.Open)
        self._action(file_menu, "Open &Folder…", self.choose_folder, "Ctrl+Shift+O")
        self._action(file_menu, "Open &Video…", self.choose_video, "Ctrl+Shift+V")
        self.recent_menu = RecentMenu(self.store, self)
        self.recent_menu.chosen.connect(self.open_recent)
        file_menu.addMenu(self.recent_menu)
        self._action(file_menu, "&Paste Image", self.paste, QKeySequence.StandardKey.Paste)
        file_menu.addSeparator()
        self._action(file_menu, "&Save Snapshot", self.snapshot, QKeySequence.StandardKey.Save)
        self._action(file_menu, "Open Snapshot Fol&der", self.open_snapshot_folder)
        file_menu.addSeparator()
        self._action(file_menu, "&Quit", self.close, QKeySequence.StandardKey.Quit)

        camera_action = self._action(None, "Open &Camera",
                                     lambda: opener.open_camera(self.prefs.camera), "Ctrl+K")
        self.stop_action = self._action(None, "S&top", self.session.stop, "Ctrl+.")
        self.mirror_action = self._action(None, "&Mirror", self.set_mirror, "Ctrl+M",
                                          self.prefs.mirror)
        self.camera_menu = CameraMenu(opener, camera_action, self.stop_action,
                                      self.mirror_action, self.prefs.resolution, self)
        self.camera_menu.resolutions.triggered.connect(lambda a: self.set_resolution(a.data()))
        self.camera_action = camera_action
        bar.addMenu(self.camera_menu)
        # Ctrl+K while Open Camera is disabled (none answered): said on the canvas, not ignored
        self.no_camera_shortcut = QShortcut(QKeySequence("Ctrl+K"), self)
        self.no_camera_shortcut.activated.connect(self._say_no_camera)
        self.opener.camerasChanged.connect(self._on_cameras_changed)
        self.no_camera_shortcut.setEnabled(False)

        view_menu = bar.addMenu("&View")
        self.pause_action = self._action(view_menu, "&Pause / Resume", self.toggle_pause,
                                         Qt.Key.Key_Space)
        self.browse_actions = [
            self._action(view_menu, text, lambda _=False, m=move: opener.browse(m), key)
            for text, move, key in (("P&revious Image", ImageList.previous, Qt.Key.Key_Left),
                                    ("&Next Image", ImageList.next, Qt.Key.Key_Right),
                                    ("&First Image", ImageList.home, Qt.Key.Key_Home),
                                    ("&Last Image", ImageList.end, Qt.Key.Key_End))]
        view_menu.addSeparator()
        self.smoothing_action = self._action(view_menu, "&Smooth Live Predictions",
                                             self.set_smoothing, "Ctrl+T", self.prefs.smoothing)
        self.loop_action = self._action(view_menu, "&Loop Videos", self.set_loop, "Ctrl+L",
                                        self.prefs.loop_video)
        view_menu.addSeparator()
        self.overlay_menu = OverlayMenu(view_menu, ViewOptions.load(self.store), self)
        self.overlay_menu.changed.connect(self._on_view_options)
        self.view.set_view_options(self.overlay_menu.options)
        view_menu.addSeparator()
        self.results_action = self._action(view_menu, "&Back to Results",
                                           self.results.show_results, Qt.Key.Key_Escape)
        # ← → Home End and Esc are the picture's: the results lists use those keys themselves
        # (bound to the picture page, Help ▸ Keyboard Shortcuts says where they work)
        for action in (*self.browse_actions, self.results_action):
            action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            self.view.addAction(action)
        self._action(view_menu, "&Messages…", self.show_messages, "Ctrl+Shift+M")
        full_screen = self._action(view_menu, "&Full Screen", self.toggle_full_screen)
        # the platform's key (Ctrl+Meta+F on macOS) and F11 everywhere: X11 has none of its own
        keys = QKeySequence.keyBindings(QKeySequence.StandardKey.FullScreen)
        full_screen.setShortcuts([*keys, *([QKeySequence("F11")]
                                           if QKeySequence("F11") not in keys else [])])
        self.model_menu = bar.addMenu("&Model")
        self.models.attach_menu(self.model_menu)
        self.model_menu.addSeparator()
        self._action(self.model_menu, "&Teach New Classes…", self.teach_new_classes,
                     "Ctrl+Shift+T")
        self._action(self.model_menu, "Open Teach &Project…", self.choose_teach_project)
        help_menu = bar.addMenu("&Help")
        self._action(help_menu, "&Keyboard Shortcuts", self.show_shortcuts,
                     QKeySequence.StandardKey.HelpContents)
        self._action(help_menu, "&About squeezeapp", self.about)

    def _update_actions(self) -> None:
        session = self.session
        live = session.live_source is not None
        self.pause_action.setEnabled(live and not session.ended)
        self.stop_action.setEnabled(live)
        self.results_action.setEnabled(self.results.has_results
                                       and not self.results.showing_results)
        for action in self.browse_actions:  # the results lists use these keys themselves
            action.setEnabled(not self.results.showing_results)

    def _on_model_loaded(self, _request, loaded) -> None:
        self.overlay_menu.set_heatmap_available(loaded.cam_unsupported)
        self.results.model_changed(self.models.model_path(), self.models.session_settings())

    def _on_page_changed(self, _results_shown: bool) -> None:
        self._update_title()
        self._update_actions()

    def _on_images_scanned(self, images: list[Path]) -> None:
        if len(images) > 1:
            self.results.show_batch(images, self.models.model_path(),
                                    self.models.session_settings(), self.opener.left_out)
        else:
            self.results.forget()
        self._update_title()  # a folder opened over another's results: its own count
        self._update_actions()

    def _on_live_changed(self) -> None:
        if self.session.live_source is not None:
            self.results.forget()
        if self._live_camera() is None and self.camera_menu.playing:
            self.camera_menu.show_playing("")
        self._show_mirror_setting()
        self._update_actions()

    def _on_source_opened(self, source: FrameSource) -> None:
        if source.camera_index is not None and source.details:
            self.camera_menu.show_playing(f"{source.description}: {source.details}")

    def _show_mirror_setting(self) -> None:
        """Camera ▸ Mirror shows (and sets) the setting of the kind of source playing."""
        camera = self.session.is_camera(self.session.live_source)
        self.mirror_action.blockSignals(True)
        self.mirror_action.setChecked(self.session.mirror)
        self.mirror_action.blockSignals(False)
        self.mirror_action.setToolTip("Mirror cameras (a selfie view)" if camera
                                      else "Mirror video files")

    # --- what the picture is ----------------------------------------------------------------
    def _on_picture_shown(self, description: str) -> None:
        self._description = description
        self._update_title()

    def _update_title(self) -> None:
        """The title and the "Source:" label name what is on screen: over the results, the
        folder and its count, not the picture waiting behind them."""
        images = self.opener.images
        if self.results.showing_results:
            folder = images.folder
            count = f"{len(self.results.paths):,} images"
            self.setWindowTitle(window_title(folder or count, count if folder else ""))
            self.source_label.setText(f"Source: {folder} ({count})" if folder
                                      else f"Source: {count}")
            return
        self.source_label.setText(f"Source: {self._description}" if self._description
                                  else "No source")
        if self.session.live_source is None and len(images) > 1:
            self.setWindowTitle(window_title(self._description, images.position, images.folder))
        else:
            self.setWindowTitle(window_title(self._description))

    def _post_status(self, message: CanvasMessage) -> None:
        self._status_post = message
        self.show_status(message.one_line)

    def _expire_status(self) -> None:
        """A message the canvas no longer shows leaves the status bar too (no stale
        "Opening…" once the picture is there)."""
        post = self._status_post
        if post is not None and not self.board.is_shown(post):
            self._status_post = None
            if self.message_label.text() == post.one_line:
                self.message_label.setText("")
                self._status_timer.stop()

    def _on_model_labels(self, model: str, model_file: str, provider: str) -> None:
        self.model_label.setText(model, model_file)
        self.provider_label.setText(provider)

    # --- user actions -----------------------------------------------------------------------
    def choose_images(self) -> None:
        if files := ask_images(self, self.dialog_folders):
            self.opener.open_paths(files)

    def choose_folder(self) -> None:
        if folder := ask_folder(self, self.dialog_folders):
            self.opener.open_paths(folder)

    def choose_video(self) -> None:
        if files := ask_video(self, self.dialog_folders):
            self.opener.open_video(files[0])

    # --- teaching ---------------------------------------------------------------------------
    teach_panel: TeachPanel | None = None

    def teach_new_classes(self, folder: Path | None = None) -> TeachPanel | None:
        """Model ▸ Teach New Classes…: the teach panel beside the picture, on a new project
        (a numbered folder in the user's data folder) or on `folder`."""
        if folder is None or not isinstance(folder, Path):
            folder = self._new_project_folder()
        panel = self._ensure_teach_panel()
        if panel is None:
            return None
        if panel.open_project(folder):
            self.recent_menu.add(folder, SourceKind.PROJECT)
        panel.show()
        return panel

    def choose_teach_project(self) -> None:
        folders = ask_folder(self, self.dialog_folders)
        if folders:
            self.teach_new_classes(folders[0])

    def _new_project_folder(self) -> Path:
        import platformdirs

        base = platformdirs.user_data_path(APP_NAME) / "teach"
        number = 1
        while (base / f"Project {number}").exists() and number < 10_000:
            number += 1
        return base / f"Project {number}"

    def _ensure_teach_panel(self) -> TeachPanel | None:
        if self.teach_panel is not None:
            return self.teach_panel
        loaded = self.models.loaded
        if loaded is None:
            self.board.error(Topic.TEACH, "No model to teach from",
                             "Teaching needs the ImageNet model loaded first.")
            return None
        from squeezeapp.core.teach.base import teach_base
        from squeezeapp.core.teach.project import TeachError

        try:  # a taught model is live: teach from its ImageNet base (a head on a head fails)
            base = teach_base(Path(loaded.path))
        except TeachError as error:
            self.board.error(Topic.TEACH, "No ImageNet model to teach from", str(error))
            return None
        panel = self.teach_panel = TeachPanel(self.board, base, self)
        self._base_model = base
        self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, panel)
        self.session.frameShown.connect(panel.set_frame)
        self.session.pictureCleared.connect(panel.clear_frame)
        self.session.modelLoaded.connect(
            lambda _request, model: panel.model_in_use(self._is_base(model.path)))
        if self.session.frame is not None:  # the picture already on screen can be recorded
            panel.set_frame(self.session.frame)
        panel.model_in_use(self._is_base(Path(loaded.path)))
        panel.modelReady.connect(lambda path: self.models.load_model(str(path)))
        panel.imagenetWanted.connect(lambda: self.models.load_model(str(self._base_model)))
        # Add to Class ▸ in the results view: the selected files become a class's examples
        panel.classesChanged.connect(self.results.view.set_teach_classes)
        self.results.view.addToClassRequested.connect(panel.add_files)
        return panel

    def _is_base(self, path: Path) -> bool:
        """Whether `path` is the ImageNet model the teach panel teaches from."""
        try:
            return Path(path).resolve() == self._base_model.resolve()
        except OSError:
            return False

    def open_recent(self, entry: RecentEntry) -> None:
        """File ▸ Open Recent: opened like a drop (a video the scan would not know by its
        name goes straight to the player); a teach project opens the teach panel."""
        if entry.kind is SourceKind.PROJECT:
            self.teach_new_classes(entry.path)
            return
        if entry.kind is SourceKind.VIDEO and not is_video_path(entry.path):
            self.opener.open_video(entry.path)
        else:
            self.opener.open_paths([entry.path])

    def _on_paths_missing(self, paths: list[Path]) -> None:
        gone = [path for path in paths if self.recent_menu.remove(path)]
        if gone:
            self.board.error(Topic.OPEN, f"{gone[0].name or gone[0]} is no longer there",
                             f"{gone[0]} was not found (moved, renamed, deleted, or on a drive "
                             "not connected now). It was removed from File ▸ Open Recent.")

    def paste(self) -> None:
        self.opener.accept_mime(QGuiApplication.clipboard().mimeData())

    def toggle_pause(self) -> None:
        self.session.set_paused(not self.session.paused)

    def set_smoothing(self, enabled: bool) -> None:
        self.prefs = replace(self.prefs, smoothing=enabled)
        self.session.inference.set_smoothing(enabled)

    def set_loop(self, enabled: bool) -> None:
        self.prefs = replace(self.prefs, loop_video=enabled)
        self.session.set_loop(enabled)

    def set_mirror(self, enabled: bool) -> None:
        if self.session.is_camera(self.session.live_source):
            self.prefs = replace(self.prefs, mirror=enabled)
        else:
            self.prefs = replace(self.prefs, mirror_video=enabled)
        self.session.set_mirror(enabled)

    def set_resolution(self, resolution: tuple[int, int] | None) -> None:
        self.prefs = replace(self.prefs, resolution=resolution)
        self.opener.resolution = resolution
        if (index := self._live_camera()) is not None:
            self.opener.open_camera(index)

    def _live_camera(self) -> int | None:
        source = self.session.live_source
        return source.camera_index if source is not None else None

    def _on_cameras_changed(self) -> None:
        none = not self.camera_action.isEnabled()
        self.no_camera_shortcut.setEnabled(none)
        if not none and self.opener.cameras:
            self.board.clear(Topic.CAMERA)  # one answered: the search worked

    def _say_no_camera(self) -> None:
        self.board.error(Topic.CAMERA, "No camera found", NO_CAMERA,
                         (MessageAction("Search Again", self.opener.probe_cameras),))

    def show_messages(self) -> None:
        self.messages_dialog = MessagesDialog(self.board, self)
        self.messages_dialog.show()

    def toggle_full_screen(self) -> None:
        self.showNormal() if self.isFullScreen() else self.showFullScreen()

    def snapshot(self) -> Path | None:
        if (frame := self.view.frame) is None:
            self.board.error(Topic.SNAPSHOT, "Nothing to save yet",
                             "Open a picture or a camera first.")
            return None
        try:
            path = save_frame_snapshot(self.snapshot_dir, frame.image, frame.source,
                                       self.view.result, self.overlay_menu.options,
                                       stale=self.view.result_is_stale,
                                       caption=self.view.caption_text(),
                                       video_timestamp_s=frame.position_s)
        except OSError as error:
            self.board.error(Topic.SNAPSHOT, "Snapshot not saved", describe_os_error(error))
            return None
        self.board.clear(Topic.SNAPSHOT)
        self.show_status(f"Saved {path} (and .json)")
        return path

    def open_snapshot_folder(self) -> bool:
        """Show the snapshots in the system's file manager (the folder is made if no snapshot
        has been saved yet, so the user sees where they will go)."""
        folder = self.snapshot_dir
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            self.board.error(Topic.SNAPSHOT_FOLDER, "Cannot open the snapshot folder",
                             describe_os_error(error))
            return False
        if not QDesktopServices.openUrl(QUrl.fromLocalFile(str(folder))):
            self.board.error(Topic.SNAPSHOT_FOLDER, "Cannot open the snapshot folder",
                             f"No file manager answered. The snapshots are in {folder}")
            return False
        self.board.clear(Topic.SNAPSHOT_FOLDER)
        return True

    def _on_view_options(self, options: ViewOptions) -> None:
        options.save(self.store)
        self.view.set_view_options(options)

    def show_shortcuts(self) -> None:
        self.shortcuts_dialog = build_shortcuts_dialog(self)
        self.shortcuts_dialog.show()

    def about(self) -> None:
        loaded = self.models.loaded
        facts = None
        if loaded is not None:
            profile = next((p for p in self.models.profiles or []
                            if p.path.resolve() == loaded.path.resolve()), None)
            source = profile.source_sha256 if profile is not None else None
            facts = ModelFacts(loaded.display_name, loaded.path, loaded.sha256,
                               loaded.provider, source or "")
        self.about_dialog = build_about_dialog(self, facts)
        self.about_dialog.show()

    # --- drag and drop ----------------------------------------------------------------------
    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        mime = event.mimeData()
        if mime.hasUrls() or mime.hasImage():
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        if self.opener.accept_mime(event.mimeData()):
            event.acceptProposedAction()

    # --- closing ----------------------------------------------------------------------------
    def closeEvent(self, event: QCloseEvent) -> None:
        self.results.view.begin_shutdown()  # a batch stops while the rest closes
        try:  # saving must never keep the shutdown below from running (threads left: exit 139)
            camera = self._live_camera()
            self.remember(camera_active=camera is not None,
                          camera=camera if camera is not None else self.prefs.camera)
            save_geometry(self.store, self.saveGeometry())
            self.store.sync()
        except Exception:  # logged; quitting goes on
            logger.exception("could not save the settings at quit")
        self.models.shutdown()
        self.results.shutdown()
        if self.teach_panel is not None:
            self.teach_panel.shutdown()
        quit_all(CLOSE_JOBS_WAIT_S)  # a folder scan, a camera probe, a model listing…
        took = self.session.shutdown()
        logger.info("threads stopped in %.0f ms", took * 1000)
        super().closeEvent(event)
