"""The README's pictures of the results view and the heatmap, taken from the real window (run by
scripts/screenshots.sh under Xvfb):

    xvfb-run -a -s "-screen 0 1280x800x24" .venv/bin/python -m scripts.window_screenshots CLIP

- docs/screenshot-results.png: the shared photos' folder opened as a drop opens it, the results
  view's thumbnails once every file is classified; docs/screenshot-results-table.png: its table.
- docs/screenshot-heatmap.png: a still whose object is off-centre, View ▸ Show Heatmap and
  View ▸ Show Model Crop on.
- docs/screenshot-heatmap-live.png: the generated 30 fps clip CLIP with the heatmap on.
"""

from __future__ import annotations

import os
import sys
import tempfile
from dataclasses import replace
from pathlib import Path

from PySide6.QtCore import QSettings, Qt

from scripts.state_screenshots import _spin, wait_until
from squeezeapp.ui.common.view_options import Corner
from squeezeapp.ui.window.app import create_application
from squeezeapp.ui.window.main_window import MainWindow

DOCS = Path(__file__).resolve().parents[1] / "docs"
SIZE = (1100, 720)
STILL = "n04120489_running_shoe.JPEG"  # two shoes, left and right of the centre


def _window(scratch: Path) -> MainWindow:
    store = QSettings(str(scratch / "settings.ini"), QSettings.Format.IniFormat)
    window = MainWindow(store, snapshot_dir=scratch)
    window.resize(*SIZE)
    window.show()
    wait_until(lambda: window.session.loaded is not None, 60)
    return window


def _save(window: MainWindow, name: str) -> None:
    path = DOCS / name
    if not window.grab().save(str(path), "PNG"):
        raise SystemExit(f"could not write {path}")
    print(f"wrote {path}")


def results(window: MainWindow, images: Path) -> None:
    view = window.results.view
    window.opener.open_paths([images])
    wait_until(lambda: window.results.showing_results and view.last_summary is not None, 120)
    view.show_page(1)
    wait_until(lambda: not view.thumbnails.busy and view.model.index(0, 0).data(
        Qt.ItemDataRole.DecorationRole) is not None, 60)
    _spin(0.5)  # one more paint with the last thumbnails
    _save(window, "screenshot-results.png")
    print(f"results: {view.status_text()}")
    view.show_page(0)
    view.table.selectRow(3)
    _spin(0.5)
    _save(window, "screenshot-results-table.png")


def heatmap_still(window: MainWindow, photo: Path) -> None:
    menu = window.overlay_menu
    menu.heatmap_action.setChecked(True)  # View ▸ Show Heatmap (H)
    menu.crop_action.setChecked(True)  # View ▸ Show Model Crop
    # View ▸ Overlay Corner ▸ Bottom Right: the predictions off the hot toe of the left shoe
    menu.set_options(replace(menu.options, corner=Corner.BOTTOM_RIGHT))
    window.opener.open_paths([photo])
    wait_until(lambda: window.view.result is not None
               and window.view.result.source == str(photo), 60)
    _spin(0.5)
    _save(window, "screenshot-heatmap.png")


def heatmap_live(window: MainWindow, clip: Path) -> None:
    menu = window.overlay_menu
    menu.heatmap_action.setChecked(True)
    menu.crop_action.setChecked(False)
    menu.set_options(replace(menu.options, corner=Corner.TOP_LEFT))
    window.opener.open_video(clip)
    wait_until(lambda: window.session.display_meter.count > 30, 60)
    _spin(2.0)  # ~3 s in: the middle of the clip's second photo (2 s each), predictions settled
    _save(window, "screenshot-heatmap-live.png")


def main() -> int:
    images = Path(os.environ["SQUEEZEAPP_SAMPLE_IMAGES"])
    clip = Path(sys.argv[1])
    create_application()
    with tempfile.TemporaryDirectory() as scratch_name:
        scratch = Path(scratch_name)
        window = _window(scratch)
        results(window, images)
        heatmap_still(window, images / STILL)
        heatmap_live(window, clip)
        window.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
