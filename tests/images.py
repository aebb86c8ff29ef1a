"""Builders for test images in awkward formats (EXIF-rotated JPEG, palette PNG, CMYK JPEG, ...)."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

import cv2
import numpy as np


def gradient_bgr(height: int = 120, width: int = 160) -> np.ndarray:
    """A picture whose orientation and channels are easy to check: red rises left to right,
    green rises top to bottom, blue is constant."""
    image = np.zeros((height, width, 3), np.uint8)
    image[:, :, 2] = np.linspace(0, 255, width, dtype=np.uint8)[None, :]
    image[:, :, 1] = np.linspace(0, 255, height, dtype=np.uint8)[:, None]
    image[:, :, 0] = 64
    return image


def jpeg_with_orientation(image: np.ndarray, orientation: int) -> bytes:
    """Encode as JPEG and insert an EXIF APP1 segment carrying the orientation tag."""
    ok, encoded = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, 95])
    assert ok
    tiff = b"II*\x00" + struct.pack("<I", 8) + struct.pack("<H", 1)
    tiff += struct.pack("<HHIHH", 0x0112, 3, 1, orientation, 0) + struct.pack("<I", 0)
    app1 = b"Exif\x00\x00" + tiff
    segment = b"\xff\xe1" + struct.pack(">H", len(app1) + 2) + app1
    data = encoded.tobytes()
    return data[:2] + segment + data[2:]


def _png_chunk(kind: bytes, payload: bytes) -> bytes:
    return (struct.pack(">I", len(payload)) + kind + payload
            + struct.pack(">I", zlib.crc32(kind + payload) & 0xFFFFFFFF))


def palette_png(width: int = 64, height: int = 48) -> bytes:
    """An 8-bit palette PNG with transparency (tRNS): left half red, right half transparent."""
    header = struct.pack(">IIBBBBB", width, height, 8, 3, 0, 0, 0)
    palette = bytes([255, 0, 0, 0, 0, 255])  # index 0 red, index 1 blue
    transparency = bytes([255, 0])  # index 1 fully transparent
    rows = b"".join(b"\x00" + bytes([0] * (width // 2) + [1] * (width - width // 2))
                    for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", header) + _png_chunk(b"PLTE", palette)
            + _png_chunk(b"tRNS", transparency) + _png_chunk(b"IDAT", zlib.compress(rows))
            + _png_chunk(b"IEND", b""))


def bomb_png(width: int = 40_000, height: int = 40_000) -> bytes:
    """A tiny PNG whose header claims a huge image (a decompression-bomb shape)."""
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    row = b"\x00" + bytes(width)
    body = zlib.compress(row * 8, 9)
    return (b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", header) + _png_chunk(b"IDAT", body)
            + _png_chunk(b"IEND", b""))


def cmyk_jpeg(path: Path, image_bgr: np.ndarray) -> None:
    """Write a CMYK JPEG through Qt, which (unlike OpenCV) can encode one."""
    from PySide6.QtGui import QImage

    rgb = cv2.cvtColor(image_bgr, cv2.COLOR_BGR2RGB)
    height, width = rgb.shape[:2]
    qimage = QImage(rgb.data, width, height, 3 * width, QImage.Format.Format_RGB888).copy()
    cmyk = qimage.convertToFormat(QImage.Format.Format_CMYK8888)
    assert cmyk.save(str(path), "JPEG", 95), "Qt could not write a CMYK JPEG"
