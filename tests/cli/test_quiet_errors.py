"""One line per bad file (issue #19): libjpeg, libpng, libtiff and OpenCV print their own lines
about damaged files; without -v only squeezeapp's line per file is on the terminal."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from tests.conftest import run_cli


@pytest.fixture
def damaged(tmp_path):
    """Files that make the libraries talk: a JPEG, PNG and TIFF with 20 bytes overwritten."""
    picture = np.random.default_rng(3).integers(0, 255, (64, 64, 3), np.uint8)
    for ext in (".jpg", ".png", ".tiff"):
        ok, encoded = cv2.imencode(ext, picture)
        assert ok
        data = bytearray(encoded.tobytes())
        middle = len(data) // 3
        data[middle:middle + 20] = b"\xff" * 20
        (tmp_path / f"damaged{ext}").write_bytes(bytes(data))
    return sorted(tmp_path.iterdir())


def test_each_bad_file_gives_one_line_and_v_shows_the_libraries(model_dir, damaged):
    quiet = run_cli("classify", "--format", "jsonl", *map(str, damaged))
    lines = quiet.stderr.splitlines()
    assert all(line.startswith("squeezeapp: ") for line in lines), quiet.stderr
    failed = len(lines) - 1  # and the "N of M files failed" line
    assert failed >= 1 and f"{failed} of 3 files failed" in lines[-1]
    verbose = run_cli("-v", "classify", "--format", "jsonl", *map(str, damaged))
    assert any(marker in verbose.stderr for marker in ("libpng", "Corrupt JPEG", "TIFF")), \
        verbose.stderr


def test_a_path_longer_than_a_line_is_shortened_in_the_message() -> None:
    from squeezeapp.core.common.errors import ImageReadError
    from squeezeapp.core.imaging.decode import read_image

    long = "/no/such/" + "folder/" * 700 + "photo.jpg"
    with pytest.raises(ImageReadError) as caught:
        read_image(long)
    message = str(caught.value)
    assert len(message) < 200, len(message)
    assert message.startswith("/no/such/") and "photo.jpg: " in message
    assert caught.value.reason in message
