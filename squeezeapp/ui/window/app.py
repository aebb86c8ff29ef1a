"""Starting the window: QApplication, the main window, quitting on SIGINT/SIGTERM, and the
--exit-after measurement hook. Takes `GuiOptions`, never the command line's namespace."""

from __future__ import annotations

import contextlib
import gc
import json
import logging
import signal
import socket
import sys
import time
from pathlib import Path

from PySide6.QtCore import (
    QBuffer,
    QByteArray,
    QEvent,
    QIODevice,
    QObject,
    QSocketNotifier,
    QTimer,
)
from PySide6.QtGui import QFileOpenEvent, QIcon
from PySide6.QtWidgets import QApplication

from squeezeapp import APP_NAME, __version__
from squeezeapp.core.common.files import describe_os_error, write_atomic
from squeezeapp.core.measure.metrics import GapTracker, process_age_s
from squeezeapp.core.models.paths import resources_dir
from squeezeapp.ui.common.options import GuiOptions
from squeezeapp.ui.common.settings import open_settings
from squeezeapp.ui.window.main_window import MainWindow

logger = logging.getLogger(__name__)

HEARTBEAT_MS = 5
_STARTED = time.perf_counter()
_AGE_AT_IMPORT = process_age_s()  # how long the process had run when this module was imported


class MetricsRecorder:
    """Collects what --metrics-json reports, from the real window's signals."""

    def __init__(self, window: MainWindow) -> None:
        self.window = window
        self.gaps = GapTracker()
        self.first_frame_s: float | None = None
        self.first_prediction_s: float | None = None
        self.window_shown_s: float | None = None
        self.heartbeat = QTimer(window)
        self.heartbeat.setInterval(HEARTBEAT_MS)
        self.heartbeat.timeout.connect(self.gaps.beat)
        window.view.frameDisplayed.connect(self._on_frame)
        window.session.resultShown.connect(self._on_result)
        window.results.pageChanged.connect(self._on_results_page)

    def _on_results_page(self, shown: bool) -> None:
        if shown and not self.heartbeat.isActive():
            self.heartbeat.start()  # and while a folder's results come in

    def _on_frame(self, _frame_id: int) -> None:
        if self.first_frame_s is None:
            self.first_frame_s = time.perf_counter() - _STARTED
            self.heartbeat.start()  # stalls are measured while frames flow

    def _on_result(self, _result) -> None:
        if self.first_prediction_s is None:
            self.first_prediction_s = time.perf_counter() - _STARTED

    def snapshot(self) -> dict[str, object]:
        session = self.window.session
        last, loaded = session.last_result, session.loaded
        return {
            "frames_displayed": session.display_meter.count,
            "display_fps": round(session.display_meter.overall_rate(), 2),
            "predictions": session.inference_meter.count,
            "inference_fps": round(session.inference_meter.overall_rate(), 2),
            # null until something was classified, like first_frame_s (0.0 would read as fast)
            "latency_ms_p50": _round(session.latency.percentile(50)) if len(session.latency)
            else None,
            "latency_ms_p95": _round(session.latency.percentile(95)) if len(session.latency)
            else None,
            "dropped_frames": session.inference.dropped,
            # a video file: where it is (seconds) and the frames passed over to keep real time
            "video_position_s": _round(session.frame.position_s) if session.frame else None,
            "video_frames_skipped": session.capture.skipped,
            "gui_stall_ms_max": round(self.gaps.max_gap_ms, 2),
            "top1_label": last.predictions[0].label if last else None,
            **self._results(),
            "model": loaded.name if loaded else None,
            "provider": loaded.provider if loaded else None,
            "window_shown_s": _round(self.window_shown_s),
            "first_frame_s": _round(self.first_frame_s),
            "first_prediction_s": _round(self.first_prediction_s),
            # the same moments counted from the process's start (Linux), imports included
            "window_shown_since_launch_s": _since_launch(self.window_shown_s),
            "first_prediction_since_launch_s": _since_launch(self.first_prediction_s),
            "max_rss_mb": _max_rss_mb(),
        }

    def _results(self) -> dict[str, object]:
        """The folder's batch, when one was opened: rows done and the classify rate."""
        view = self.window.results.view
        if not view.model.total:
            return {}
        summary = view.last_summary
        return {"results_total": view.model.total, "results_done": view.model.done,
                "results_finished": summary is not None,
                "results_images_per_s": round(view.images_per_s(), 1)}


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 3)


def _since_launch(since_import: float | None) -> float | None:
    if since_import is None or _AGE_AT_IMPORT is None:
        return None
    return _round(_AGE_AT_IMPORT + since_import)


def _max_rss_mb() -> float | None:
    try:
        import resource
    except ImportError:  # Windows
        return None
    scale = 1 / 1024 if sys.platform != "darwin" else 1 / (1024 * 1024)
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale, 1)


def create_application(argv: list[str] | None = None) -> QApplication:
    existing = QApplication.instance()
    app = existing if isinstance(existing, QApplication) else QApplication(argv or [sys.argv[0]])
    app.setApplicationName(APP_NAME)
    app.setOrganizationName(APP_NAME)
    app.setApplicationVersion(__version__)
    app.setDesktopFileName(APP_NAME)  # Wayland app id: the .desktop entry's icon and name
    icon = resources_dir() / "icons" / "squeezeapp.svg"
    if icon.is_file():
        app.setWindowIcon(QIcon(str(icon)))
    return app


class FileOpenForwarder(QObject):
    """Opens files that macOS hands the running app (Finder's "Open With", the Dock icon).

    macOS delivers those as QFileOpenEvent to the application, never in argv.
    """

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.FileOpen and isinstance(event, QFileOpenEvent):
            self.window.opener.open_text(event.file())
            return True
        return super().eventFilter(watched, event)


class EarlySignals:
    """Ctrl+C or SIGTERM while the window is being made (model loading, first paint) is
    remembered, not lost, and answered as soon as `QuitOnSignals` is in place."""

    def __init__(self) -> None:
        self.received: list[int] = []
        self.previous = {s: signal.signal(s, lambda number, _frame: self.received.append(number))
                         for s in QuitOnSignals.SIGNALS}


class QuitOnSignals(QObject):
    """SIGINT (Ctrl+C in the terminal) and SIGTERM close the window as Quit would: settings
    saved, threads joined; the exit status is 128 + the signal's number, with no traceback.

    Python runs signal handlers only between bytecodes, never while Qt's loop waits in C++; the
    C-level handler writes the signal number to a socket (`signal.set_wakeup_fd`), whose
    notifier wakes the loop at once.
    """

    SIGNALS = tuple(s for s in (signal.SIGINT, getattr(signal, "SIGTERM", None)) if s)

    def __init__(self, window: MainWindow, early: EarlySignals | None = None) -> None:
        super().__init__(window)
        self.window = window
        self.exit_code: int | None = None
        self._reader, self._writer = socket.socketpair()
        for end in (self._reader, self._writer):
            end.setblocking(False)
        self._previous_fd = signal.set_wakeup_fd(self._writer.fileno())
        handlers = {s: signal.signal(s, lambda *_: None) for s in self.SIGNALS}
        self._previous = early.previous if early is not None else handlers
        self._notifier = QSocketNotifier(self._reader.fileno(), QSocketNotifier.Type.Read, self)
        self._notifier.activated.connect(self._on_wakeup)
        if early is not None and early.received:  # Ctrl+C while the window was being made
            QTimer.singleShot(0, lambda: self._quit(early.received[0]))

    def _quit(self, number: int) -> None:
        if self.exit_code is None:
            self.exit_code = 128 + number
            logger.info("signal %d: quitting", number)
            self.window.close()
            QApplication.exit(self.exit_code)

    def _on_wakeup(self) -> None:
        with contextlib.suppress(OSError):
            received = self._reader.recv(64)
            if numbers := [n for n in received if n in self.SIGNALS]:
                self._quit(numbers[0])

    def restore(self) -> None:
        signal.set_wakeup_fd(self._previous_fd)
        for number, handler in self._previous.items():
            signal.signal(number, handler)
        self._notifier.setEnabled(False)
        self._reader.close()
        self._writer.close()


FREEZE_EVERY_RESULTS = 1000


class CollectorTuning(QObject):
    """Keeps the garbage collector's pauses off the GUI thread's heartbeat.

    A full collection walks every object that may be in a cycle: the ~110,000 of the started
    window (modules, Qt wrappers, onnxruntime) took 50-200 ms on the shared 2-core box, and it
    runs on whichever thread triggers it, holding the GIL, so the GUI thread waits. Objects that
    live on move to the permanent generation (`gc.freeze`, O(1)), which collections skip (they
    are still freed when no longer referenced): at start, once the model has loaded, when a
    batch's model is ready (its paths and cache keys are made by then) and every 1,000 of its
    results (~8 objects per file, kept by the results cache). The young generations' garbage is
    collected first; a cycle that became garbage in the old generation is frozen too, and stays,
    as would one that dies after it was frozen. None was found: after one and after four batches
    a full collection, frozen objects included, found no cyclic garbage (scripts/results_stall.py
    reports it per run), so the frozen objects are all alive and a full collection at the end of
    a batch (120-150 ms of GUI pause for 10,000 files, measured) would free nothing.
    """

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self._results = 0
        gc.collect()
        gc.freeze()
        window.session.modelLoaded.connect(self.freeze_survivors)
        window.results.view.job.modelReady.connect(self.freeze_survivors)
        window.results.view.job.chunkReady.connect(self._on_chunk)
        window.results.view.finished.connect(self.freeze_survivors)

    def _on_chunk(self, chunk) -> None:
        self._results += len(chunk.results)
        if self._results >= FREEZE_EVERY_RESULTS:
            self.freeze_survivors()

    def freeze_survivors(self, *_args) -> None:
        self._results = 0
        gc.collect(1)
        gc.freeze()


def run_gui(options: GuiOptions) -> int:
    early = EarlySignals()
    app = create_application()
    window = MainWindow(open_settings(), options)
    recorder = MetricsRecorder(window)
    app.installEventFilter(FileOpenForwarder(window))
    quitter = QuitOnSignals(window, early)
    window.show()
    recorder.window_shown_s = time.perf_counter() - _STARTED
    CollectorTuning(window)
    if options.source:
        window.opener.open_text(options.source)
    if options.exit_after is not None:
        QTimer.singleShot(int(options.exit_after * 1000), lambda: _finish(
            window, recorder, options.metrics_json, options.screenshot))
    status = app.exec()
    quitter.restore()
    return quitter.exit_code if quitter.exit_code is not None else status


def _finish(window: MainWindow, recorder: MetricsRecorder, metrics_json: Path | None,
            screenshot: Path | None) -> None:
    recorder.heartbeat.stop()
    metrics = recorder.snapshot()
    try:  # files the user named on the command line: replaced, but whole or not at all
        if screenshot is not None:
            encoded = QByteArray()
            buffer = QBuffer(encoded)
            buffer.open(QIODevice.OpenModeFlag.WriteOnly)
            window.grab().save(buffer, "PNG")
            buffer.close()
            write_atomic(screenshot, bytes(encoded.data()), overwrite=True)
        if metrics_json is not None:
            write_atomic(metrics_json, json.dumps(metrics, indent=2) + "\n", overwrite=True)
    except OSError as error:  # the window still closes
        logger.error("could not write %s", describe_os_error(error))
    logger.info("metrics: %s", metrics)
    window.close()
