"""HEIC/HEIF pictures (iPhones, many Android phones) through libheif, by the pi-heif wheel.

pi-heif rather than pillow-heif: it is the decode-only build of the same project (BSD-3 binding,
libheif and libde265 under LGPL), a 1.5 MB wheel against pillow-heif's 5.7 MB, and it leaves out
the x265 encoder, which is GPL and would make the installers GPL too. Imported on first use, so
that start-up and JPEG-only runs never load it.

libheif applies the file's `irot`/`imir` itself; `orientation.py` knows that and adds nothing
unless the file has only an EXIF orientation.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

import numpy as np

from squeezeapp.core.common.errors import ImageReadError

logger = logging.getLogger(__name__)

# libheif's working memory per pixel, on top of the result: the YCbCr planes (16-bit for 10-bit
# files, 4:2:0 or 4:4:4), the interleaved RGB(A) it converts them into, and our copy of it.
DECODE_BYTES_PER_PIXEL = 14
_import_lock = threading.Lock()


def _library() -> Any:
    with _import_lock:
        import pi_heif

        return pi_heif


def version() -> str:
    """'libheif 1.23.0 (pi-heif 1.4.0)', or why HEIC cannot be read (for `squeezeapp info`)."""
    try:
        library = _library()
    except ImportError:
        return "not available (pi-heif is not installed)"
    try:
        return f"libheif {library.libheif_version()} (pi-heif {library.__version__})"
    except ImportError as error:  # the extension module is missing (a broken bundle)
        return f"not available ({error})"


def decode_heif(buffer: np.ndarray) -> np.ndarray:
    """The primary image, 8-bit BGR or BGRA, upright as its `irot`/`imir` say."""
    try:
        library = _library()
    except ImportError:
        raise ImageReadError("HEIC/HEIF needs the pi-heif package, which is not installed"
                             ) from None
    try:
        heif = library.open_heif(buffer.tobytes(), convert_hdr_to_8bit=True, bgr_mode=True)
        image = heif[heif.primary_index]
        width, height = image.size
        channels = len(image.mode) if image.mode in ("BGR", "BGRA") else 0
        if channels == 0:
            raise ImageReadError(f"HEIF image in an unexpected pixel layout ({image.mode})")
        rows = np.frombuffer(image.data, np.uint8)[:height * image.stride].reshape(
            height, image.stride)
        # copied: the decoded buffer is libheif's and goes away with `heif`
        return rows[:, :width * channels].reshape(height, width, channels).copy()
    except MemoryError:
        raise ImageReadError("not enough memory to decode this image") from None
    except ImportError as error:  # pi-heif defers a missing extension to the first decode
        raise ImageReadError(f"HEIC/HEIF cannot be read in this installation ({error})"
                             ) from None
    except (ValueError, EOFError, SyntaxError, RuntimeError, OSError, IndexError) as error:
        logger.debug("libheif refused a file: %s", error)
        raise ImageReadError(f"not a readable HEIF image ({_short(error)})") from None


def _short(error: Exception) -> str:
    text = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    return text[:160]
