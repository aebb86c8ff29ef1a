"""numpy ↔ QImage, always copying so a QImage never points into a buffer that may change."""

from __future__ import annotations

import numpy as np
from PySide6.QtGui import QImage

from squeezeapp.core.imaging.decode import to_bgr8


def bgr_to_qimage(image: np.ndarray) -> QImage:
    """A deep-copied QImage of a BGR uint8 (H, W, 3) array."""
    height, width = image.shape[:2]
    contiguous = np.ascontiguousarray(image)
    view = QImage(contiguous.data, width, height, contiguous.strides[0],
                  QImage.Format.Format_BGR888)
    return view.copy()


def bgra_to_qimage(image: np.ndarray) -> QImage:
    """A deep-copied QImage of a BGRA uint8 (H, W, 4) array with straight alpha (ARGB32 is
    B, G, R, A in memory on the little-endian machines we ship for)."""
    height, width = image.shape[:2]
    contiguous = np.ascontiguousarray(image)
    view = QImage(contiguous.data, width, height, contiguous.strides[0],
                  QImage.Format.Format_ARGB32)
    return view.copy()


def qimage_to_bgr(image: QImage) -> np.ndarray:
    """A BGR uint8 copy of any QImage (pasted pictures arrive in many formats)."""
    rgba = image.convertToFormat(QImage.Format.Format_RGBA8888)
    height, width = rgba.height(), rgba.width()
    buffer = np.frombuffer(rgba.constBits(), np.uint8, count=rgba.sizeInBytes())
    pixels = buffer.reshape(height, rgba.bytesPerLine())[:, : width * 4].reshape(height, width, 4)
    return to_bgr8(pixels[:, :, [2, 1, 0, 3]].copy())
