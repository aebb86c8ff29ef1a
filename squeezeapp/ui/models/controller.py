"""Which model runs: the start-up choice and its fallback, the user's switches, threads and
provider, the first-run dialog and the download with its progress dialog, and the Model menu.

A choice is remembered only once it has loaded and produced one result; a downloaded model once
it has loaded (validated: it works), so that quitting before the first picture does not lose it.
A remembered model that fails at start falls back to the default model (and says so), else to
the first-run dialog.
`--model/--threads/--provider` apply to this run only.

The Model menu lists each local model with its held-out accuracy and speed side by side
(`ModelProfile.menu_label`; the full profile and the file are the tooltip). Models are named by
their display name everywhere (core.model_names), the file a hover away. Listing reads the
model files, so it runs off the GUI thread each time the menu opens; the menu shows the last
list meanwhile and is filled again when the new one arrives.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QActionGroup
from PySide6.QtWidgets import QMenu, QMessageBox, QProgressDialog, QWidget

from squeezeapp.core.common.errors import DownloadCancelledError
from squeezeapp.core.inference.classifier import SessionSettings
from squeezeapp.core.models.download import download_known_model
from squeezeapp.core.models.lookup import COMMAND_LINE_ADVICE
from squeezeapp.core.models.registry import ZOO_MODEL, KnownModel
from squeezeapp.core.modeltools.profile import ModelProfile, ProfileCache, local_profiles
from squeezeapp.ui.common.canvas_message import Level, MessageAction, MessageBoard, Topic
from squeezeapp.ui.common.file_dialogs import DialogFolders, ask_model
from squeezeapp.ui.common.jobs import Job, JobContext, run_job
from squeezeapp.ui.common.menu_section import MenuSection
from squeezeapp.ui.common.options import GuiOptions
from squeezeapp.ui.common.settings import AppSettings
from squeezeapp.ui.live.model_loader import ModelRequest, Purpose
from squeezeapp.ui.live.payloads import InferenceResult, LoadedModel, ModelFailure
from squeezeapp.ui.live.session import LiveSession
from squeezeapp.ui.models.engine_menu import EngineMenu

logger = logging.getLogger(__name__)

START_PURPOSES = (Purpose.SAVED, Purpose.OVERRIDE)  # a failure of these falls back to the default
STALLED_AFTER_S = 3.0  # no byte for this long: the progress says it is waiting for the server


def _megabytes(count: int) -> str:
    return f"{count / 1e6:.1f} MB"


def _download_advice(message: str) -> str:
    """What to do, for what failed: a bad file is not a connection problem."""
    if "SHA-256 mismatch" in message:
        return ("The file that arrived is not the expected model (its checksum differs), so "
                "it was deleted: the server may have changed it, or something altered it on "
                "the way. Try again later, or open a model file you already have.")
    if "cannot write" in message or "cannot save" in message:
        return ("It could not be saved on this computer: free some disk space or check the "
                "folder's permissions, then try again.")
    if "no data for" in message or "too slow" in message or "not finished after" in message:
        return ("The server stopped sending. Try again later, or open a model file you "
                "already have.")
    return ("Check the internet connection and try again, or open a model file you already "
            "have.")


def _download_size(model: KnownModel) -> str:
    size = model.model.size if model.model is not None else None
    return _megabytes(size) if size else "size unknown"


class ModelController(QObject):
    labelsChanged = Signal(str, str, str)  # "Model: …", its file (tooltip), "Provider: …"
    modelsListed = Signal()  # `profiles` is new

    def __init__(self, session: LiveSession, board: MessageBoard, prefs: AppSettings,
                 remember: Callable[..., None], options: GuiOptions, window: QWidget) -> None:
        super().__init__(window)
        self.session, self.board, self.window = session, board, window
        self.remember = remember
        self.threads = options.threads if options.threads is not None else prefs.threads
        self.provider = options.provider or prefs.provider
        self._saved, self._override = prefs.model, options.model
        self._confirm: ModelRequest | None = None
        self._download: Job | None = None
        self.progress: QProgressDialog | None = None
        self._provider_text = ""
        self.first_run_box: QMessageBox | None = None
        self.dialog_folders = DialogFolders()  # the window hands over the app's remembered ones
        self.profiles: list[ModelProfile] | None = None  # None until the first listing ends
        self.listing = False
        self._profile_cache = ProfileCache()  # used by one listing thread at a time
        self.engine_menu: EngineMenu | None = None  # Model ▸ Execution Provider, once built
        self._measure_wanted = False  # the menu was opened: time the models (once per file)
        self._measuring = False  # the listing running times the models
        self._closing = threading.Event()  # the window is closing: a listing stops timing
        self._no_model_why: str | None = None  # the no-model card is up (for its buttons)
        self.details_box: QMessageBox | None = None
        self._progress_text = ""
        self._last_bytes_at = 0.0  # monotonic time of the download's last progress
        self._stall_timer = QTimer(self, interval=1000)
        self._stall_timer.timeout.connect(self._show_stall)
        session.modelLoaded.connect(self._on_loaded)
        session.modelFailed.connect(self._on_failed)
        session.resultShown.connect(self._on_result)

    @property
    def loaded(self) -> LoadedModel | None:
        return self.session.loaded

    # --- requests ---------------------------------------------------------------------------
    def start(self) -> None:
        if self._override:
            self._request(self._override, Purpose.OVERRIDE)
        elif self._saved:
            self._request(self._saved, Purpose.SAVED)
        else:
            self._request(None, Purpose.DEFAULT)

    def _request(self, wanted: str | Path | None, purpose: Purpose, long_run: bool = False,
                 **remember) -> None:
        """Load `wanted`. A model opens for a quick first prediction (auto keeps onnxruntime CPU,
        which opens fastest); the engine menu opens it again for the long run (`long_run`) on the
        engine measured fastest, once the first prediction is shown."""
        self.board.info(Topic.MODEL, "Loading model…", self._title(wanted))
        self.labelsChanged.emit("Model: loading…", str(wanted or ""), self._provider_text)
        self.session.load_model(ModelRequest(
            wanted, SessionSettings(threads=self.threads, provider=self.provider,
                                    expected_images=None if long_run else 1), purpose,
            tuple(remember.items())))

    def load_model(self, model: str | Path) -> None:
        """The user's choice (menu, file dialog): remembered once it has run."""
        self._request(model, Purpose.CHOICE, model=str(model))

    def set_threads(self, threads: int | None) -> None:
        self.threads = threads
        self._request(self._current_model(), Purpose.CHOICE, threads=threads)

    def set_provider(self, provider: str) -> None:
        self.provider = provider
        self._request(self._current_model(), Purpose.CHOICE, provider=provider)

    def model_path(self) -> str | None:
        """The model loaded now (or about to be): what a batch of files is classified with."""
        return self._current_model()

    def session_settings(self) -> SessionSettings:
        return SessionSettings(threads=self.threads, provider=self.provider)

    def _current_model(self) -> str | None:
        return str(self.loaded.path) if self.loaded else self._override or self._saved

    def _title(self, model: str | Path | None) -> str:
        """A requested model as people know it before it has loaded: its display name when the
        Model menu lists it, else its file name (reading the file is the loader's job)."""
        if not model:
            return "the default model"
        listed = next((p for p in self.profiles or [] if p.path == Path(model)), None)
        return listed.display_name if listed is not None else Path(model).name

    # --- outcomes ---------------------------------------------------------------------------
    def _on_loaded(self, request: ModelRequest, loaded: LoadedModel) -> None:
        self._no_model_why = None
        self.board.clear(Topic.MODEL, Level.INFO)
        if request.purpose is not Purpose.FALLBACK:
            self.board.clear(Topic.MODEL)
        self.board.clear(Topic.DOWNLOAD)
        threads = f"{loaded.threads} threads" if loaded.threads else "automatic threads"
        note = " (no accelerator found)" if loaded.provider == "CPU" and self.provider not in (
            "cpu", "auto") else ""
        self._provider_text = f"Provider: {loaded.provider}{note} · {threads}"
        self.labelsChanged.emit(f"Model: {loaded.display_name}", str(loaded.path),
                                self._provider_text)
        self.board.note(Level.INFO, f"Loaded {loaded.display_name} on {loaded.provider}")
        if self.engine_menu is not None:
            self.engine_menu.on_loaded(loaded, self.session_settings())
        self._confirm = request if request.remember else None
        if request.purpose is Purpose.DOWNLOAD and request.remember:
            self._confirm = None  # the user asked for this model and it loaded: keep it now
            self.remember(**dict(request.remember))

    def _on_result(self, result: InferenceResult) -> None:
        if self.engine_menu is not None:
            self.engine_menu.on_result()
        confirm = self._confirm
        if confirm is not None and self.loaded is not None and result.model == self.loaded.name:
            self._confirm = None
            self.remember(**dict(confirm.remember))

    def _on_failed(self, request: ModelRequest, failure: ModelFailure) -> None:
        self.board.clear(Topic.MODEL, Level.INFO)
        message = failure.detail
        details = (MessageAction("Details…", lambda: self.show_details(failure)),) \
            if failure.words != failure.detail else ()
        if request.purpose in START_PURPOSES:
            what = "remembered" if request.purpose is Purpose.SAVED else "--model"
            self.board.error(Topic.MODEL, f"The {what} model could not be loaded",
                             f"{self._title(request.model)}: {failure.words}\nUsing the default "
                             "model instead.", details)
            self._request(None, Purpose.FALLBACK, model=None)
        elif self.loaded is not None:
            self.labelsChanged.emit(f"Model: {self.loaded.display_name}", str(self.loaded.path),
                                    self._provider_text)
            self.board.error(Topic.MODEL, f"Could not load {self._title(request.model)}",
                             f"{failure.words}\nStill using {self.loaded.display_name}. Choose "
                             "another model in the Model menu, or open a model file.",
                             (*details, MessageAction("Open Model File…", self.choose_model)))
        else:
            first_run = request.purpose in (Purpose.DEFAULT, Purpose.FALLBACK)
            self._no_model(message, first_run=first_run)

    def show_details(self, failure: ModelFailure) -> None:
        """The technical reason behind a model's plain-words card (selectable, to report)."""
        box = QMessageBox(QMessageBox.Icon.Information, "Model details", failure.words,
                          QMessageBox.StandardButton.Close, self.window)
        box.setObjectName("model-details")
        box.setInformativeText(failure.detail)
        box.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        box.open()
        self.details_box = box

    def _no_model(self, why: str, first_run: bool) -> None:
        self._no_model_why = why.replace(COMMAND_LINE_ADVICE, "")  # the buttons advise here
        self.labelsChanged.emit("Model: none", "", "")
        self._show_no_model()
        if first_run and self.first_run_box is None:
            self._offer_first_run()

    def _show_no_model(self) -> None:
        """The no-model card; its Download button is greyed while a download runs."""
        if self._no_model_why is None or self.loaded is not None:
            return
        downloading = self.downloading
        self.board.error(
            Topic.MODEL, "No model loaded",
            "squeezeapp needs a SqueezeNet model to classify pictures: download the official "
            f"one ({_download_size(ZOO_MODEL)}) or open a model file you have."
            f"\n\n{self._no_model_why}",
            (MessageAction("Downloading…" if downloading else "Download",
                           self.download_default_model, enabled=not downloading),
             MessageAction("Open Model File…", self.choose_model)))

    def _offer_first_run(self) -> None:
        box = QMessageBox(self.window)
        box.setObjectName("first-run")
        box.setWindowTitle("No model found")
        box.setIcon(QMessageBox.Icon.Information)
        box.setText("squeezeapp needs a SqueezeNet model to classify pictures.")
        box.setInformativeText(f"Download the official ONNX Model Zoo model "
                               f"({_download_size(ZOO_MODEL)}), or open a model file "
                               "you already have.")
        download = box.addButton("Download", QMessageBox.ButtonRole.AcceptRole)
        open_file = box.addButton("Open Model File…", QMessageBox.ButtonRole.ActionRole)
        box.addButton("Not Now", QMessageBox.ButtonRole.RejectRole)
        download.clicked.connect(self.download_default_model)
        open_file.clicked.connect(self.choose_model)
        box.open()
        self.first_run_box = box

    # --- user actions -----------------------------------------------------------------------
    def choose_model(self) -> None:
        if (file := ask_model(self.window, self.dialog_folders)) is not None:
            self.load_model(str(file))

    def attach_menu(self, menu: QMenu) -> None:
        """Build `menu`'s fixed entries once; its model list is a `MenuSection` refreshed when
        the menu opens (listing the models again) and when a listing ends, in place, so an open
        menu stays open."""
        menu.setToolTipsVisible(True)
        models_end = menu.addSeparator()
        menu.addAction("&Open Model File…", self.choose_model)
        download = menu.addAction(
            f"&Download {ZOO_MODEL.name} ({_download_size(ZOO_MODEL)})…",
            self.download_default_model)
        download.setToolTip(ZOO_MODEL.description)  # says its accuracy: lower than the others'
        download.setStatusTip(ZOO_MODEL.description)
        threads_menu = menu.addMenu("Inference &Threads")
        self._thread_choices = QActionGroup(threads_menu)
        for count in (None, *range(1, min(8, os.cpu_count() or 1) + 1)):
            action = QAction("Automatic" if count is None else str(count),
                             self._thread_choices, checkable=True)
            action.setData(count)
            action.triggered.connect(lambda _=False, n=count: self.set_threads(n))
            threads_menu.addAction(action)
        self.engine_menu = EngineMenu(
            menu.addMenu("Execution &Provider"), lambda: self.provider, self.set_provider,
            lambda: self._request(self._current_model(), Purpose.CHOICE, long_run=True))
        self._menu_models = MenuSection(menu, models_end)
        self._model_choices: QActionGroup | None = None
        menu.aboutToShow.connect(lambda: self._refresh_menu(menu))
        self.modelsListed.connect(lambda: self.fill_menu(menu))
        self.list_models()
        self.fill_menu(menu)

    def _refresh_menu(self, menu: QMenu) -> None:
        """The Model menu is opening: show what is known now, and look again off the GUI
        thread, timing each model here this time (once per file)."""
        self.list_models(measure=True)
        self.fill_menu(menu)

    def list_models(self, measure: bool = False) -> None:
        """Profile the local models off the GUI thread (unchanged files are not read again);
        `measure` (once the menu is opened) also times each model here, once per file, so
        that every entry shows a speed beside its accuracy."""
        self._measure_wanted |= measure
        if self.listing:
            return
        self.listing = True
        self._measuring = self._measure_wanted
        cache, measuring, closing = self._profile_cache, self._measuring, self._closing
        # bound methods: a listing that ends after the window closed calls nothing
        run_job(lambda _ctx: local_profiles(cache, measuring, closing), name="model listing",
                returned=self._on_listed, errored=self._on_listing_failed)

    def _on_listing_failed(self, error: Exception) -> None:
        self._on_listed(self.profiles or [], error)

    def _on_listed(self, profiles: list[ModelProfile], error: Exception | None = None) -> None:
        self.listing = False
        if self._measure_wanted and not self._measuring and error is None:
            QTimer.singleShot(0, lambda: self.list_models(measure=True))  # asked for meanwhile
        if error is not None:
            self.board.note(Level.ERROR, f"Listing the models failed: {error}")
        if self.profiles == list(profiles):
            return  # an open menu is not rebuilt under the pointer for nothing
        self.profiles = list(profiles)
        self.modelsListed.emit()

    def fill_menu(self, menu: QMenu) -> None:
        """The models found, the loaded one checked, and the current thread/provider choices."""
        current = self.loaded.path.resolve() if self.loaded else None
        if self._model_choices is not None:
            self._model_choices.deleteLater()  # after its actions leave the menu, below
        group = self._model_choices = QActionGroup(menu)
        entries = []
        if not self.profiles:
            waiting = self.listing or self.profiles is None
            note = QAction("Looking for models…" if waiting else "No models found", menu)
            note.setEnabled(False)
            entries.append(note)
        for profile in self.profiles or []:
            path = profile.path
            action = QAction(profile.menu_label.replace("&", "&&"), group, checkable=True)
            action.setToolTip(f"{profile.summary}\n{path}")
            action.setStatusTip(str(path))
            action.setData(str(path))
            action.setChecked(path.resolve() == current)
            action.triggered.connect(lambda _=False, p=path: self.load_model(str(p)))
            entries.append(action)
        self._menu_models.replace(entries)
        for action in self._thread_choices.actions():
            action.setChecked(action.data() == self.threads)
        if self.engine_menu is not None:
            self.engine_menu.refresh()

    # --- download ---------------------------------------------------------------------------
    @property
    def downloading(self) -> bool:
        return self._download is not None

    def download_default_model(self) -> None:
        if self._download is not None:
            return
        dialog = self.progress = QProgressDialog(
            f"Downloading {ZOO_MODEL.name}: connecting…", "Cancel", 0, 0, self.window)
        dialog.setObjectName("download-progress")
        dialog.setWindowTitle("Downloading model")
        dialog.setMinimumDuration(0)
        dialog.setAutoClose(False)
        dialog.setAutoReset(False)
        dialog.canceled.connect(self.cancel_download)
        self.board.clear(Topic.DOWNLOAD)
        self.board.info(Topic.DOWNLOAD, f"Downloading {ZOO_MODEL.name}…")
        self._progress_text = f"Downloading {ZOO_MODEL.name}: connecting…"
        self._last_bytes_at = time.monotonic()
        self._stall_timer.start()
        dialog.show()
        job = Job(_download_zoo_model, "model download")
        job.progressed.connect(self._on_progress)
        job.returned.connect(lambda path: self._on_downloaded(job, path))
        job.errored.connect(lambda error: self._on_download_failed(job, error))
        self._download = job.start()
        self._show_no_model()  # its Download button greys out while this runs

    def _on_progress(self, progress: tuple[int, int | None]) -> None:
        if self.progress is None:
            return
        done, total = progress
        self._last_bytes_at = time.monotonic()
        if total:
            self.progress.setRange(0, 1000)
            self.progress.setValue(min(1000, int(done * 1000 / total)))
            self._progress_text = (f"Downloading {ZOO_MODEL.name}: {_megabytes(done)} of "
                                   f"{_megabytes(total)}")
        else:
            self._progress_text = f"Downloading {ZOO_MODEL.name}: {_megabytes(done)}"
        self.progress.setLabelText(self._progress_text)

    def _show_stall(self) -> None:
        """A server that stops sending: the dialog says so and for how long (the download
        gives up by itself after its stall limit)."""
        if self.progress is None:
            return
        waited = time.monotonic() - self._last_bytes_at
        if waited >= STALLED_AFTER_S:
            self.progress.setLabelText(f"{self._progress_text}\nwaiting for the server…, "
                                       f"{waited:.0f} s")

    def _finish_download(self) -> None:
        self._download = None
        self._stall_timer.stop()
        if self.progress is not None:
            self.progress.hide()
            self.progress.deleteLater()
            self.progress = None
        self._show_no_model()  # Download is enabled again

    def cancel_download(self) -> None:
        """Cancel: the dialog goes at once; the thread notices the event within a fraction of a
        second and deletes its partial file."""
        if self._download is None:
            return
        self._download.quit()
        self._finish_download()
        self.board.clear(Topic.DOWNLOAD)
        self.board.note(Level.INFO, "Download cancelled")

    def _on_downloaded(self, job: Job, path: Path) -> None:
        if job.cancelled:
            return
        self._finish_download()
        self.board.clear(Topic.DOWNLOAD)
        self.board.note(Level.INFO, f"Downloaded {path}")
        self._request(path, Purpose.DOWNLOAD, model=str(path))

    def _on_download_failed(self, job: Job, error: Exception) -> None:
        if job.cancelled or isinstance(error, DownloadCancelledError):
            return
        self._finish_download()
        self.board.clear(Topic.DOWNLOAD)
        self.board.error(Topic.DOWNLOAD, "The model could not be downloaded",
                         f"{error}\n{_download_advice(str(error))}",
                         (MessageAction("Try Again", self.download_default_model),
                          MessageAction("Open Model File…", self.choose_model)))

    def shutdown(self, timeout_ms: int = 1000) -> None:
        """Cancel a download and give its thread a bounded time to delete its partial file."""
        if self.engine_menu is not None:
            self.engine_menu.shutdown()
        self._closing.set()
        download = self._download
        if download is not None:
            download.quit()
            self._finish_download()
            download.wait(timeout_ms / 1000)


def _download_zoo_model(ctx: JobContext) -> Path:
    """The download job: progress goes out as (bytes so far, total or None)."""
    return download_known_model(ZOO_MODEL, None, lambda done, total: ctx.report((done, total)),
                                ctx.cancel)
