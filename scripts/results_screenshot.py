"""Save docs/screenshot-results.png: the results view on the shared photos, as a user sees it.

    xvfb-run -a -s "-screen 0 1280x800x24" .venv/bin/python scripts/results_screenshot.py

Classifies $SQUEEZEAPP_SAMPLE_IMAGES with the default model, waits until the batch is done and
the visible thumbnails are made, then grabs the window. The PNG is quantised to 256 colours
(as scripts/screenshots.sh does) when ImageMagick is there, to keep the repository small.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication, QMainWindow

from squeezeapp.core.imageio import expand_image_paths
from squeezeapp.core.result_cache import ResultCache
from squeezeapp.ui.results_view import ResultsView

REPO = Path(__file__).resolve().parents[1]
TIMEOUT_S = 120


def take(images: Path, output: Path, page: int, size: tuple[int, int]) -> None:
    app = QApplication.instance() or QApplication(sys.argv[:1])
    window = QMainWindow()
    window.setWindowTitle(f"squeezeapp — {images.name}")
    view = ResultsView(ResultCache())
    window.setCentralWidget(view)
    window.resize(*size)
    window.show()
    view.show_page(page)
    view.start(list(expand_image_paths([images])), None)
    deadline = time.monotonic() + TIMEOUT_S

    def ready() -> bool:
        done = view.last_summary is not None and not view.thumbnails.busy
        return done and view.model.index(0, 0).data(Qt.ItemDataRole.DecorationRole) is not None

    def poll() -> None:
        if ready() or time.monotonic() > deadline:
            QTimer.singleShot(300, finish)  # one more paint with the last thumbnails
        else:
            QTimer.singleShot(100, poll)

    def finish() -> None:
        view.grid.viewport().update()
        app.processEvents()
        output.parent.mkdir(parents=True, exist_ok=True)
        if not window.grab().save(str(output), "PNG"):
            raise SystemExit(f"could not write {output}")
        view.shutdown()
        app.quit()

    QTimer.singleShot(100, poll)
    app.exec()
    _quantise(output)
    print(f"{output}: {output.stat().st_size / 1024:.0f} kB, {view.status_text()}")


def _quantise(png: Path) -> None:
    convert = shutil.which("convert")
    if convert is None:
        return
    version = subprocess.run([convert, "-version"], capture_output=True, text=True, check=False)
    if "ImageMagick" in version.stdout:
        subprocess.run([convert, str(png), "+dither", "-colors", "256", str(png)], check=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=Path, default=os.environ.get("SQUEEZEAPP_SAMPLE_IMAGES"),
                        help="folder of photos (default: $SQUEEZEAPP_SAMPLE_IMAGES)")
    parser.add_argument("--output", type=Path, default=REPO / "docs" / "screenshot-results.png")
    parser.add_argument("--table", action="store_true", help="the table instead of thumbnails")
    args = parser.parse_args()
    if args.images is None or not Path(args.images).is_dir():
        parser.error("point --images or SQUEEZEAPP_SAMPLE_IMAGES at a folder of photos")
    take(Path(args.images), args.output, 0 if args.table else 1, (1100, 720))


if __name__ == "__main__":
    main()
