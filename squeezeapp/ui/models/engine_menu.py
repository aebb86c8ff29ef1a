"""Model ▸ Execution Provider: Automatic and every engine, each with its measured ms, and the
background measurement that provider "auto" needs the first time a model runs here.

A model first opens for a quick first prediction (with "auto", onnxruntime CPU: OpenVINO spends
0.3-1 s compiling). Once that prediction is shown, either the engines are measured in a
background job (ui/common/jobs idiom; core.inference.auto_engine, about a second) when this
machine never measured the model, or the model is opened again on the engine measured fastest,
where that is another one. The menu shows the figures once they exist.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable
from dataclasses import replace
from functools import partial

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QAction, QActionGroup
from PySide6.QtWidgets import QMenu

from squeezeapp.core.inference.engine_choice import EngineChoice, cached_choice
from squeezeapp.core.inference.engines import engine_label as plain_label
from squeezeapp.core.inference.engines import engine_names, find_engine
from squeezeapp.ui.common.jobs import Job, JobContext, lower_this_thread_priority, run_job, wait_for
from squeezeapp.ui.live.payloads import LoadedModel

logger = logging.getLogger(__name__)

AUTO = "auto"
# set (by the test suite) to keep windows from measuring engines in the background
NO_MEASUREMENT_ENV = "SQUEEZEAPP_NO_ENGINE_MEASUREMENT"


def _measure(path: str, settings, ctx: JobContext) -> EngineChoice:
    """The measurement job: every engine timed on the model (its own sessions); quitting the
    job stops it between two engines."""
    from squeezeapp.core.inference.auto_engine import choose_engine
    from squeezeapp.core.inference.classifier import Classifier

    lower_this_thread_priority()
    model = Classifier.load(path, replace(settings, provider="cpu"))
    return choose_engine(model, stop=ctx.cancel)


def _same(name: str, provider: str) -> bool:
    """Whether the menu entry `name` is the provider setting ("openvino" is OpenVINO CPU)."""
    return name == provider or (provider == "openvino" and name == "openvino-cpu")


def engine_label(name: str, choice: EngineChoice | None) -> str:
    """'OpenVINO CPU — 1.21 ms' once measured, else the engine's name as people read it."""
    timing = choice.timing(name) if choice else None
    label = plain_label(name) if timing is None else timing.label
    if timing is None or timing.ms is None:
        return label
    note = "" if timing.usable else f" (not used: {timing.reason})"
    return f"{label} — {timing.ms:.2f} ms{note}"


class EngineMenu(QObject):
    """The submenu and the measurement; `reload` opens the loaded model again (the controller's
    request), called when the measured choice differs from the engine in use."""

    measured = Signal()

    def __init__(self, menu: QMenu, provider: Callable[[], str], choose: Callable[[str], None],
                 reload: Callable[[], None]) -> None:
        super().__init__(menu)
        self.menu, self._provider, self._choose, self._reload = menu, provider, choose, reload
        self.choice: EngineChoice | None = None
        self._loaded: LoadedModel | None = None
        self._stop = threading.Event()
        self._running: Job | None = None
        self._settings: object = None
        self._followed_up = True  # the first prediction after a load was acted on
        self._group = QActionGroup(menu)
        self._fill()

    def on_loaded(self, loaded: LoadedModel, settings) -> None:
        """A model was loaded: show its figures; act on them at its first prediction."""
        self._loaded, self._settings, self._followed_up = loaded, settings, False
        self.choice = cached_choice(loaded.sha256) if loaded.sha256 else None
        self._fill()

    def on_result(self) -> None:
        """A prediction was shown: after a load's first one, measure the engines (never measured
        here) or move to the one measured fastest."""
        if self._followed_up or self._loaded is None:
            return
        self._followed_up = True
        loaded = self._loaded
        if self._provider() != AUTO or not loaded.sha256:
            return
        if self.choice is not None:
            self._switch_if_faster(self.choice)
        elif (self._running is None and not self._stop.is_set()
              and not os.environ.get(NO_MEASUREMENT_ENV)):
            self._running = run_job(partial(_measure, str(loaded.path), self._settings),
                                    name="engine measurement",
                                    returned=partial(self._on_measured, loaded.sha256),
                                    errored=self._on_failed)

    def _on_measured(self, sha256: str, choice: EngineChoice) -> None:
        self._running = None
        logger.info("engines measured: %s (%s)", choice.engine, choice.why)
        if self._loaded is None or self._loaded.sha256 != sha256:
            return  # another model was loaded meanwhile: it gets its own measurement
        self.choice = choice
        self._fill()
        self.measured.emit()
        self._switch_if_faster(choice)

    def _switch_if_faster(self, choice: EngineChoice) -> None:
        if self._loaded is None:
            return
        try:
            chosen = find_engine(choice.engine).short_provider
        except Exception:  # measured, then gone (a device unplugged): nothing to switch to
            return
        if self._provider() == AUTO and chosen != self._loaded.provider:
            self._reload()

    def _on_failed(self, error: Exception) -> None:
        self._running = None
        logger.info("engine measurement stopped: %s", error)

    def _fill(self) -> None:
        for action in self._group.actions():
            self.menu.removeAction(action)
            action.deleteLater()
        self._group.deleteLater()
        self._group = QActionGroup(self.menu)
        current = self._provider()
        if self.choice is not None:  # the engines this machine really has, as measured
            names = [AUTO, *(timing.engine for timing in self.choice.timings)]
        else:  # before any measurement: without loading plugins (OpenVINO's devices unknown)
            names = [n for n in engine_names() if n not in ("openvino-gpu", "openvino-npu")]
        if current not in names and current != "openvino":
            names.append(current)
        for name in names:
            if name == AUTO:
                chosen = self.choice.timing(self.choice.engine) if self.choice else None
                using = f": {chosen.label}" if chosen is not None else ""
                text = f"Automatic (fastest measured{using})"
            elif name == "openvino":
                continue  # the same as openvino-cpu, listed once
            else:
                text = engine_label(name, self.choice)
            action = QAction(text.replace("&", "&&"), self._group, checkable=True)
            action.setData(name)
            action.setChecked(_same(name, current))
            if name == AUTO and self.choice is not None:
                action.setToolTip(self.choice.why)
            action.triggered.connect(lambda _=False, n=name: self._choose(n))
            self.menu.addAction(action)

    def refresh(self) -> None:
        """Check the current choice (the menu is about to show)."""
        for action in self._group.actions():
            action.setChecked(_same(action.data(), self._provider()))

    def shutdown(self, timeout_s: float = 10.0) -> None:
        """Stop a measurement between two engines and wait for it, bounded: it finishes the
        engine it is on (an OpenVINO compile is 0.5-1.5 s on a busy machine), and a thread still
        inside a native engine when the interpreter exits could crash it."""
        self._stop.set()  # no new measurement from now on
        if (running := self._running) is not None:
            running.quit()
            wait_for([running], timeout_s, "engine measurement")
