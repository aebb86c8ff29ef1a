"""Reading images from disk or memory into BGR uint8 arrays, refusing bad input with one line.

`cv2.imdecode(np.fromfile(...))` rather than `cv2.imread` so that non-ASCII paths work on Windows.
JPEG is decoded with IMREAD_COLOR, which applies the EXIF orientation and converts CMYK/greyscale;
other formats are decoded unchanged so that alpha, palette and 16-bit data can be handled here.
"""

from __future__ import annotations

import io
import logging
import os
from collections.abc import Iterable, Iterator
from pathlib import Path

import imagesize
import numpy as np

from squeezeapp.core.errors import ImageReadError

MAX_PIXELS = 100_000_000  # 100 MP: larger images are refused as possible decompression bombs
os.environ.setdefault("OPENCV_IO_MAX_IMAGE_PIXELS", str(MAX_PIXELS))
os.environ.setdefault("OPENCV_LOG_LEVEL", "ERROR")

import cv2  # noqa: E402  (the environment above must be set before OpenCV reads it)

logger = logging.getLogger(__name__)

IMAGE_EXTENSIONS = frozenset(
    {".jpg", ".jpeg", ".jpe", ".png", ".bmp", ".dib", ".tif", ".tiff", ".webp", ".pbm", ".pgm",
     ".ppm", ".pnm", ".pxm", ".sr", ".ras", ".jp2", ".avif", ".gif", ".hdr", ".pic", ".exr"}
)
VIDEO_EXTENSIONS = frozenset({".mp4", ".avi", ".mov", ".mkv", ".webm", ".m4v", ".mpg", ".mpeg",
                              ".wmv", ".flv"})
_JPEG_MAGIC = b"\xff\xd8\xff"
_WHITE = 255.0


def read_image(path: Path | str, max_pixels: int = MAX_PIXELS) -> np.ndarray:
    """Read an image file as a contiguous BGR uint8 array of shape (H, W, 3)."""
    path = Path(path)
    try:
        data = np.fromfile(path, dtype=np.uint8)
    except IsADirectoryError:
        raise ImageReadError(f"{path}: is a folder, not an image file") from None
    except FileNotFoundError:
        raise ImageReadError(f"{path}: no such file") from None
    except PermissionError:
        raise ImageReadError(f"{path}: permission denied") from None
    except OSError as error:
        raise ImageReadError(f"{path}: cannot read ({error.strerror or error})") from None
    try:
        return decode_image(data, max_pixels)
    except ImageReadError as error:
        raise ImageReadError(f"{path}: {error}") from None


def decode_image(data: np.ndarray | bytes, max_pixels: int = MAX_PIXELS) -> np.ndarray:
    """Decode encoded image bytes (any format OpenCV reads) to BGR uint8 (H, W, 3)."""
    buffer = np.frombuffer(data, dtype=np.uint8) if isinstance(data, bytes) else data
    if buffer.size == 0:
        raise ImageReadError("empty file")
    width, height = _header_size(buffer)
    if width > 0 and height > 0 and width * height > max_pixels:
        raise ImageReadError(
            f"image is {width}×{height} = {width * height / 1e6:.0f} MP, above the "
            f"{max_pixels / 1e6:.0f} MP limit (refused as a possible decompression bomb)"
        )
    is_jpeg = bytes(buffer[:3]) == _JPEG_MAGIC
    flags = cv2.IMREAD_COLOR if is_jpeg else cv2.IMREAD_UNCHANGED
    try:
        image = cv2.imdecode(buffer, flags)
    except cv2.error as error:  # OpenCV raises for some malformed headers
        logger.debug("imdecode raised: %s", error)
        image = None
    if image is None or image.size == 0:
        raise ImageReadError("not a readable image (unknown format, corrupt or truncated)")
    if image.shape[0] * image.shape[1] > max_pixels:
        raise ImageReadError(f"image is above the {max_pixels / 1e6:.0f} MP limit")
    return to_bgr8(image)


def _header_size(buffer: np.ndarray) -> tuple[int, int]:
    """Width and height from the file header, without decoding; (-1, -1) when unknown."""
    try:
        return imagesize.get(io.BytesIO(buffer[: 1 << 20].tobytes()))
    except Exception:
        return -1, -1


def to_bgr8(image: np.ndarray) -> np.ndarray:
    """Normalise greyscale / BGRA / 16-bit / float arrays to contiguous BGR uint8.

    Alpha is composited over white: transparent regions of logos and cut-outs are usually meant
    to be seen on a light page, and their hidden colour values are often garbage.
    """
    image = _to_uint8(image)
    if image.ndim == 2:
        return cv2.cvtColor(image, cv2.COLOR_GRAY2BGR)
    channels = image.shape[2]
    if channels == 1:
        return cv2.cvtColor(image, cv2.COLOR_GRAY2BGR)
    if channels == 2:  # grey + alpha
        grey = image[:, :, 0:1].astype(np.float32)
        return _composite(np.repeat(grey, 3, axis=2), image[:, :, 1])
    if channels == 4:
        return _composite(image[:, :, :3].astype(np.float32), image[:, :, 3])
    return np.ascontiguousarray(image[:, :, :3])


def _to_uint8(image: np.ndarray) -> np.ndarray:
    if image.dtype == np.uint8:
        return image
    if image.dtype == np.uint16:
        return (image >> 8).astype(np.uint8)
    if np.issubdtype(image.dtype, np.floating):  # HDR/EXR/float TIFF: assume 0..1
        return np.clip(np.nan_to_num(image) * 255.0 + 0.5, 0, 255).astype(np.uint8)
    info = np.iinfo(image.dtype)
    scaled = (image.astype(np.float64) - info.min) * (255.0 / (info.max - info.min))
    return scaled.astype(np.uint8)


def _composite(bgr: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    weight = alpha.astype(np.float32)[:, :, None] / 255.0
    blended = bgr * weight + _WHITE * (1.0 - weight)
    return np.ascontiguousarray(blended + 0.5, dtype=np.float32).astype(np.uint8)


def is_image_path(path: Path) -> bool:
    return path.suffix.lower() in IMAGE_EXTENSIONS


def is_video_path(path: Path) -> bool:
    return path.suffix.lower() in VIDEO_EXTENSIONS


def expand_image_paths(paths: Iterable[Path | str], recursive: bool = False) -> Iterator[Path]:
    """Files as given (whatever their extension), and images found in folders, sorted by name.

    A file given explicitly is always yielded so that a bad one is reported rather than skipped;
    inside folders only files with an image extension are taken.
    """
    for item in paths:
        path = Path(item)
        if path.is_dir():
            pattern = path.rglob("*") if recursive else path.glob("*")
            found = sorted(
                (p for p in pattern if p.is_file() and is_image_path(p)),
                key=lambda p: str(p).lower(),
            )
            yield from found
        else:
            yield path
