"""`squeezeapp --selftest`: is this installation (source or bundle) able to do its job?

Prints one line per check and returns 0 only if all pass. Uses no photos (none are shipped):
the frame it classifies is synthetic.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np


def _check(name: str, run: Callable[[], str]) -> bool:
    start = time.perf_counter()
    try:
        detail = run()
    except Exception as error:  # every failure is reported, none is fatal to the report
        print(f"FAIL  {name}: {error}")
        return False
    print(f"ok    {name}: {detail} ({(time.perf_counter() - start) * 1e3:.0f} ms)")
    return True


def run_selftest() -> int:
    from squeezeapp import __version__
    from squeezeapp.core.inference.classifier import Classifier
    from squeezeapp.core.models.registry import known_by_sha256

    state: dict[str, Classifier] = {}
    kind = "bundle" if getattr(sys, "frozen", False) else "source install"
    print(f"squeezeapp {__version__} self-test ({kind})")

    def load() -> str:
        state["model"] = Classifier.load(None)
        return str(state["model"].spec.path)

    def checksum() -> str:
        spec = state["model"].spec
        known = known_by_sha256(spec.sha256)
        if known is None:
            return f"{spec.short_sha} (not in the registry: a custom model)"
        return f"{spec.short_sha} matches registry entry {known.name}"

    def shapes() -> str:
        spec = state["model"].spec
        classes = len(spec.labels)  # any number: a taught model has its own classes
        assert classes >= 2, f"a classifier needs 2 or more labels, not {classes}"
        return (f"input {list(spec.input_shape)}, {classes} classes, "
                f"preprocess {spec.preprocess.size}")

    def classify() -> str:
        frame = np.zeros((480, 640, 3), np.uint8)
        frame[:, :, 1] = np.linspace(0, 255, 640, dtype=np.uint8)[None, :]
        probabilities = state["model"].probabilities(frame)
        total = float(probabilities.sum())
        assert abs(total - 1.0) < 1e-3, f"probabilities sum to {total}"
        top = state["model"].predictions(probabilities, 1)[0]
        return f"synthetic frame → {top.name} ({top.probability:.1%})"

    ok = _check("model found and loaded", load)
    if ok:
        ok &= _check("checksum", checksum)
        ok &= _check("input/output shapes", shapes)
        ok &= _check("inference on a synthetic frame", classify)
    ok &= _check("window opens and closes offscreen", _window_roundtrip)
    print("self-test passed" if ok else "self-test FAILED")
    return 0 if ok else 1


def _window_roundtrip() -> str:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QEventLoop, QSettings, QTimer

    from squeezeapp.ui.window.app import create_application
    from squeezeapp.ui.window.main_window import MainWindow

    create_application()
    with tempfile.TemporaryDirectory() as scratch:
        store = QSettings(str(Path(scratch) / "selftest.ini"), QSettings.Format.IniFormat)
        window = MainWindow(store, snapshot_dir=Path(scratch))
        window.show()
        loop = QEventLoop()
        window.session.modelLoaded.connect(loop.quit)
        window.session.modelFailed.connect(loop.quit)
        QTimer.singleShot(15_000, loop.quit)
        loop.exec()
        loaded = window.session.loaded
        window.close()
        joined = all(w.isFinished() for w in window.session.workers)
        errors = [entry.text for entry in window.board.log if entry.level]
    if loaded is None:
        raise RuntimeError(errors[-1] if errors else "the window did not load a model")
    if not joined:
        raise RuntimeError("worker threads did not stop")
    return f"model {loaded.name} on {loaded.provider}, threads joined"
