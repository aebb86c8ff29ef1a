"""The README's pictures of the teach panel, taken from the real window (run by
scripts/screenshots.sh under Xvfb):

    xvfb-run -a -s "-screen 0 1280x800x24" .venv/bin/python -m scripts.teach_screenshots

- docs/screenshot-teach-recording.png: Hold to Record on "Teddy" from a fake camera.
- docs/screenshot-teach-trained.png: both classes recorded, the cross-validated accuracy and
  confusion matrix on the panel, the live overlay naming the taught class.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

from PySide6.QtCore import QSettings

from scripts.state_screenshots import _spin, wait_until
from squeezeapp.ui.common.canvas_message import Level, Topic
from squeezeapp.ui.window.app import create_application
from squeezeapp.ui.window.main_window import MainWindow
from tests.fakes import FakeCamera, make_video

DOCS = Path(__file__).resolve().parents[1] / "docs"
SIZE = (1280, 760)
SCENES = (("Teddy", "n04399382_teddy.JPEG"), ("Shoe", "n04120489_running_shoe.JPEG"))


def _save(window: MainWindow, name: str) -> None:
    path = DOCS / name
    if not window.grab().save(str(path), "PNG"):
        raise SystemExit(f"could not write {path}")
    print(f"wrote {path}")


def main() -> int:
    images = Path(os.environ["SQUEEZEAPP_SAMPLE_IMAGES"])
    create_application()
    with tempfile.TemporaryDirectory() as scratch_name:
        scratch = Path(scratch_name)
        store = QSettings(str(scratch / "settings.ini"), QSettings.Format.IniFormat)
        window = MainWindow(store, snapshot_dir=scratch)
        window.resize(*SIZE)
        window.show()
        wait_until(lambda: window.session.loaded is not None, 60)
        panel = window.teach_new_classes(scratch / "Desk things")
        assert panel is not None
        clips = {name: make_video(scratch / f"{name}.mp4", [images / photo],
                                  frames_per_photo=150) for name, photo in SCENES}
        for number, (name, _photo) in enumerate(SCENES):
            panel.class_list.setCurrentRow(number)
            panel.class_list.currentItem().setText(name)  # renamed inline, as a user does
            window.session.open_live(FakeCamera(clips[name], index=80 + number))
            wait_until(lambda: panel._frame is not None and panel._frame.live, 30)
            _spin(1.0)
            panel.select_class(name)
            panel.record_button.setDown(True)
            panel.start_recording()
            _spin(1.5)
            if number == 0:
                _save(window, "screenshot-teach-recording.png")
            panel.stop_recording()
            panel.record_button.setDown(False)
        wait_until(lambda: panel.latest is not None and not panel.busy()
                   and min(panel.latest.scan.counts()) >= 8, 60)
        window.session.open_live(FakeCamera(clips["Teddy"], index=90))
        wait_until(lambda: window.view.result is not None
                   and window.view.result.model != "squeezenet1.1", 60)
        _spin(2.0)
        # a last example may still be training: the picture shows the settled state
        wait_until(lambda: not panel.busy()
                   and window.board.shown(Topic.MODEL, Level.INFO) is None, 60)
        _spin(1.0)
        _save(window, "screenshot-teach-trained.png")
        latency = sorted(panel.strip_latency_ms)
        print(f"recorded frame to its thumbnail: median {latency[len(latency) // 2]:.0f} ms, "
              f"slowest {latency[-1]:.0f} ms ({len(latency)} frames)")
        window.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
