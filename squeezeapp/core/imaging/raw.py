"""Camera RAW files (DNG, CR2/CR3, NEF, ARW, RAF, ORF, RW2, ...) through LibRaw (rawpy).

The camera's embedded preview JPEG is used when it has one large enough: it is what photo
browsers show, with the camera's own colour rendering, and it decodes in milliseconds. Otherwise
the sensor data is demosaiced at half size (a quarter of the pixels, no interpolation), which is
plenty for a 227-pixel model input. The memory a demosaic needs is estimated from the sizes
LibRaw reads before unpacking, and held in the shared decode budget.

rawpy (MIT, LibRaw under LGPL-2.1/CDDL) is imported on first use.
"""

from __future__ import annotations

import io
import logging
import struct
from collections.abc import Callable
from typing import Any

import numpy as np

from squeezeapp.core.common.errors import ImageReadError
from squeezeapp.core.common.limits import ByteBudget
from squeezeapp.core.imaging.formats import RAW_EXTENSIONS
from squeezeapp.core.imaging.header import probe
from squeezeapp.core.imaging.orientation import (
    EXIF_TRANSFORMS,
    apply_transforms,
    exif_block,
    exif_orientation,
)

import cv2  # isort: skip

logger = logging.getLogger(__name__)

MIN_PREVIEW_SIDE = 256  # a smaller embedded preview is a thumbnail: demosaic instead
_MB = 1 << 20
_FLIP_TO_EXIF = {0: 1, 3: 3, 5: 8, 6: 6}  # LibRaw's `flip` as an EXIF orientation
_TIFF_MAGIC = (b"II*\0", b"MM\0*")
_DNG_VERSION = 50706


def version() -> str:
    """'LibRaw 0.22.2 (rawpy 0.28.0)', or why RAW cannot be read (for `squeezeapp info`)."""
    try:
        import rawpy
    except ImportError:
        return "not available (rawpy is not installed)"
    return f"LibRaw {'.'.join(map(str, rawpy.libraw_version))} (rawpy {rawpy.__version__})"


def looks_raw(buffer: np.ndarray, suffix: str | None) -> bool:
    """A RAW file, by its name or, for DNG, CR3, RAF, ORF and RW2, by its first bytes."""
    if suffix and suffix.lower() in RAW_EXTENSIONS:
        return True
    head = buffer[:16].tobytes()
    return (head.startswith((b"FUJIFILMCCD-RAW", b"IIRO", b"IIRS", b"MMOR", b"IIU\0"))
            or (head[4:12] == b"ftypcrx ")
            or (head[:4] in _TIFF_MAGIC and (head[8:10] == b"CR" or _is_dng(buffer))))


def _is_dng(buffer: np.ndarray) -> bool:
    """A TIFF whose first IFD has the DNGVersion tag (50706)."""
    head = buffer[:1 << 16].tobytes()
    order = "<" if head[:2] == b"II" else ">"
    try:
        (offset,) = struct.unpack(order + "I", head[4:8])
        (count,) = struct.unpack(order + "H", head[offset:offset + 2])
        return any(struct.unpack(order + "H", head[offset + 2 + 12 * i:offset + 4 + 12 * i])[0]
                   == _DNG_VERSION for i in range(min(count, 512)))
    except struct.error:
        return False


def decode_raw(buffer: np.ndarray, *, max_pixels: int, min_side: int | None,
               budget: ByteBudget, decode_preview: Callable[[bytes], np.ndarray]
               ) -> np.ndarray:
    """A RAW file as BGR uint8, upright. `decode_preview` decodes the embedded JPEG (through
    the same checks and budget as any JPEG)."""
    try:
        import rawpy
    except ImportError:
        raise ImageReadError("camera RAW needs the rawpy package, which is not installed"
                             ) from None
    errors: tuple[type[BaseException], ...] = (rawpy.LibRawError, OSError, ValueError)
    try:
        with rawpy.RawPy() as raw:
            raw.open_buffer(io.BytesIO(buffer.tobytes()))
            sizes = raw.sizes
            pixels = sizes.raw_width * sizes.raw_height
            if pixels <= 0 or sizes.width * sizes.height > max_pixels:
                raise ImageReadError(
                    f"RAW image is {sizes.width}×{sizes.height}, above the "
                    f"{max_pixels / 1e6:.0f} MP limit")
            flip = EXIF_TRANSFORMS[_FLIP_TO_EXIF.get(sizes.flip, 1)]
            preview = _preview(raw, rawpy, min_side)
            if preview is None:
                return _demosaic(raw, sizes, buffer.nbytes, budget)
    except errors as error:
        logger.debug("LibRaw refused a file: %s", error)
        raise ImageReadError(f"not a readable camera RAW file ({_short(error)})") from None
    except MemoryError:
        raise ImageReadError("not enough memory to decode this RAW file") from None
    image = decode_preview(preview)
    own = exif_orientation(exif_block(np.frombuffer(preview, np.uint8)))
    return image if own != 1 else apply_transforms(image, flip)


def _preview(raw: Any, rawpy: Any, min_side: int | None) -> bytes | None:
    """The embedded preview JPEG when there is one at least `min_side` (and 256) pixels on
    its shorter side."""
    try:
        thumb = raw.extract_thumb()
    except (rawpy.LibRawNoThumbnailError, rawpy.LibRawUnsupportedThumbnailError):
        return None
    except rawpy.LibRawError as error:
        logger.debug("no usable preview: %s", error)
        return None
    if thumb.format != rawpy.ThumbFormat.JPEG:
        return None
    data = bytes(thumb.data)
    header = probe(np.frombuffer(data, np.uint8))
    if header is None or min(header.width, header.height) < max(min_side or 0,
                                                               MIN_PREVIEW_SIDE):
        return None
    return data


def _demosaic(raw: Any, sizes: Any, file_bytes: int, budget: ByteBudget) -> np.ndarray:
    """Half-size demosaic (LibRaw applies the orientation), 8-bit, camera white balance."""
    raw_pixels = sizes.raw_width * sizes.raw_height
    half = -(-sizes.width // 2) * -(-sizes.height // 2)
    # unpacked 16-bit sensor data, LibRaw's 4 × 16-bit working image, the RGB result, BGR copy
    need = file_bytes + raw_pixels * 2 + half * 8 + half * 3 * 2
    if need > budget.capacity:
        raise ImageReadError(f"RAW image is {sizes.width}×{sizes.height} and needs about "
                             f"{need / _MB:,.0f} MB to decode, above the "
                             f"{budget.capacity / _MB:,.0f} MB memory budget")
    with budget.reserve(need):
        raw.unpack()
        rgb = raw.postprocess(half_size=True, use_camera_wb=True, output_bps=8)
        return cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR)


def _short(error: BaseException) -> str:
    text = str(error).strip().strip("b'\"") or type(error).__name__
    return text.splitlines()[0][:160]
