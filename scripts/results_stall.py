"""Benchmark: the largest GUI-thread stall while the real window classifies a big folder.

    xvfb-run -a -s "-screen 0 1280x800x24" .venv/bin/python -m scripts.results_stall \
        --files 2000 10000 --rounds 3

Each run is a fresh process: the window (scratch settings), a folder of N links to the shared
photos opened as a drop opens it, the thumbnail grid showing, and the same 5 ms heartbeat as
`squeezeapp gui --metrics-json` (its `gui_stall_ms_max`). The goal is 50 ms; it is printed, not
asserted, because the machine is shared. With --variants, runs with and without the window's
garbage-collector tuning are interleaved, to show what it buys.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

GOAL_MS = 50.0
TIMEOUT_S = 600.0


def make_links(folder: Path, photos: list[Path], count: int) -> Path:
    """`count` links named 00000_<photo>… to the photos in turn (one folder, like a drop)."""
    folder.mkdir(parents=True, exist_ok=True)
    for number in range(count):
        photo = photos[number % len(photos)]
        (folder / f"{number:05d}_{photo.name}").symlink_to(photo)
    return folder


class CollectorPauses:
    """The longest garbage collection (any thread, any generation) while installed."""

    def __init__(self) -> None:
        self.longest_ms = 0.0
        self.count = 0
        self._started = 0.0

    def __call__(self, phase: str, _info: dict) -> None:
        if phase == "start":
            self._started = time.perf_counter()
        else:
            self.count += 1
            self.longest_ms = max(self.longest_ms, (time.perf_counter() - self._started) * 1e3)


def measure_once(folder: Path, gc_tuning: bool) -> dict[str, object]:
    """Open `folder` in a new window, wait until every row is done, return the metrics."""
    from PySide6.QtCore import QCoreApplication, QEventLoop, QSettings, QTimer

    from squeezeapp.ui.window import app as gui_app
    from squeezeapp.ui.window.main_window import MainWindow

    gui_app.create_application()
    with tempfile.TemporaryDirectory() as scratch:
        store = QSettings(str(Path(scratch) / "settings.ini"), QSettings.Format.IniFormat)
        window = MainWindow(store, snapshot_dir=Path(scratch))
        recorder = gui_app.MetricsRecorder(window)
        window.resize(1100, 720)
        window.show()
        if gc_tuning:
            gui_app.CollectorTuning(window)
        view = window.results.view
        deadline = time.monotonic() + TIMEOUT_S
        while window.session.loaded is None and time.monotonic() < deadline:
            QCoreApplication.processEvents()
            time.sleep(0.01)
        view.show_page(1)  # thumbnails are made meanwhile, as a user looking at the grid sees
        pauses = CollectorPauses()
        gc.callbacks.append(pauses)
        started = time.perf_counter()
        loop = QEventLoop()  # as the window's own loop runs it (app.exec)
        view.finished.connect(loop.quit)
        QTimer.singleShot(int(TIMEOUT_S * 1000), loop.quit)
        window.opener.open_paths([folder])
        loop.exec()
        seconds = time.perf_counter() - started
        recorder.heartbeat.stop()
        gc.callbacks.remove(pauses)
        metrics = recorder.snapshot()
        # garbage the app's own collector would find (the snapshot's first np.percentile
        # imports numpy.ma, whose import leaves ~317 objects in cycles): not the tuning's doing
        gc.collect()
        # what a full collection finds now that it also looks at frozen objects: cycles the
        # tuning froze while alive and that died since, which the app never collects
        gc.unfreeze()
        metrics["cyclic_garbage"] = gc.collect()
        window.close()
    metrics.update(seconds=round(seconds, 2), gc_pause_ms_max=round(pauses.longest_ms, 1),
                   gc_collections=pauses.count)
    return metrics


def _child(args: argparse.Namespace) -> int:
    metrics = measure_once(args.folder, args.gc_tuning == "on")
    print(json.dumps(metrics))
    return 0


def _run_child(folder: Path, gc_tuning: bool) -> dict[str, object]:
    command = [sys.executable, "-m", "scripts.results_stall", "--child", str(folder),
               "--gc-tuning", "on" if gc_tuning else "off"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=TIMEOUT_S + 60,
                          check=False)
    if done.returncode != 0:
        raise SystemExit(f"run failed ({done.returncode}):\n{done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, nargs="+", default=[2000])
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--variants", action="store_true",
                        help="interleave runs without the garbage-collector tuning")
    parser.add_argument("--images", type=Path, default=os.environ.get("SQUEEZEAPP_SAMPLE_IMAGES"))
    parser.add_argument("--child", type=Path, dest="folder", help=argparse.SUPPRESS)
    parser.add_argument("--gc-tuning", choices=("on", "off"), default="on",
                        help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.folder is not None:
        return _child(args)
    if args.images is None or not args.images.is_dir():
        parser.error("point --images or SQUEEZEAPP_SAMPLE_IMAGES at the shared photos")
    photos = sorted(args.images.glob("*.JPEG"))
    variants = [True, False] if args.variants else [True]
    with tempfile.TemporaryDirectory() as work:
        for count in args.files:
            folder = make_links(Path(work) / f"links-{count}", photos, count)
            runs: dict[bool, list[dict[str, object]]] = {v: [] for v in variants}
            for _round in range(args.rounds):
                for variant in variants:  # interleaved: the shared machine's load hits both
                    metrics = _run_child(folder, variant)
                    runs[variant].append(metrics)
                    load = os.getloadavg()[0]
                    print(f"{count:>6,} files, gc tuning {'on ' if variant else 'off'}: "
                          f"stall max {metrics['gui_stall_ms_max']:6.1f} ms, "
                          f"{metrics['results_done']:,}/{metrics['results_total']:,} done, "
                          f"{metrics['results_images_per_s']:.0f} images/s, longest of "
                          f"{metrics['gc_collections']} collections "
                          f"{metrics['gc_pause_ms_max']:.1f} ms, "
                          f"{metrics['cyclic_garbage']:,} objects of cyclic garbage left, "
                          f"{metrics['seconds']:.1f} s, load {load:.1f}", flush=True)
            for variant, results in runs.items():
                stalls = [float(m["gui_stall_ms_max"]) for m in results]
                verdict = "within" if max(stalls) <= GOAL_MS else "OVER"
                print(f"{count:>6,} files, gc tuning {'on ' if variant else 'off'}: largest GUI "
                      f"stall median {statistics.median(stalls):.1f} ms, worst "
                      f"{max(stalls):.1f} ms ({verdict} the {GOAL_MS:.0f} ms goal)", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
