"""Sizes and screens: usable at 640×400, a first window that fits a 2×-scaled 1920×1080 screen,
thumbnails as sharp as the screen (issue #23)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import pytest
from PySide6.QtCore import QRectF

from squeezeapp.ui.picture.overlay import SMALL_PX, _font, overlay_scale
from tests import ui_helpers
from tests.conftest import REPO

WAIT_MS = 20_000
settings_file, window = ui_helpers.settings_file, ui_helpers.window  # the shared fixtures


def test_a_640_by_400_window_keeps_its_text_readable(qtbot, window, sample_images,
                                                     tmp_path) -> None:
    window.resize(640, 400)
    qtbot.waitUntil(lambda: window.width() == 640 and window.height() == 400, timeout=WAIT_MS)
    from PySide6.QtGui import QPainter, QPixmap

    pixmap = QPixmap(10, 10)
    painter = QPainter(pixmap)
    small = _font(painter, SMALL_PX * overlay_scale(QRectF(window.view.rect())))
    painter.end()
    assert small.pixelSize() >= 9  # the overlay's smallest text (was ~7 px)
    album = tmp_path / "album"
    album.mkdir()
    for photo in sample_images[:3]:
        shutil.copy(photo, album / photo.name)
    window.opener.open_paths([album])
    qtbot.waitUntil(lambda: window.results.showing_results, timeout=WAIT_MS)
    assert window.results.view.filter_edit.width() >= 200  # "Filter by label…", not "Filter..."


PROBE = """
import json
from PySide6.QtCore import QSettings
from squeezeapp.ui.window.app import create_application
from squeezeapp.ui.window.main_window import MainWindow
app = create_application()
window = MainWindow(QSettings(r"{settings}", QSettings.Format.IniFormat))
window.show()
app.processEvents()
screen = window.screen()
available = screen.availableGeometry()
print(json.dumps({{"ratio": screen.devicePixelRatio(), "screen": [available.width(),
    available.height()], "window": [window.frameGeometry().width(),
    window.frameGeometry().height()], "thumbnail_px": window.results.view.thumbnails.size}}))
window.close()
"""


def test_first_window_fits_a_2x_screen_and_thumbnails_match_it(tmp_path) -> None:
    xvfb = shutil.which("xvfb-run")
    if xvfb is None:
        assert os.environ.get("CI") != "true", "xvfb-run is missing (make setup installs it)"
        pytest.skip("needs xvfb-run")
    script = PROBE.format(settings=tmp_path / "settings.ini")
    done = subprocess.run(
        [xvfb, "-a", "-s", "-screen 0 1920x1080x24", sys.executable, "-c", script],
        env={**os.environ, "QT_QPA_PLATFORM": "xcb", "QT_SCALE_FACTOR": "2",
             "SQUEEZEAPP_MODEL_DIR": str(tmp_path / "none")},
        capture_output=True, text=True, timeout=120, check=False, cwd=REPO)
    assert done.returncode == 0, done.stderr[-3000:]
    found = json.loads(done.stdout.strip().splitlines()[-1])
    assert found["ratio"] == 2
    width, height = found["window"]
    assert width <= found["screen"][0] and height <= found["screen"][1], found
    assert found["thumbnail_px"] == 320  # a 136-px cell is 272 device pixels there
