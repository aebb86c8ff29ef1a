"""Photos as people have them: HEIC (iPhone), AVIF, camera RAW (DNG made here), every format's
orientation applied once, and only formats this build decodes offered."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from squeezeapp.core.common.errors import ImageReadError
from squeezeapp.core.common.limits import ByteBudget
from squeezeapp.core.imaging import formats
from squeezeapp.core.imaging.decode import decode_image, read_image
from squeezeapp.core.imaging.header import probe
from squeezeapp.core.imaging.isobmff import read_item_info
from tests.images import gradient_bgr
from tests.photos import encode_photo, upright, write_photo
from tests.rawfiles import write_dng


def _quadrants() -> np.ndarray:
    """Four flat colours, so that a turn or a mirror is unmistakable even after lossy coding."""
    image = np.zeros((64, 96, 3), np.uint8)
    image[:32, :48] = (40, 40, 220)   # red (BGR), top left
    image[:32, 48:] = (40, 220, 40)   # green, top right
    image[32:, :48] = (220, 40, 40)   # blue, bottom left
    image[32:, 48:] = (230, 230, 230)  # white, bottom right
    return image


def _close(got: np.ndarray, expected: np.ndarray, tolerance: float = 12.0) -> bool:
    return got.shape == expected.shape and float(
        np.abs(got.astype(int) - expected.astype(int)).mean()) < tolerance


@pytest.mark.parametrize("suffix", [".heic", ".avif", ".png", ".webp", ".jpg", ".tif"])
@pytest.mark.parametrize("orientation", range(1, 9))
def test_every_format_is_read_upright(tmp_path: Path, suffix: str, orientation: int) -> None:
    path = write_photo(tmp_path / f"photo{suffix}", _quadrants(), orientation)
    image = read_image(path)
    assert _close(image, upright(_quadrants(), orientation)), (image.shape, orientation)


def test_heic_and_avif_carry_their_rotation_in_boxes() -> None:
    """The test files are what phones write: the turn is an irot box, not an EXIF tag."""
    for suffix in (".heic", ".avif"):
        info = read_item_info(encode_photo(_quadrants(), suffix, 6))
        assert info is not None and info.transforms, suffix


def test_avif_is_read_by_this_opencv_build(tmp_path: Path) -> None:
    path = write_photo(tmp_path / "photo.avif", gradient_bgr(120, 160))
    assert _close(read_image(path), gradient_bgr(120, 160), 6.0)


def test_heic_header_gives_its_size_before_decoding() -> None:
    data = encode_photo(gradient_bgr(128, 192), ".heic")
    header = probe(np.frombuffer(data, np.uint8))
    assert header is not None and header.format == "heif"
    assert (header.width, header.height) == (192, 128)


def test_heic_within_the_memory_budget_and_pixel_limit() -> None:
    data = encode_photo(gradient_bgr(128, 192), ".heic")
    with pytest.raises(ImageReadError, match="memory budget"):
        decode_image(data, budget=ByteBudget(64 * 1024))
    with pytest.raises(ImageReadError, match="MP limit"):
        decode_image(data, max_pixels=10_000)


def test_broken_heic_is_one_clear_line(tmp_path: Path) -> None:
    data = encode_photo(gradient_bgr(128, 192), ".heic")
    path = tmp_path / "IMG_0001.HEIC"
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(ImageReadError) as caught:
        read_image(path)
    assert str(caught.value).startswith(str(path)) and "\n" not in str(caught.value)


@pytest.mark.parametrize("orientation", [1, 6, 8, 3])
def test_dng_without_preview_is_demosaiced_upright(tmp_path: Path, orientation: int) -> None:
    """One bright quadrant on black: after LibRaw's demosaic and turn it is where a viewer
    shows it (colours go through the camera matrix, so only brightness is compared)."""
    sensor = np.full((64, 96, 3), 10, np.uint8)
    sensor[:32, :48] = 150
    path = write_dng(tmp_path / "raw.dng", sensor, orientation=orientation)
    image = read_image(path)
    expected = upright(sensor, orientation)[::2, ::2]  # half size
    assert image.shape == expected.shape
    assert _argmax_quadrant(image.mean(axis=2)) == _argmax_quadrant(expected.mean(axis=2))


def _argmax_quadrant(plane: np.ndarray) -> int:
    height, width = plane.shape
    means = [plane[:height // 2, :width // 2].mean(), plane[:height // 2, width // 2:].mean(),
             plane[height // 2:, :width // 2].mean(), plane[height // 2:, width // 2:].mean()]
    return int(np.argmax(means))


@pytest.mark.parametrize("orientation", [1, 6])
def test_dng_with_a_preview_uses_the_preview(tmp_path: Path, orientation: int) -> None:
    """The preview differs from the sensor data on purpose, so the test sees which was used."""
    sensor = np.zeros((512, 768, 3), np.uint8)
    preview = np.full((512, 768, 3), 200, np.uint8)
    preview[:256, :384] = (255, 0, 0)
    path = write_dng(tmp_path / "camera.DNG", sensor, orientation=orientation, preview=preview)
    image = read_image(path, min_side=227)  # a big preview JPEG decodes reduced, like any JPEG
    expected = upright(preview[:, :, ::-1].copy(), orientation)[::2, ::2]
    assert _close(image, expected, 8.0)


def test_dng_is_recognised_without_its_extension() -> None:
    import io

    sensor = np.zeros((64, 96, 3), np.uint8)
    sensor[:, :, 1] = 200
    path_free = io.BytesIO()
    from tests.rawfiles import dng_bytes

    path_free.write(dng_bytes(sensor))
    assert decode_image(path_free.getvalue()).shape == (32, 48, 3)


def test_raw_demosaic_is_refused_above_the_budget(tmp_path: Path) -> None:
    path = write_dng(tmp_path / "big.nef", np.zeros((512, 768, 3), np.uint8))
    with pytest.raises(ImageReadError, match="memory budget"):
        read_image(path, budget=ByteBudget(1 << 20))


def test_broken_raw_is_one_clear_line(tmp_path: Path) -> None:
    path = tmp_path / "DSC_0001.NEF"
    path.write_bytes(b"II*\0" + bytes(100))
    with pytest.raises(ImageReadError, match="not a readable camera RAW"):
        read_image(path)


def test_only_formats_this_build_decodes_are_offered() -> None:
    import cv2

    exr = "OpenEXR:                     YES" in cv2.getBuildInformation() or any(
        line.split(":")[0].strip() == "OpenEXR" and "NO" not in line.split(":", 1)[1]
        for line in cv2.getBuildInformation().splitlines() if ":" in line)
    assert (".exr" in formats.IMAGE_EXTENSIONS) == exr
    patterns = formats.dialog_patterns()
    for wanted in ("*.heic", "*.HEIC", "*.dng", "*.CR3", "*.avif", "*.jpg"):
        assert wanted in patterns
    if not exr:
        assert "*.exr" not in patterns
        assert "OpenEXR" in formats.unsupported_reason("render.exr")


def test_a_broken_heif_library_is_an_error_per_file_not_a_crash(monkeypatch) -> None:
    """pi-heif defers a missing extension module to the first decode (as in a bundle that
    lacked it): that is one file's error, and `info` says it."""
    from squeezeapp.core.imaging import heif

    class Broken:
        __version__ = "0"

        def open_heif(self, *_args, **_kwargs):
            raise ModuleNotFoundError("No module named '_pi_heif'")

        def libheif_version(self):
            raise ModuleNotFoundError("No module named '_pi_heif'")

    monkeypatch.setattr(heif, "_library", Broken)
    with pytest.raises(ImageReadError, match="cannot be read in this installation"):
        decode_image(encode_photo(gradient_bgr(64, 96), ".heic"))
    assert heif.version().startswith("not available")
