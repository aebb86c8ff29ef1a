"""Reading images: every format and oddity the brief names, and one clear error for bad input."""

from __future__ import annotations

import os
import socket
import threading
from pathlib import Path

import cv2
import numpy as np
import pytest

from squeezeapp.core.common.errors import ImageReadError
from squeezeapp.core.common.limits import ByteBudget
from squeezeapp.core.imaging.decode import (
    decode_image,
    expand_image_paths,
    jpeg_reduction,
    read_image,
    to_bgr8,
)
from squeezeapp.core.imaging.header import probe
from tests.corpus import jpeg_header, permissions_bind, png_chunk_bomb, png_header
from tests.images import bomb_png, cmyk_jpeg, gradient_bgr, jpeg_with_orientation, palette_png


def _write(path: Path, data: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def _encode(ext: str, image: np.ndarray, *params: int) -> bytes:
    ok, encoded = cv2.imencode(ext, image, list(params))
    assert ok
    return encoded.tobytes()


def test_non_ascii_path(tmp_path: Path) -> None:
    image = gradient_bgr()
    path = _write(tmp_path / "bilder ünïcødé" / "猫 café.png", _encode(".png", image))
    result = read_image(path)
    assert result.dtype == np.uint8 and result.shape == image.shape
    assert np.array_equal(result, image)


@pytest.mark.parametrize(("orientation", "rotated"), [(1, False), (6, True), (8, True), (3, False)])
def test_exif_orientation_is_applied(tmp_path: Path, orientation: int, rotated: bool) -> None:
    image = gradient_bgr(120, 160)
    path = _write(tmp_path / "photo.jpg", jpeg_with_orientation(image, orientation))
    result = read_image(path)
    assert result.shape[:2] == ((160, 120) if rotated else (120, 160))
    if orientation == 6:  # rotate 90° clockwise: the top row (green 0) becomes the right column
        assert result[:, -1, 1].mean() < result[:, 0, 1].mean()
    if orientation == 3:  # 180°: red now falls left to right
        assert result[:, 0, 2].mean() > result[:, -1, 2].mean()


def test_grayscale_png(tmp_path: Path) -> None:
    grey = np.tile(np.arange(0, 256, 2, dtype=np.uint8), (50, 1))
    result = read_image(_write(tmp_path / "g.png", _encode(".png", grey)))
    assert result.shape == (50, 128, 3)
    assert np.array_equal(result[:, :, 0], grey) and np.array_equal(result[:, :, 2], grey)


def test_rgba_png_is_composited_over_white(tmp_path: Path) -> None:
    bgra = np.zeros((10, 20, 4), np.uint8)
    bgra[:, :10] = (0, 0, 255, 255)  # opaque red
    bgra[:, 10:] = (0, 255, 0, 0)  # fully transparent green: must not show
    result = read_image(_write(tmp_path / "a.png", _encode(".png", bgra)))
    assert tuple(result[5, 2]) == (0, 0, 255)
    assert tuple(result[5, 15]) == (255, 255, 255)


def test_palette_png_with_transparency(tmp_path: Path) -> None:
    result = read_image(_write(tmp_path / "p.png", palette_png()))
    assert result.shape == (48, 64, 3)
    assert tuple(result[10, 5]) == (0, 0, 255)
    assert tuple(result[10, 60]) == (255, 255, 255)


@pytest.mark.parametrize("ext", [".png", ".tiff"])
def test_16_bit_images(tmp_path: Path, ext: str) -> None:
    deep = (gradient_bgr().astype(np.uint16) * 257)
    result = read_image(_write(tmp_path / f"deep{ext}", _encode(ext, deep)))
    assert result.dtype == np.uint8
    assert np.abs(result.astype(int) - gradient_bgr().astype(int)).max() <= 1


def test_cmyk_jpeg(qapp, tmp_path: Path) -> None:
    image = gradient_bgr()
    path = tmp_path / "cmyk.jpg"
    cmyk_jpeg(path, image)
    result = read_image(path)
    assert result.shape == image.shape
    assert np.abs(result.astype(int) - image.astype(int)).mean() < 12


@pytest.mark.parametrize("ext", [".bmp", ".webp"])
def test_bmp_and_webp(tmp_path: Path, ext: str) -> None:
    image = gradient_bgr()
    result = read_image(_write(tmp_path / f"x{ext}", _encode(ext, image, cv2.IMWRITE_WEBP_QUALITY,
                                                            101)))
    assert np.abs(result.astype(int) - image.astype(int)).max() <= 2


def test_float_and_odd_arrays_normalise() -> None:
    assert to_bgr8(np.full((4, 4), 0.5, np.float32)).tolist()[0][0] == [128, 128, 128]
    assert to_bgr8(np.zeros((4, 4, 2), np.uint8)).shape == (4, 4, 3)


@pytest.mark.parametrize(
    ("name", "data", "fragment"),
    [
        ("empty.jpg", b"", "empty file"),
        ("notes.jpg", b"this is a text file, not a photo\n" * 10, "not a readable image"),
        ("corrupt.jpg", b"\xff\xd8\xff\xe0" + bytes(range(256)) * 4, "not a readable image"),
        ("bomb.png", bomb_png(), "decompression bomb"),
    ],
)
def test_bad_files_give_one_clear_line(tmp_path: Path, name: str, data: bytes,
                                       fragment: str) -> None:
    path = _write(tmp_path / name, data)
    with pytest.raises(ImageReadError) as caught:
        read_image(path)
    message = str(caught.value)
    assert fragment in message and name in message and "\n" not in message


def test_truncated_png(tmp_path: Path) -> None:
    data = _encode(".png", gradient_bgr(200, 200))
    with pytest.raises(ImageReadError, match="not a readable image"):
        read_image(_write(tmp_path / "cut.png", data[: len(data) // 3]))


def test_missing_file_and_folder(tmp_path: Path) -> None:
    with pytest.raises(ImageReadError, match="no such file"):
        read_image(tmp_path / "nope.jpg")
    with pytest.raises(ImageReadError, match="is a folder"):
        read_image(tmp_path)


def test_bomb_is_refused_before_decoding() -> None:
    with pytest.raises(ImageReadError, match="1600 MP"):
        decode_image(bomb_png())


def test_expand_paths(tmp_path: Path) -> None:
    for name in ("b.jpg", "a.PNG", "notes.txt", "sub/c.webp"):
        _write(tmp_path / name, b"x")
    flat = [p.name for p in expand_image_paths([tmp_path])]
    assert flat == ["a.PNG", "b.jpg"]
    deep = [p.name for p in expand_image_paths([tmp_path], recursive=True)]
    assert deep == ["a.PNG", "b.jpg", "c.webp"]
    # a file named explicitly is kept whatever its extension, so it can be reported
    assert list(expand_image_paths([tmp_path / "notes.txt"])) == [tmp_path / "notes.txt"]


def test_fifo_device_and_link_loop_are_refused_without_blocking(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.jpg"
    os.mkfifo(fifo)  # nobody writes: a blocking open or read would wait for ever
    with pytest.raises(ImageReadError, match=r"not a regular file \(a FIFO\)"):
        read_image(fifo)
    with pytest.raises(ImageReadError, match=r"not a regular file \(a character device\)"):
        read_image("/dev/zero")
    with socket.socket(socket.AF_UNIX) as server:
        server.bind(str(tmp_path / "s.png"))
        with pytest.raises(ImageReadError, match=r"not a regular file \(a socket\)"):
            read_image(tmp_path / "s.png")
    loop = tmp_path / "loop.jpg"
    loop.symlink_to("loop.jpg")
    with pytest.raises(ImageReadError, match="symbolic links"):
        read_image(loop)
    with pytest.raises(ImageReadError, match="file name too long"):
        read_image(tmp_path / ("x" * 300 + ".jpg"))


def test_folder_scan_reports_what_it_cannot_read(tmp_path: Path) -> None:
    _write(tmp_path / "album.jpg" / "inner.png", _encode(".png", gradient_bgr()))
    os.mkfifo(tmp_path / "pipe.png")
    (tmp_path / "loop.jpg").symlink_to("loop.jpg")
    names = [p.name for p in expand_image_paths([tmp_path])]
    assert names == ["loop.jpg", "pipe.png"]  # the folder album.jpg is not an image
    deep = [p.name for p in expand_image_paths([tmp_path], recursive=True)]
    assert deep == ["inner.png", "loop.jpg", "pipe.png"]
    assert [p.name for p in expand_image_paths([tmp_path / "album.jpg"])] == ["inner.png"]
    assert list(expand_image_paths([tmp_path / ("y" * 300)])) == [tmp_path / ("y" * 300)]


def test_unreadable_folder_is_an_error_not_silence(tmp_path: Path) -> None:
    if not permissions_bind(tmp_path):
        pytest.skip("file permissions do not bind here (root)")
    closed = tmp_path / "closed"
    _write(closed / "a.jpg", b"x")
    closed.chmod(0)
    try:
        assert list(expand_image_paths([tmp_path], recursive=True)) == [closed]
        with pytest.raises(ImageReadError, match=r"folder cannot be read \(permission denied"):
            read_image(closed)
    finally:
        closed.chmod(0o755)


def test_folder_that_cannot_be_listed_is_reported(tmp_path: Path, monkeypatch) -> None:
    """The permission case as root sees it too: os.scandir refusing one folder."""
    closed = tmp_path / "b-closed"
    _write(closed / "hidden.jpg", b"x")
    _write(tmp_path / "a.jpg", b"x")
    real_scandir = os.scandir

    def scandir(path):
        if Path(path) == closed:
            raise PermissionError(13, "Permission denied", str(path))
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)
    assert list(expand_image_paths([tmp_path], recursive=True)) == [tmp_path / "a.jpg", closed]
    with pytest.raises(ImageReadError, match=r"b-closed: folder cannot be read \(permission"):
        read_image(closed)
    with pytest.raises(ImageReadError, match="not a valid file name"):
        read_image(tmp_path / "nul\0.jpg")


def test_byte_budget_refuses_before_decoding() -> None:
    bomb = png_header(10_000, 10_000, 16, 6)  # 100 MP: within the pixel limit, 1.4 GB to decode
    with pytest.raises(ImageReadError, match=r"needs about 1,431 MB to decode, above the 512 MB"):
        decode_image(bomb)
    header = probe(np.frombuffer(bomb, np.uint8))
    assert header is not None and (header.channels, header.bytes_per_sample) == (4, 2)
    small = ByteBudget(32 << 20)
    deep = np.zeros((2000, 2000, 4), np.uint16)  # 32 MB decoded, 60 MB with the conversions
    with pytest.raises(ImageReadError, match="32 MB memory budget"):
        decode_image(_encode(".png", deep), budget=small)
    assert decode_image(_encode(".png", deep), budget=ByteBudget(128 << 20)).shape == (2000, 2000,
                                                                                       3)


def test_png_chunk_declaring_more_than_the_file_is_refused_unread() -> None:
    with pytest.raises(ImageReadError, match=r"chunk b'IDAT' declares 2,147,483,632 bytes"):
        decode_image(png_chunk_bomb())


def test_jpeg_is_refused_at_full_scale_but_decoded_reduced() -> None:
    data = jpeg_header(9_500, 9_500)
    with pytest.raises(ImageReadError, match="memory budget"):
        decode_image(data)
    header = probe(np.frombuffer(data, np.uint8))
    assert jpeg_reduction(header, 256) == 8 and jpeg_reduction(header, None) == 1


@pytest.mark.parametrize(("size", "min_side", "expected"),
                         [((2048, 1536), 256, (384, 512)), ((1000, 700), 256, (350, 500)),
                          ((500, 375), 256, (375, 500)), ((4000, 3000), 256, (375, 500))])
def test_large_jpeg_is_decoded_reduced(tmp_path: Path, size, min_side, expected) -> None:
    width, height = size
    image = cv2.resize(gradient_bgr(), (width, height))
    path = _write(tmp_path / "big.jpg", _encode(".jpg", image))
    assert read_image(path, min_side=min_side).shape[:2] == expected
    assert read_image(path).shape[:2] == (height, width)


def test_reduced_decode_keeps_exif_orientation(tmp_path: Path) -> None:
    image = cv2.resize(gradient_bgr(), (1600, 1200))
    path = _write(tmp_path / "turned.jpg", jpeg_with_orientation(image, 6))
    result = read_image(path, min_side=256)
    assert result.shape[:2] == (400, 300)  # 1/4 scale, rotated to portrait
    assert result[:, -1, 1].mean() < result[:, 0, 1].mean()


def test_16_bit_rgba_converts_like_its_8_bit_version() -> None:
    rng = np.random.default_rng(1)
    deep = rng.integers(0, 65536, (300, 257, 4), dtype=np.uint16)
    assert np.array_equal(to_bgr8(deep), to_bgr8((deep >> 8).astype(np.uint8)))
    grey_alpha = rng.integers(0, 256, (300, 5, 2), dtype=np.uint8)
    result = to_bgr8(grey_alpha)
    expected = (grey_alpha[:, :, :1] * (grey_alpha[:, :, 1:] / 255.0)
                + 255.0 * (1 - grey_alpha[:, :, 1:] / 255.0) + 0.5).astype(np.uint8)
    assert np.abs(result.astype(int) - expected.astype(int)).max() <= 1
    assert result.shape == (300, 5, 3) and (result[:, :, 0] == result[:, :, 2]).all()


def test_decodes_share_one_budget() -> None:
    budget = ByteBudget(100)
    first_in, second_in, release = threading.Event(), threading.Event(), threading.Event()

    def hold(nbytes: int, entered: threading.Event) -> None:
        with budget.reserve(nbytes):
            entered.set()
            release.wait(5)

    first = threading.Thread(target=hold, args=(60, first_in))
    second = threading.Thread(target=hold, args=(60, second_in))
    first.start()
    assert first_in.wait(5)
    second.start()
    assert not second_in.wait(0.2)  # 60 + 60 > 100: waits for the first
    release.set()
    assert second_in.wait(5)
    first.join(5)
    second.join(5)


def test_reduced_jpeg_decoding_keeps_the_answers(classifier, sample_images, tmp_path) -> None:
    """The 100 shared photos through the model with and without reduced decoding: the photos
    large enough to be reduced (shorter side >= 512) keep top-1 accuracy; the speed on large
    photos is printed (interleaved, medians), not asserted."""
    import time

    side = classifier.spec.preprocess.resize
    truth = [classifier.spec.wnids.index(p.name.split("_")[0]) for p in sample_images]

    def top1(min_side: int | None) -> list[int]:
        return [int(classifier.probabilities(read_image(p, min_side=min_side)).argmax())
                for p in sample_images]

    full, reduced = top1(None), top1(side)
    correct_full = sum(a == t for a, t in zip(full, truth, strict=True))
    correct_reduced = sum(a == t for a, t in zip(reduced, truth, strict=True))
    same = sum(a == b for a, b in zip(full, reduced, strict=True))
    print(f"top-1 {correct_full} % full decode, {correct_reduced} % reduced; {same}/100 equal")
    assert correct_reduced >= correct_full and same >= 98

    big = []
    for photo in sample_images[:20]:
        upscaled = cv2.resize(read_image(photo), None, fx=4, fy=4, interpolation=cv2.INTER_CUBIC)
        big.append(_write(tmp_path / photo.name, _encode(".jpg", upscaled,
                                                         cv2.IMWRITE_JPEG_QUALITY, 92)))
    times: dict[int | None, list[float]] = {None: [], side: []}
    for path in big * 2:
        for mode in (None, side):
            started = time.perf_counter()
            classifier.preprocess(read_image(path, min_side=mode))
            times[mode].append(time.perf_counter() - started)
    full_ms, reduced_ms = (float(np.median(times[m])) * 1e3 for m in (None, side))
    print(f"4x photos: decode + pre-process {full_ms:.1f} ms full, {reduced_ms:.1f} ms reduced "
          f"({full_ms / reduced_ms:.2f}x)")


@pytest.mark.parametrize(
    ("data", "geometry"),
    [
        (b"P5\n9999 9999\n65535\n", (9999, 9999, 1, 2)),
        (b"P6\n# a comment\n640 480\n255\n", (640, 480, 3, 1)),
        (b"P4\n10 12\n", (10, 12, 1, 1)),
        (b"GIF89a\x0f\x27\x0f\x27", (9999, 9999, 4, 1)),
    ],
)
def test_header_geometry_of_other_formats(data: bytes, geometry) -> None:
    header = probe(np.frombuffer(data + bytes(64), np.uint8))
    assert header is not None
    assert (header.width, header.height, header.channels, header.bytes_per_sample) == geometry


def test_a_gif_size_is_read_unsigned() -> None:
    """GIF stores its size as unsigned 16-bit numbers (imagesize reads them signed): a header
    claiming 40,000 × 40,000 must be seen as 1.6 gigapixels, not as an unreadable size."""
    import struct

    data = b"GIF89a" + struct.pack("<HH", 40_000, 40_000) + bytes(64)
    header = probe(np.frombuffer(data, np.uint8))
    assert header is not None and (header.width, header.height) == (40_000, 40_000)
