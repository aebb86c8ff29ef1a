"""Reading images from disk or memory into BGR uint8 arrays, refusing bad input with one line.

`cv2.imdecode(np.fromfile(...))` rather than `cv2.imread` so that non-ASCII paths work on Windows.
JPEG is decoded with IMREAD_COLOR, which converts CMYK/greyscale; other formats are decoded
unchanged so that alpha, palette and 16-bit data can be handled here. HEIC/HEIF goes to libheif
(heif.py), camera RAW to LibRaw (raw.py); every format's orientation is applied in one place
afterwards (orientation.py).
"""

from __future__ import annotations

import errno
import logging
import os
import stat
from collections.abc import Iterable, Iterator
from pathlib import Path

import numpy as np

from squeezeapp.core.common.errors import ImageReadError
from squeezeapp.core.common.files import short_path
from squeezeapp.core.common.limits import IMAGE_BUDGET, MEMORY_BUDGET_ENV, ByteBudget
from squeezeapp.core.imaging import formats
from squeezeapp.core.imaging.formats import IMAGE_EXTENSIONS, VIDEO_EXTENSIONS
from squeezeapp.core.imaging.header import ImageHeader, probe, structure_problem
from squeezeapp.core.imaging.heif import DECODE_BYTES_PER_PIXEL, decode_heif
from squeezeapp.core.imaging.orientation import apply_transforms, display_transforms
from squeezeapp.core.imaging.raw import decode_raw, looks_raw
from squeezeapp.core.imaging.scan import MAX_FOLDER_DEPTH, scan_images, too_deep

MAX_PIXELS = 100_000_000  # 100 MP: larger images are refused as possible decompression bombs
# The window's still pictures: a JPEG whose shorter side is at least twice this is decoded
# reduced (a 10000×10000 photo at 1/4: 2500×2500, 19 MB instead of 300 MB and a refusal).
DISPLAY_MIN_SIDE = 2160
os.environ.setdefault("OPENCV_IO_MAX_IMAGE_PIXELS", str(MAX_PIXELS))
os.environ.setdefault("OPENCV_LOG_LEVEL", "SILENT")

import cv2  # noqa: E402  (the environment above must be set before OpenCV reads it)

# Another module may have imported OpenCV first; every decoder failure is reported by this
# module in one line, so OpenCV's own errors and warnings about damaged files (up to 6 lines
# per file, libtiff's among them) would only be noise. `-v` shows them (`show_library_logs`).
if os.environ["OPENCV_LOG_LEVEL"] == "SILENT":
    cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_SILENT)


def show_library_logs(verbose: bool) -> None:
    """OpenCV's own log lines about damaged files: shown with -v, silent otherwise."""
    cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_WARNING if verbose
                                  else cv2.utils.logging.LOG_LEVEL_SILENT)

logger = logging.getLogger(__name__)

__all__ = ["IMAGE_EXTENSIONS", "VIDEO_EXTENSIONS"]  # their home is formats.py
_JPEG_MAGIC = b"\xff\xd8\xff"
# Radiance HDR ("#?RADIANCE", "#?RGBE"): OpenCV decodes it only from a file, so it copies the
# bytes to /tmp/__opencv_temp.XXXXXX (mode 0644, left there when parsing fails): a copy of the
# user's picture outside our folders. The format is refused instead (see the README's formats).
_RADIANCE_MAGIC = b"#?"
_WHITE = 255.0
_MB = 1 << 20
# EXIF orientation is applied by orientation.py for every format, so OpenCV must not apply it too
_REDUCED_FLAGS = {factor: flag | cv2.IMREAD_IGNORE_ORIENTATION for factor, flag in
                  {1: cv2.IMREAD_COLOR, 2: cv2.IMREAD_REDUCED_COLOR_2,
                   4: cv2.IMREAD_REDUCED_COLOR_4, 8: cv2.IMREAD_REDUCED_COLOR_8}.items()}
# Non-blocking: opening a FIFO for reading would otherwise wait for a writer, for ever.
_OPEN_FLAGS = (os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
               | getattr(os, "O_CLOEXEC", 0))
_SPECIAL_KINDS = ((stat.S_ISFIFO, "a FIFO"), (stat.S_ISCHR, "a character device"),
                  (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket"))
_OS_ERRORS = {
    errno.ENOENT: "no such file",
    errno.EACCES: "permission denied",
    errno.EPERM: "permission denied",
    errno.ENAMETOOLONG: "file name too long",
    errno.ELOOP: "too many levels of symbolic links (a link loop?)",
    errno.ENOTDIR: "no such file (a part of the path is not a folder)",
}


def read_image(path: Path | str, max_pixels: int = MAX_PIXELS, *, min_side: int | None = None,
               budget: ByteBudget = IMAGE_BUDGET) -> np.ndarray:
    """Read an image file as a contiguous BGR uint8 array of shape (H, W, 3).

    `min_side`: the shorter side the caller needs (a model's resize size); a large JPEG is then
    decoded at 1/2, 1/4 or 1/8 scale, which is faster and needs a fraction of the memory.
    """
    path = Path(path)
    try:
        data = read_regular_file(path, budget.capacity)
        return decode_image(data, max_pixels, min_side=min_side, budget=budget,
                            suffix=path.suffix)
    except ImageReadError as error:
        # a path longer than a line is shortened in the middle (a 5,000-character one filled the
        # window's card); `reason` is without it, for where the path is shown beside
        raise ImageReadError(f"{short_path(path)}: {error}", reason=error.reason) from None


def read_regular_file(path: Path, max_bytes: int) -> np.ndarray:
    """The bytes of a regular file; FIFOs, devices and sockets are refused without reading, so
    that nothing can block (the file is opened non-blocking and checked again once open)."""
    try:
        status = path.stat()
        if stat.S_ISDIR(status.st_mode):
            raise ImageReadError(_folder_problem(path))
        _require_regular(status)
        descriptor = os.open(path, _OPEN_FLAGS)
    except OSError as error:
        raise ImageReadError(_describe_os_error(error)) from None
    except ValueError:  # a NUL character, from a paste or a drop
        raise ImageReadError("not a valid file name") from None
    with os.fdopen(descriptor, "rb", buffering=0) as stream:
        status = os.fstat(descriptor)
        _require_regular(status)  # replaced between stat and open
        if status.st_size > max_bytes:
            raise ImageReadError(f"file is {status.st_size / _MB:,.0f} MB, above the "
                                 f"{max_bytes / _MB:,.0f} MB memory budget")
        data = np.empty(status.st_size, np.uint8)
        view, filled = memoryview(data.data), 0
        try:
            while filled < len(data) and (count := stream.readinto(view[filled:])):
                filled += count
        except OSError as error:
            raise ImageReadError(_describe_os_error(error)) from None
    return data[:filled]


def _require_regular(status: os.stat_result) -> None:
    if not stat.S_ISREG(status.st_mode):
        kind = next((name for test, name in _SPECIAL_KINDS if test(status.st_mode)), "special")
        raise ImageReadError(f"not a regular file ({kind})")


def _describe_os_error(error: OSError) -> str:
    reason = _OS_ERRORS.get(error.errno or 0) or error.strerror or str(error) or "cannot read"
    return reason[0].lower() + reason[1:]


def _folder_problem(path: Path) -> str:
    """Why a folder given where an image was expected yields nothing: it cannot be listed, lies
    too deep to be searched, or it is a folder (the scan lists such folders so that they are
    reported)."""
    if too_deep(path):
        return f"folder not searched: nested more than {MAX_FOLDER_DEPTH} levels deep"
    try:
        os.scandir(path).close()
    except OSError as error:
        return f"folder cannot be read ({_describe_os_error(error)})"
    return "is a folder, not an image file"


def decode_image(data: np.ndarray | bytes, max_pixels: int = MAX_PIXELS, *,
                 min_side: int | None = None, budget: ByteBudget = IMAGE_BUDGET,
                 suffix: str | None = None) -> np.ndarray:
    """Decode encoded image bytes (any format OpenCV reads, HEIF, camera RAW) to BGR uint8
    (H, W, 3), upright. `suffix`: the file name's, which tells RAW formats that start like TIFF.

    The memory the decode and the conversions will take is estimated from the header and
    refused above the budget before anything is allocated; within it, decodes running in
    parallel wait for each other so that together they stay within the budget too.
    """
    buffer = np.frombuffer(data, dtype=np.uint8) if isinstance(data, bytes) else data
    if buffer.size == 0:
        raise ImageReadError("empty file")
    if bytes(buffer[:2]) == _RADIANCE_MAGIC:
        raise ImageReadError("Radiance HDR pictures are not supported")
    problem = structure_problem(buffer)
    if problem:
        raise ImageReadError(problem)
    if looks_raw(buffer, suffix):
        return decode_raw(buffer, max_pixels=max_pixels, min_side=min_side, budget=budget,
                          decode_preview=lambda jpeg: decode_image(jpeg, max_pixels,
                                                                   min_side=min_side,
                                                                   budget=budget))
    header = probe(buffer)
    if header is not None and header.pixels > max_pixels:
        raise ImageReadError(
            f"image is {header.width}×{header.height} = {header.pixels / 1e6:.0f} MP, above the "
            f"{max_pixels / 1e6:.0f} MP limit (refused as a possible decompression bomb)"
        )
    is_jpeg = bytes(buffer[:3]) == _JPEG_MAGIC
    reduction = jpeg_reduction(header, min_side) if is_jpeg else 1
    is_heif = header is not None and header.format == "heif"
    transforms = display_transforms(buffer, decoder_applies_boxes=is_heif)
    need = buffer.nbytes * (2 if is_heif else 1) + (
        decode_peak_bytes(header, reduction, rotated=bool(transforms)) if header is not None
        else 0)
    if need > budget.capacity:
        size = f"is {header.width}×{header.height} and " if header is not None else ""
        raise ImageReadError(
            f"image {size}needs about {need / _MB:,.0f} MB to decode, above the "
            f"{budget.capacity / _MB:,.0f} MB memory budget (--memory-budget / "
            f"{MEMORY_BUDGET_ENV})"
        )
    flags = _REDUCED_FLAGS[reduction] if is_jpeg else cv2.IMREAD_UNCHANGED
    with budget.reserve(need):
        try:
            image = decode_heif(buffer) if is_heif else cv2.imdecode(buffer, flags)
        except cv2.error as error:  # OpenCV raises for some malformed headers
            logger.debug("imdecode raised: %s", error)
            image = None
        except MemoryError:  # a format whose header we could not read: the batch goes on
            raise ImageReadError("not enough memory to decode this image") from None
        if image is None or image.size == 0:
            raise ImageReadError("not a readable image (unknown format, corrupt or truncated)")
        if image.shape[0] * image.shape[1] > max_pixels or image.nbytes > budget.capacity:
            raise ImageReadError(f"image is above the {max_pixels / 1e6:.0f} MP limit or the "
                                 "memory budget")
        try:
            return apply_transforms(to_bgr8(image), transforms)
        except MemoryError:
            raise ImageReadError("not enough memory to convert this image") from None


def jpeg_reduction(header: ImageHeader | None, min_side: int | None) -> int:
    """The largest JPEG scale-down (1, 2, 4 or 8) that keeps the shorter side >= `min_side`."""
    if header is None or not min_side or header.format != "jpeg":
        return 1
    shorter = min(header.width, header.height)
    return next((factor for factor in (8, 4, 2) if shorter // factor >= min_side), 1)


def decode_peak_bytes(header: ImageHeader, reduction: int = 1, *, rotated: bool = False) -> int:
    """Peak memory of decoding an image and converting it to BGR uint8, from its header.

    The decoded array, plus the uint8 copy a 16-bit or float image needs, plus the BGR array an
    image with other than three channels is converted into (alpha is blended in strips, so its
    temporaries are small), plus the turned copy an image with an orientation needs. JPEG:
    decoded BGR plus one more for the turned copy. HEIF: libheif's planes and its RGB(A) result.
    """
    pixels = -(-header.width // reduction) * -(-header.height // reduction)
    turned = pixels * 3 if rotated else 0
    if header.format == "jpeg":  # the turned copy is always counted: kept as measured before
        return pixels * (max(3, header.channels) + 3)
    if header.format == "heif":
        return pixels * (DECODE_BYTES_PER_PIXEL + 3) + turned
    decoded = pixels * header.channels * header.bytes_per_sample
    narrowed = pixels * header.channels if header.bytes_per_sample > 1 else 0
    converted = pixels * 3 if header.channels != 3 else 0
    return decoded + narrowed + converted + turned


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
    if channels in (2, 4):
        return _composite_over_white(image)
    return np.ascontiguousarray(image[:, :, :3])


def _to_uint8(image: np.ndarray) -> np.ndarray:
    """A uint8 view of the samples; 16-bit is narrowed in one pass, without float copies."""
    if image.dtype == np.uint8:
        return image
    if image.dtype == np.uint16:
        narrowed = np.empty(image.shape, np.uint8)
        np.right_shift(image, 8, out=narrowed, casting="unsafe")
        return narrowed
    narrowed = np.empty(image.shape, np.uint8)
    for rows in _strips(image.shape[0]):
        narrowed[rows] = _strip_to_uint8(image[rows])
    return narrowed


def _strip_to_uint8(strip: np.ndarray) -> np.ndarray:
    if np.issubdtype(strip.dtype, np.floating):  # HDR/EXR/float TIFF: assume 0..1
        return np.clip(np.nan_to_num(strip) * 255.0 + 0.5, 0, 255).astype(np.uint8)
    info = np.iinfo(strip.dtype)
    return ((strip.astype(np.float64) - info.min) * (255.0 / (info.max - info.min))).astype(
        np.uint8)


def _composite_over_white(image: np.ndarray) -> np.ndarray:
    """BGR uint8 from grey+alpha or BGRA uint8, blended strip by strip so that the float
    temporaries stay a few MB whatever the image size."""
    height, width, channels = image.shape
    result = np.empty((height, width, 3), np.uint8)
    for rows in _strips(height):
        colour = image[rows, :, :1] if channels == 2 else image[rows, :, :3]
        weight = image[rows, :, channels - 1:].astype(np.float32) / 255.0
        blended = colour.astype(np.float32) * weight + _WHITE * (1.0 - weight) + 0.5
        result[rows] = blended.astype(np.uint8)  # broadcasting repeats a grey channel
    return result


def _strips(height: int, rows: int = 256) -> Iterator[slice]:
    return (slice(top, min(top + rows, height)) for top in range(0, height, rows))


def is_image_path(path: Path) -> bool:
    return formats.is_image_path(path.name)


def is_video_path(path: Path) -> bool:
    return formats.is_video_path(path.name)


def expand_image_paths(paths: Iterable[Path | str], recursive: bool = False) -> Iterator[Path]:
    """The pictures to read: see `scan.scan_images` (which also says what was left out)."""
    yield from scan_images(paths, recursive).images
