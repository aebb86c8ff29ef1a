"""The main window: menus, sources, drag-and-drop and paste, wired to the worker threads.

Threads: capture (camera/video), image loading and inference each run in one long-lived worker.
Live frames go from the capture thread straight into the inference slot (a direct connection,
so the GUI thread is not involved) and, as a QImage copy, to this window for display.
"""

from __future__ import annotations

import logging
import os
from dataclasses import replace
from pathlib import Path

from PySide6.QtCore import QMimeData, QSettings, Qt, QTimer, Signal
from PySide6.QtGui import (
    QAction,
    QActionGroup,
    QCloseEvent,
    QDragEnterEvent,
    QDropEvent,
    QGuiApplication,
    QImage,
    QKeySequence,
)
from PySide6.QtWidgets import QFileDialog, QLabel, QMainWindow, QMenu, QMessageBox, QProgressDialog

from squeezeapp import APP_NAME, __version__
from squeezeapp.core.classifier import SessionSettings
from squeezeapp.core.errors import ModelError
from squeezeapp.core.imageio import (
    IMAGE_EXTENSIONS,
    VIDEO_EXTENSIONS,
    expand_image_paths,
    is_video_path,
)
from squeezeapp.core.metrics import LatencyStats, RateMeter
from squeezeapp.core.models import local_model_paths, resolve_model_path
from squeezeapp.core.providers import provider_choices
from squeezeapp.core.registry import ZOO_MODEL
from squeezeapp.core.sources import (
    CameraInfo,
    CameraSource,
    Frame,
    FrameSource,
    VideoFileSource,
    parse_source,
)
from squeezeapp.ui.background import CameraProbe, ModelDownload
from squeezeapp.ui.capture_worker import CaptureWorker
from squeezeapp.ui.convert import qimage_to_bgr
from squeezeapp.ui.frame_view import FrameView
from squeezeapp.ui.image_loader import ImageLoader
from squeezeapp.ui.inference_worker import InferenceResult, InferenceWorker, LoadedModel
from squeezeapp.ui.overlay import LiveStats
from squeezeapp.ui.settings import AppSettings, load_geometry, save_geometry
from squeezeapp.ui.snapshot import default_snapshot_dir, save_snapshot

logger = logging.getLogger(__name__)

RESOLUTIONS: tuple[tuple[int, int] | None, ...] = (None, (640, 480), (1280, 720), (1920, 1080))
STATS_INTERVAL_MS = 250
MESSAGE_MS = 10_000


class MainWindow(QMainWindow):
    resultShown = Signal(object)  # InferenceResult, after it reached the view
    errorShown = Signal(str)

    def __init__(self, store: QSettings, model: str | None = None,
                 session: SessionSettings | None = None, retry_interval_s: float = 3.0,
                 snapshot_dir: Path | None = None) -> None:
        super().__init__()
        self.store = store
        self.prefs = AppSettings.load(store)
        if model:
            self.prefs = replace(self.prefs, model=model)
        if session is not None:
            self.prefs = replace(self.prefs, threads=session.threads,
                                 provider=session.provider or "auto")
        self.snapshot_dir = snapshot_dir or default_snapshot_dir()
        self.setWindowTitle(APP_NAME)
        self.setAcceptDrops(True)
        self.resize(1100, 720)

        self.view = FrameView(self)
        self.setCentralWidget(self.view)
        self.images: list[Path] = []
        self.image_index = 0
        self.live_source: FrameSource | None = None
        self.still_results: dict[str, InferenceResult] = {}
        self.loaded_model: LoadedModel | None = None
        self.last_error = ""
        self.last_result: InferenceResult | None = None
        self.cameras: list[CameraInfo] | None = None
        self._paste_count = 0
        self.display_meter = RateMeter()
        self.inference_meter = RateMeter()
        self.latency = LatencyStats()

        self.inference = InferenceWorker(parent=self)
        self.capture = CaptureWorker(retry_interval_s, parent=self)
        self.loader = ImageLoader(parent=self)
        self._probe: CameraProbe | None = None
        self._download: ModelDownload | None = None
        self._connect_workers()
        self._build_status_bar()
        self._build_menus()

        self._stats_timer = QTimer(self)
        self._stats_timer.setInterval(STATS_INTERVAL_MS)
        self._stats_timer.timeout.connect(self._refresh_stats)
        self._stats_timer.start()

        geometry = load_geometry(store)
        if geometry is not None:
            self.restoreGeometry(geometry)
        for worker in (self.inference, self.capture, self.loader):
            worker.start()
        self.inference.set_smoothing(self.prefs.smoothing)
        self._load_initial_model()

    # --- wiring -----------------------------------------------------------------------------
    def _connect_workers(self) -> None:
        # straight from the capture thread into the inference slot: no GUI-thread hop
        self.capture.frameReady.connect(self._submit_from_capture,
                                        Qt.ConnectionType.DirectConnection)
        self.capture.frameReady.connect(self._on_live_frame)
        self.capture.sourceOpened.connect(self._on_source_opened)
        self.capture.sourceLost.connect(self.show_error)
        self.capture.sourceFailed.connect(self.show_error)
        self.capture.sourceEnded.connect(self.notify)
        self.loader.imageLoaded.connect(self._on_image_loaded)
        self.loader.imageFailed.connect(self._on_image_failed)
        self.inference.resultReady.connect(self._on_result)
        self.inference.modelLoaded.connect(self._on_model_loaded)
        self.inference.modelFailed.connect(self._on_model_failed)
        self.inference.failed.connect(self.show_error)
        self.view.frameDisplayed.connect(lambda _id: self.display_meter.tick())

    def _submit_from_capture(self, frame: Frame, _image: QImage) -> None:
        """Runs on the capture thread: hand the frame to inference (a mutex swap, no waiting)."""
        self.inference.submit(frame)

    def _build_status_bar(self) -> None:
        self.model_label = QLabel("Model: loading…")
        self.provider_label = QLabel("")
        self.source_label = QLabel("No source")
        for label, name in ((self.model_label, "Model"), (self.provider_label, "Provider"),
                            (self.source_label, "Source")):
            label.setAccessibleName(name)
            label.setContentsMargins(10, 0, 10, 0)
            self.statusBar().addPermanentWidget(label)

    def _action(self, menu: QMenu, text: str, slot, shortcut=None, checkable=False,
                checked=False) -> QAction:
        action = QAction(text, self)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        action.setCheckable(checkable)
        if checkable:
            action.setChecked(checked)
            action.toggled.connect(slot)
        else:
            action.triggered.connect(slot)
        menu.addAction(action)
        return action

    def _build_menus(self) -> None:
        bar = self.menuBar()
        file_menu = bar.addMenu("&File")
        self._action(file_menu, "Open &Image…", self.choose_images, QKeySequence.StandardKey.Open)
        self._action(file_menu, "Open &Folder…", self.choose_folder, "Ctrl+Shift+O")
        self._action(file_menu, "Open &Video…", self.choose_video, "Ctrl+Shift+V")
        self._action(file_menu, "&Paste Image", self.paste, QKeySequence.StandardKey.Paste)
        file_menu.addSeparator()
        self._action(file_menu, "&Save Snapshot", self.snapshot, QKeySequence.StandardKey.Save)
        file_menu.addSeparator()
        self._action(file_menu, "&Quit", self.close, QKeySequence.StandardKey.Quit)

        self.camera_menu = bar.addMenu("&Camera")
        self.camera_menu.aboutToShow.connect(self._fill_camera_menu)
        self.mirror_action = QAction("&Mirror", self, checkable=True)
        self.mirror_action.setShortcut(QKeySequence("Ctrl+M"))
        self.mirror_action.setChecked(self.prefs.mirror)
        self.mirror_action.toggled.connect(self.set_mirror)
        self.addAction(self.mirror_action)
        self.resolution_group = QActionGroup(self)
        for resolution in RESOLUTIONS:
            text = f"{resolution[0]}×{resolution[1]}" if resolution else "Camera default"
            action = QAction(text, self.resolution_group, checkable=True)
            action.setData(resolution)
            action.setChecked(resolution == self.prefs.resolution)
        self.resolution_group.triggered.connect(
            lambda action: self.set_resolution(action.data()))
        self.camera_action = QAction("Open &Camera", self)
        self.camera_action.setShortcut(QKeySequence("Ctrl+K"))
        self.camera_action.triggered.connect(lambda: self.open_camera(self.prefs.camera))
        self.addAction(self.camera_action)

        view_menu = bar.addMenu("&View")
        self.pause_action = self._action(view_menu, "&Pause / Resume", self.toggle_pause,
                                         Qt.Key.Key_Space)
        self._action(view_menu, "P&revious Image", self.previous_image, Qt.Key.Key_Left)
        self._action(view_menu, "&Next Image", self.next_image, Qt.Key.Key_Right)
        view_menu.addSeparator()
        self.smoothing_action = self._action(view_menu, "&Smooth Live Predictions",
                                             self.set_smoothing, "Ctrl+T", checkable=True,
                                             checked=self.prefs.smoothing)
        self.loop_action = self._action(view_menu, "&Loop Videos", self.set_loop, "Ctrl+L",
                                        checkable=True, checked=self.prefs.loop_video)
        self._action(view_menu, "&Full Screen", self.toggle_full_screen,
                     QKeySequence.StandardKey.FullScreen)

        self.model_menu = bar.addMenu("&Model")
        self.model_menu.aboutToShow.connect(self._fill_model_menu)
        help_menu = bar.addMenu("&Help")
        self._action(help_menu, "&About squeezeapp", self.about,
                     QKeySequence.StandardKey.HelpContents)
        self._fill_camera_menu()
        self._fill_model_menu()

    def _fill_camera_menu(self) -> None:
        menu = self.camera_menu
        menu.clear()
        if self.cameras is None:
            searching = menu.addAction("Searching for cameras…")
            searching.setEnabled(False)
            self.rescan_cameras()
        elif not self.cameras:
            none = menu.addAction("No camera found")
            none.setEnabled(False)
        for camera in self.cameras or []:
            action = menu.addAction(camera.label)
            action.triggered.connect(lambda _=False, i=camera.index: self.open_camera(i))
        menu.addAction(self.camera_action)
        menu.addSeparator()
        resolution_menu = menu.addMenu("&Resolution")
        resolution_menu.addActions(self.resolution_group.actions())
        menu.addAction(self.mirror_action)
        rescan = menu.addAction("Search &Again")
        rescan.triggered.connect(self.rescan_cameras)

    def _fill_model_menu(self) -> None:
        menu = self.model_menu
        menu.clear()
        current = self.loaded_model.path.resolve() if self.loaded_model else None
        group = QActionGroup(menu)
        for path in local_model_paths():
            action = QAction(path.stem, group, checkable=True)
            action.setToolTip(str(path))
            action.setChecked(path.resolve() == current)
            action.triggered.connect(lambda _=False, p=path: self.load_model(str(p)))
            menu.addAction(action)
        menu.addSeparator()
        open_model = menu.addAction("&Open Model File…")
        open_model.triggered.connect(self.choose_model)
        download = menu.addAction(f"&Download {ZOO_MODEL.name}…")
        download.triggered.connect(self.download_default_model)
        threads_menu = menu.addMenu("Inference &Threads")
        thread_group = QActionGroup(threads_menu)
        for count in (None, *range(1, min(8, os.cpu_count() or 1) + 1)):
            action = QAction("Automatic" if count is None else str(count), thread_group,
                             checkable=True)
            action.setChecked(count == self.prefs.threads)
            action.triggered.connect(lambda _=False, n=count: self.set_threads(n))
            threads_menu.addAction(action)
        provider_menu = menu.addMenu("Execution &Provider")
        provider_group = QActionGroup(provider_menu)
        for name in provider_choices():
            action = QAction(name.upper() if name != "auto" else "Automatic (best available)",
                             provider_group, checkable=True)
            action.setChecked(name == self.prefs.provider)
            action.triggered.connect(lambda _=False, n=name: self.set_provider(n))
            provider_menu.addAction(action)

    # --- models -----------------------------------------------------------------------------
    def _session(self) -> SessionSettings:
        return SessionSettings(threads=self.prefs.threads, provider=self.prefs.provider)

    def _load_initial_model(self) -> None:
        try:
            resolve_model_path(self.prefs.model)
        except ModelError as error:
            if self.prefs.model:  # a remembered model that went away: fall back to the default
                self.prefs = replace(self.prefs, model=None)
                self._load_initial_model()
                return
            self.model_label.setText("Model: none")
            self.show_error(str(error))
            QTimer.singleShot(0, self._offer_first_run)
            return
        self.inference.load_model(self.prefs.model, self._session())

    def load_model(self, model: str | None) -> None:
        self.model_label.setText("Model: loading…")
        self.prefs = replace(self.prefs, model=model)
        self.inference.load_model(model, self._session())

    def set_threads(self, threads: int | None) -> None:
        self.prefs = replace(self.prefs, threads=threads)
        self.load_model(self.prefs.model)

    def set_provider(self, provider: str) -> None:
        self.prefs = replace(self.prefs, provider=provider)
        self.load_model(self.prefs.model)

    def _on_model_loaded(self, loaded: LoadedModel) -> None:
        switched = self.loaded_model is not None
        self.loaded_model = loaded
        self.still_results.clear()
        self.model_label.setText(f"Model: {loaded.name}")
        threads = f"{loaded.threads} threads" if loaded.threads else "auto threads"
        note = "" if loaded.provider != "CPU" or self.prefs.provider in ("cpu",) else \
            " (no accelerator found)"
        self.provider_label.setText(f"Provider: {loaded.provider}{note} · {threads}")
        self.notify(f"Loaded {loaded.name} on {loaded.provider}")
        frame = self.view.frame
        if switched and frame is not None and not frame.live:  # re-classify the still shown
            self.inference.submit(frame)

    def _on_model_failed(self, message: str) -> None:
        self.model_label.setText(f"Model: {self.loaded_model.name}" if self.loaded_model
                                 else "Model: none")
        self.show_error(message)

    def _offer_first_run(self) -> None:
        box = QMessageBox(self)
        box.setObjectName("first-run")
        box.setWindowTitle("No model found")
        box.setIcon(QMessageBox.Icon.Information)
        box.setText("squeezeapp needs a SqueezeNet model to classify pictures.")
        box.setInformativeText(f"Download the official ONNX Model Zoo model "
                               f"({ZOO_MODEL.model.size / 1e6:.1f} MB), or open a model file "
                               "you already have.")
        download = box.addButton("Download", QMessageBox.ButtonRole.AcceptRole)
        open_file = box.addButton("Open Model File…", QMessageBox.ButtonRole.ActionRole)
        box.addButton("Not Now", QMessageBox.ButtonRole.RejectRole)
        download.clicked.connect(self.download_default_model)
        open_file.clicked.connect(self.choose_model)
        box.open()
        self.first_run_box = box

    def download_default_model(self) -> None:
        if self._download is not None:
            return
        dialog = QProgressDialog(f"Downloading {ZOO_MODEL.name}…", "Cancel", 0, 100, self)
        dialog.setWindowTitle("Downloading model")
        dialog.setMinimumDuration(0)
        job = ModelDownload(ZOO_MODEL, self)
        job.progress.connect(lambda done, total: dialog.setValue(
            int(done * 100 / total) if total else 0))
        dialog.canceled.connect(job.cancel)

        def finished(path: str | None, error: str | None) -> None:
            dialog.reset()
            job.wait()
            self._download = None
            if error:
                self.show_error(error)
            else:
                self.notify(f"Downloaded {path}")
                self.load_model(path)

        job.finished_ok.connect(lambda path: finished(path, None))
        job.failed.connect(lambda message: finished(None, message))
        self._download = job
        job.start()

    # --- sources ----------------------------------------------------------------------------
    def open_source_text(self, text: str) -> None:
        """The --source argument: camera:N, a video, an image or a folder."""
        kind, value = parse_source(text)
        if kind == "camera":
            self.open_camera(int(value))
        else:
            self.open_paths([Path(value)])

    def open_camera(self, index: int) -> None:
        self.prefs = replace(self.prefs, camera=index)
        name = next((c.name for c in self.cameras or [] if c.index == index), None)
        self.open_live(CameraSource(index, self.prefs.resolution, self.prefs.mirror, name))

    def open_video(self, path: Path) -> None:
        self.open_live(VideoFileSource(path, loop=self.prefs.loop_video))

    def open_live(self, source: FrameSource) -> None:
        """Start a live source (camera, video, or a test's fake camera)."""
        self.images = []
        self.live_source = source
        self.source_label.setText(f"Opening {source.description}…")
        self.view.set_badge("")
        self.capture.set_source(source)

    def _stop_live(self) -> None:
        if self.live_source is not None:
            self.capture.set_source(None)
            self.live_source = None

    def open_paths(self, paths: list[Path]) -> None:
        """Files and folders from a dialog, a drop or a paste: images become a browsable list;
        a single video plays."""
        videos = [p for p in paths if p.is_file() and is_video_path(p)]
        if videos and len(paths) == 1:
            self.open_video(videos[0])
            return
        images = [p for p in expand_image_paths(p for p in paths if p not in videos)]
        if not images:
            names = ", ".join(p.name or str(p) for p in paths)
            self.show_error(f"No images found in {names}")
            return
        self.open_images(images)

    def open_images(self, images: list[Path], start: int = 0) -> None:
        self._stop_live()
        self.images = list(images)
        self.show_image_at(start)

    def show_image_at(self, index: int) -> None:
        if not self.images:
            return
        self.image_index = max(0, min(index, len(self.images) - 1))
        path = self.images[self.image_index]
        self.view.set_badge(f"{self.image_index + 1} / {len(self.images)}"
                            if len(self.images) > 1 else "")
        self.source_label.setText(f"Source: {path.name}")
        self.loader.request(path)

    def next_image(self) -> None:
        if self.image_index + 1 < len(self.images):
            self.show_image_at(self.image_index + 1)

    def previous_image(self) -> None:
        if self.image_index > 0:
            self.show_image_at(self.image_index - 1)

    def _on_image_loaded(self, frame: Frame, image: QImage) -> None:
        current = self.images[self.image_index] if self.images else None
        if current is None or frame.source != str(current):
            return  # the user already moved on
        self._show_still(frame, image)

    def _show_still(self, frame: Frame, image: QImage) -> None:
        self.view.show_frame(frame, image)
        self.view.set_stats(None)
        cached = self.still_results.get(frame.source)
        if cached is not None:
            self.view.show_result(cached)
        else:
            self.inference.submit(frame)

    def _on_image_failed(self, path: str, message: str) -> None:
        self.show_error(message)
        if not self.images or str(self.images[self.image_index]) != path:
            return  # not the picture being shown (the user moved on, or a pasted file)
        del self.images[self.image_index]  # skip it from now on; the file itself is untouched
        if self.images:
            self.show_image_at(min(self.image_index, len(self.images) - 1))
        elif self.view.frame is None or self.view.frame.source == path:
            self.view.clear()
            self.source_label.setText("No source")

    def _on_live_frame(self, frame: Frame, image: QImage) -> None:
        if self.live_source is None or frame.source != self.live_source.key:
            return  # a late frame from a source that was just replaced
        self.view.show_frame(frame, image)

    def _on_source_opened(self, description: str) -> None:
        self.source_label.setText(f"Source: {description}")
        self.notify(f"Playing {description}")

    # --- results ----------------------------------------------------------------------------
    def _on_result(self, result: InferenceResult) -> None:
        self.inference_meter.tick()
        self.latency.add(result.latency_ms)
        self.last_result = result
        if not result.live:
            self.still_results[result.source] = result
        frame = self.view.frame
        if frame is not None and frame.source == result.source:
            self.view.set_caption(f"Top {len(result.predictions)}  ·  {result.model}")
            self.view.show_result(result)
            self.resultShown.emit(result)

    def _refresh_stats(self) -> None:
        frame = self.view.frame
        if frame is None or not frame.live:
            return
        self.view.set_stats(LiveStats(self.display_meter.rate(), self.inference_meter.rate(),
                                      self.latency.latest, self.inference.dropped))

    # --- user actions -----------------------------------------------------------------------
    def choose_images(self) -> None:
        patterns = " ".join(f"*{ext}" for ext in sorted(IMAGE_EXTENSIONS))
        files, _ = QFileDialog.getOpenFileNames(self, "Open Images", "",
                                                f"Images ({patterns});;All files (*)")
        if files:
            self.open_paths([Path(f) for f in files])

    def choose_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Open Folder")
        if folder:
            self.open_paths([Path(folder)])

    def choose_video(self) -> None:
        patterns = " ".join(f"*{ext}" for ext in sorted(VIDEO_EXTENSIONS))
        file, _ = QFileDialog.getOpenFileName(self, "Open Video", "",
                                              f"Videos ({patterns});;All files (*)")
        if file:
            self.open_video(Path(file))

    def choose_model(self) -> None:
        file, _ = QFileDialog.getOpenFileName(self, "Open Model", "", "ONNX models (*.onnx)")
        if file:
            self.load_model(file)

    def paste(self) -> None:
        self.accept_mime(QGuiApplication.clipboard().mimeData())

    def accept_mime(self, mime: QMimeData | None) -> bool:
        """Files, folders or image data, from a drop or the clipboard."""
        if mime is None:
            return False
        local = [Path(url.toLocalFile()) for url in mime.urls() if url.isLocalFile()]
        if local:
            self.open_paths(local)
            return True
        if mime.hasImage():
            image = mime.imageData()
            if isinstance(image, QImage) and not image.isNull():
                self.show_pasted_image(image)
                return True
        self.show_error("Nothing to open: paste or drop image files, folders or a picture")
        return False

    def show_pasted_image(self, image: QImage) -> None:
        self._stop_live()
        self.images = []
        self._paste_count += 1
        frame = Frame.capture(qimage_to_bgr(image), f"clipboard:{self._paste_count}", live=False)
        self.source_label.setText("Source: pasted image")
        self.view.set_badge("")
        self._show_still(frame, image.copy())

    def toggle_pause(self) -> None:
        if self.live_source is None:
            return
        paused = not self.capture.paused
        self.capture.set_paused(paused)
        self.view.set_badge("Paused" if paused else "")

    def set_smoothing(self, enabled: bool) -> None:
        self.prefs = replace(self.prefs, smoothing=enabled)
        self.inference.set_smoothing(enabled)

    def set_loop(self, enabled: bool) -> None:
        self.prefs = replace(self.prefs, loop_video=enabled)
        if isinstance(self.live_source, VideoFileSource):
            self.live_source.loop = enabled

    def set_mirror(self, enabled: bool) -> None:
        self.prefs = replace(self.prefs, mirror=enabled)
        if isinstance(self.live_source, CameraSource):
            self.open_camera(self.live_source.index)

    def set_resolution(self, resolution: tuple[int, int] | None) -> None:
        self.prefs = replace(self.prefs, resolution=resolution)
        if isinstance(self.live_source, CameraSource):
            self.open_camera(self.live_source.index)

    def rescan_cameras(self) -> None:
        if self._probe is not None and self._probe.isRunning():
            return
        self._probe = CameraProbe(self)
        self._probe.found.connect(self._on_cameras_found)
        self._probe.start()

    def _on_cameras_found(self, cameras: list[CameraInfo]) -> None:
        self.cameras = cameras
        if not cameras:
            self.notify("No camera found: drop images or open a video instead")
        if self.camera_menu.isVisible():
            self._fill_camera_menu()

    def toggle_full_screen(self) -> None:
        self.showNormal() if self.isFullScreen() else self.showFullScreen()

    def snapshot(self) -> Path | None:
        frame = self.view.frame
        if frame is None:
            self.show_error("Nothing to save yet: open a picture or a camera first")
            return None
        try:
            path = save_snapshot(self.snapshot_dir, self.view.grab().toImage(), frame.source,
                                 self.view.result, self.view.result_is_stale)
        except OSError as error:
            self.show_error(f"Snapshot not saved: {error}")
            return None
        self.notify(f"Saved {path} (and .json)")
        return path

    def about(self) -> None:
        QMessageBox.about(self, f"About {APP_NAME}",
                          f"<b>{APP_NAME} {__version__}</b><p>SqueezeNet 1.1 on onnxruntime, "
                          "classifying camera frames, videos and images.</p>")

    # --- messages ---------------------------------------------------------------------------
    def notify(self, message: str) -> None:
        logger.info("%s", message)
        self.statusBar().showMessage(message, MESSAGE_MS)

    def show_error(self, message: str) -> None:
        logger.warning("%s", message)
        self.last_error = message
        self.statusBar().showMessage(f"⚠ {message}", MESSAGE_MS)
        self.errorShown.emit(message)

    # --- drag and drop ----------------------------------------------------------------------
    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        mime = event.mimeData()
        if mime.hasUrls() or mime.hasImage():
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        if self.accept_mime(event.mimeData()):
            event.acceptProposedAction()

    # --- shutdown ---------------------------------------------------------------------------
    def closeEvent(self, event: QCloseEvent) -> None:
        self.prefs.save(self.store)
        save_geometry(self.store, self.saveGeometry())
        self.store.sync()
        self.shutdown()
        super().closeEvent(event)

    def shutdown(self) -> None:
        """Stop and join every thread; the capture thread releases the camera as it ends."""
        self._stats_timer.stop()
        if self._download is not None:
            self._download.cancel()
        for worker in (self.capture, self.loader, self.inference):
            worker.stop()
        for worker in (self.capture, self.loader, self.inference, self._probe, self._download):
            if worker is not None:
                worker.wait()

