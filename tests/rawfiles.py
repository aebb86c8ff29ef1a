"""Small, valid DNG files written at test time: a TIFF whose first IFD carries the DNG tags.

Two kinds: a bare CFA (Bayer) image, which LibRaw has to demosaic, and the same with a JPEG
preview in IFD0 and the raw data in a SubIFD, as cameras and converters write them.
"""

from __future__ import annotations

import struct
from pathlib import Path

import cv2
import numpy as np

_SHORT, _LONG, _ASCII, _BYTE, _RATIONAL, _SRATIONAL, _UNDEFINED = 3, 4, 2, 1, 5, 10, 7
_Entry = tuple[int, int, object]  # tag, type, values
_SIZES = {_SHORT: 2, _LONG: 4, _ASCII: 1, _BYTE: 1, _RATIONAL: 8, _SRATIONAL: 8, _UNDEFINED: 1}


def _pack(kind: int, values) -> bytes:
    if kind == _ASCII:
        return values.encode() + b"\0"
    if kind in (_BYTE, _UNDEFINED):
        return bytes(values)
    if kind == _SHORT:
        return struct.pack(f"<{len(values)}H", *values)
    if kind == _LONG:
        return struct.pack(f"<{len(values)}I", *values)
    fmt = "<ii" if kind == _SRATIONAL else "<II"
    return b"".join(struct.pack(fmt, *pair) for pair in values)


class _Tiff:
    """Lays out IFDs and their data in one little-endian TIFF byte string."""

    def __init__(self) -> None:
        self.blobs: list[bytes] = []

    def build(self, ifds: list[list[tuple[int, int, object]]], data: list[bytes],
              links: dict[tuple[int, int], int]) -> bytes:
        """`ifds`: entries (tag, type, values); values that are ("data", n) point at data[n];
        `links[(ifd, tag)] = k` makes that tag the offset of IFD k (SubIFDs)."""
        out = bytearray(b"II*\0" + b"\0\0\0\0")
        data_offsets = []
        for blob in data:
            data_offsets.append(len(out))
            out += blob + (b"\0" if len(blob) % 2 else b"")
        ifd_offsets = []
        sizes = [2 + 12 * len(entries) + 4 for entries in ifds]
        cursor = len(out)
        for size in sizes:
            ifd_offsets.append(cursor)
            cursor += size
        extra_base = cursor
        extra = bytearray()
        tables = []
        for number, entries in enumerate(ifds):
            table = bytearray(struct.pack("<H", len(entries)))
            for tag, kind, values in sorted(entries, key=lambda e: e[0]):
                if (number, tag) in links:
                    payload = _pack(_LONG, [ifd_offsets[links[(number, tag)]]])
                    count = 1
                elif isinstance(values, tuple) and values[0] == "data":
                    payload = _pack(_LONG, [data_offsets[values[1]]])
                    count = 1
                else:
                    payload = _pack(kind, values)
                    count = len(payload) // _SIZES[kind] if kind != _ASCII else len(payload)
                if len(payload) <= 4:
                    field = payload.ljust(4, b"\0")
                else:
                    field = struct.pack("<I", extra_base + len(extra))
                    extra += payload + (b"\0" if len(payload) % 2 else b"")
                table += struct.pack("<HHI", tag, kind, count) + field
            table += struct.pack("<I", 0)
            tables.append(bytes(table))
        for finished in tables:
            out += finished
        out += extra
        out[4:8] = struct.pack("<I", ifd_offsets[0])
        return bytes(out)


def _bayer(rgb: np.ndarray) -> np.ndarray:
    """An RGGB mosaic (16-bit, 12-bit range) of an RGB uint8 picture."""
    height, width = rgb.shape[:2]
    mosaic = np.zeros((height, width), np.uint16)
    scale = 16
    mosaic[0::2, 0::2] = rgb[0::2, 0::2, 0].astype(np.uint16) * scale
    mosaic[0::2, 1::2] = rgb[0::2, 1::2, 1].astype(np.uint16) * scale
    mosaic[1::2, 0::2] = rgb[1::2, 0::2, 1].astype(np.uint16) * scale
    mosaic[1::2, 1::2] = rgb[1::2, 1::2, 2].astype(np.uint16) * scale
    return mosaic


def _raw_entries(width: int, height: int, strip: int, orientation: int,
                 subfile: int) -> list[_Entry]:
    return [
        (254, _LONG, [subfile]),
        (256, _LONG, [width]), (257, _LONG, [height]),
        (258, _SHORT, [16]), (259, _SHORT, [1]), (262, _SHORT, [32803]),
        (273, _LONG, ("data", strip)), (277, _SHORT, [1]), (278, _LONG, [height]),
        (279, _LONG, [width * height * 2]), (284, _SHORT, [1]),
        (274, _SHORT, [orientation]),
        (33421, _SHORT, [2, 2]), (33422, _BYTE, [0, 1, 1, 2]),
        (50717, _LONG, [4095]),
    ]


_CAMERA: list[_Entry] = [
    (271, _ASCII, "squeezeapp"), (272, _ASCII, "test DNG"),
    (50706, _BYTE, [1, 4, 0, 0]), (50707, _BYTE, [1, 1, 0, 0]),
    (50708, _ASCII, "squeezeapp test DNG"),
    (50721, _SRATIONAL, [(10000, 10000), (0, 10000), (0, 10000),
                         (0, 10000), (10000, 10000), (0, 10000),
                         (0, 10000), (0, 10000), (10000, 10000)]),
    (50778, _SHORT, [21]),
    (50728, _RATIONAL, [(1, 1), (1, 1), (1, 1)]),
]


def write_dng(path: Path, rgb: np.ndarray, orientation: int = 1,
              preview: np.ndarray | None = None) -> Path:
    """A DNG of the RGB uint8 picture `rgb` (even sides); with `preview` (RGB uint8), IFD0 is
    that picture as a baseline JPEG and the raw data moves to a SubIFD."""
    path.write_bytes(dng_bytes(rgb, orientation, preview))
    return path


def dng_bytes(rgb: np.ndarray, orientation: int = 1, preview: np.ndarray | None = None) -> bytes:
    """The bytes `write_dng` writes."""
    height, width = rgb.shape[:2]
    mosaic = _bayer(rgb).astype("<u2").tobytes()
    if preview is None:
        ifds = [_CAMERA + _raw_entries(width, height, 0, orientation, 0)]
        blob = _Tiff().build(ifds, [mosaic], {})
    else:
        ok, jpeg = cv2.imencode(".jpg", cv2.cvtColor(preview, cv2.COLOR_RGB2BGR))
        assert ok
        ph, pw = preview.shape[:2]
        ifd0 = [*_CAMERA,
            (254, _LONG, [1]), (256, _LONG, [pw]), (257, _LONG, [ph]),
            (258, _SHORT, [8, 8, 8]), (259, _SHORT, [7]), (262, _SHORT, [6]),
            (273, _LONG, ("data", 1)), (277, _SHORT, [3]), (278, _LONG, [ph]),
            (279, _LONG, [len(jpeg)]), (274, _SHORT, [orientation]),
            (330, _LONG, [0]),
        ]
        raw = _raw_entries(width, height, 0, orientation, 0)
        blob = _Tiff().build([ifd0, raw], [mosaic, jpeg.tobytes()], {(0, 330): 1})
    return blob
