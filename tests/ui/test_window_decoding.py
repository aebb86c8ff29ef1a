"""The window decodes pictures as `classify` does (issue #19): a real 10000×10000 JPEG is shown
(decoded reduced by libjpeg) instead of refused for needing 574 MB; thumbnails read through the
same reader, so a FIFO in a folder cannot block them."""

from __future__ import annotations

import os
import sys
import threading

import cv2
import numpy as np
import pytest

from squeezeapp.core.common.errors import ImageReadError
from squeezeapp.ui.results.thumbnails import make_thumbnail
from tests import ui_helpers
from tests.ui_helpers import canvas_texts

settings_file, window = ui_helpers.settings_file, ui_helpers.window  # the shared fixtures
WAIT_MS = 30_000


@pytest.fixture(scope="module")
def huge_jpeg(tmp_path_factory):
    side = 10_000
    ramp = np.linspace(0, 255, side, dtype=np.float32)
    picture = np.empty((side, side, 3), np.uint8)
    picture[:, :, 0] = ramp[None, :]
    picture[:, :, 1] = ramp[:, None]
    picture[:, :, 2] = 128
    ok, encoded = cv2.imencode(".jpg", picture, [cv2.IMWRITE_JPEG_QUALITY, 80])
    del picture
    assert ok
    path = tmp_path_factory.mktemp("huge") / "huge.jpg"
    path.write_bytes(encoded.tobytes())
    return path


def test_a_10000_pixel_jpeg_is_shown_and_classified(qtbot, window, huge_jpeg) -> None:
    window.opener.open_paths([huge_jpeg])
    qtbot.waitUntil(lambda: window.view.result is not None
                    and window.view.result.source == str(huge_jpeg), timeout=WAIT_MS)
    assert not any("memory budget" in text for text in canvas_texts(window))


@pytest.mark.skipif(sys.platform == "win32", reason="FIFOs are POSIX")
def test_a_thumbnail_of_a_fifo_is_refused_without_blocking(qtbot, tmp_path) -> None:
    fifo = tmp_path / "photo.jpg"
    os.mkfifo(fifo)
    outcome: list[BaseException] = []

    def make() -> None:
        try:
            make_thumbnail(fifo)
        except BaseException as error:  # handed to the test thread
            outcome.append(error)

    worker = threading.Thread(target=make, daemon=True)
    worker.start()
    worker.join(10)
    if worker.is_alive():
        os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
        pytest.fail("making a thumbnail of a FIFO blocked")
    assert isinstance(outcome[0], ImageReadError) and "FIFO" in str(outcome[0])
