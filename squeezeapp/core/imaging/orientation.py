"""Which way up a picture is meant to be seen, for every format that says so, in one code path.

Decoders hand over the stored pixels (OpenCV is asked not to apply EXIF itself); the display
transforms are read here from the file's metadata and applied once to the decoded array:
- JPEG (APP1), PNG (`eXIf`), WebP (`EXIF` chunk): the EXIF orientation tag. TIFF's own
  orientation tag is applied by OpenCV's TIFF reader (libtiff), so not again here.
- HEIF/AVIF: the `irot`/`imir` boxes, which the HEIF standard makes the authority (an iPhone
  writes both them and a matching EXIF tag: applying both would turn the photo twice). A file
  with no such boxes but an EXIF orientation (some converters) gets the EXIF one.
- Camera RAW: LibRaw's orientation (`raw.py`).
"""

from __future__ import annotations

import struct
from collections.abc import Sequence

import numpy as np

from squeezeapp.core.imaging.isobmff import Transform, read_item_info

import cv2  # isort: skip

_SCAN_LIMIT = 64 << 20  # chunk walks stop here: metadata this deep is not looked for
_MAX_CHUNKS = 100_000
_ROTATIONS = {1: cv2.ROTATE_90_COUNTERCLOCKWISE, 2: cv2.ROTATE_180, 3: cv2.ROTATE_90_CLOCKWISE}
# EXIF orientation 1-8 as display transforms (quarter turns anticlockwise, then a mirror).
EXIF_TRANSFORMS: dict[int, tuple[Transform, ...]] = {
    1: (),
    2: (Transform(mirror="left-right"),),
    3: (Transform(rotate=2),),
    4: (Transform(mirror="top-bottom"),),
    5: (Transform(rotate=1), Transform(mirror="top-bottom")),
    6: (Transform(rotate=3),),
    7: (Transform(rotate=1), Transform(mirror="left-right")),
    8: (Transform(rotate=1),),
}


def display_transforms(buffer: np.ndarray, *, decoder_applies_boxes: bool = False
                       ) -> tuple[Transform, ...]:
    """What must be done to the decoded pixels of `buffer` to show them upright.
    `decoder_applies_boxes`: the decoder (libheif) already applied HEIF's irot/imir."""
    head = buffer[:16].tobytes()
    if head[4:8] == b"ftyp":
        info = read_item_info(buffer.data)
        if info is None:
            return ()
        if info.transforms:
            return () if decoder_applies_boxes else info.transforms
        return EXIF_TRANSFORMS[exif_orientation(info.exif)] if info.exif else ()
    if head[:4] in (b"II*\0", b"MM\0*"):
        return ()  # OpenCV's TIFF reader (libtiff) applies the tag itself
    tiff = exif_block(buffer)
    return EXIF_TRANSFORMS[exif_orientation(tiff)] if tiff else ()


def exif_block(buffer: np.ndarray) -> bytes | None:
    """The EXIF TIFF structure of a JPEG, PNG or WebP file, or None."""
    magic = buffer[:12].tobytes()
    try:
        if magic[:3] == b"\xff\xd8\xff":
            return _jpeg_exif(buffer)
        if magic[:8] == b"\x89PNG\r\n\x1a\n":
            return _chunk(buffer, 8, ">I4s", b"eXIf", 12, trailer=4)
        if magic[:4] == b"RIFF" and magic[8:12] == b"WEBP":
            block = _chunk(buffer, 12, "<I4s", b"EXIF", 8, swapped=True, pad=True)
            if block is not None and block.startswith(b"Exif\0\0"):
                block = block[6:]
            return block
    except (struct.error, ValueError, IndexError):
        return None
    return None


def exif_orientation(tiff: bytes | None) -> int:
    """The orientation tag (0x0112) of IFD0 in an EXIF TIFF structure: 1 to 8 (1 when absent or
    out of range)."""
    if not tiff or tiff[:4] not in (b"II*\0", b"MM\0*"):
        return 1
    order = "<" if tiff[:2] == b"II" else ">"
    try:
        (offset,) = struct.unpack(order + "I", tiff[4:8])
        (count,) = struct.unpack(order + "H", tiff[offset:offset + 2])
        for index in range(min(count, 1024)):
            entry = offset + 2 + 12 * index
            tag, kind = struct.unpack(order + "HH", tiff[entry:entry + 4])
            if tag == 0x0112 and kind == 3:
                (value,) = struct.unpack(order + "H", tiff[entry + 8:entry + 10])
                return value if 1 <= value <= 8 else 1
    except struct.error:
        return 1
    return 1


def apply_transforms(image: np.ndarray, transforms: Sequence[Transform]) -> np.ndarray:
    """The picture with each transform applied in order (a new array when there are any)."""
    for transform in transforms:
        if transform.rotate % 4:
            image = cv2.rotate(image, _ROTATIONS[transform.rotate % 4])
        if transform.mirror is not None:
            image = cv2.flip(image, 1 if transform.mirror == "left-right" else 0)
    return image


def _jpeg_exif(buffer: np.ndarray) -> bytes | None:
    """APP1 'Exif' segment, walked marker by marker up to the start of scan."""
    size = min(int(buffer.size), _SCAN_LIMIT)
    position = 2
    while position + 4 <= size:
        if buffer[position] != 0xFF:
            return None
        marker = int(buffer[position + 1])
        if marker == 0xFF:
            position += 1
            continue
        if marker in (0xD9, 0xDA):  # end of image, start of scan: no metadata after this
            return None
        length = int(buffer[position + 2]) << 8 | int(buffer[position + 3])
        if marker == 0xE1:
            payload = buffer[position + 4:position + 2 + length].tobytes()
            if payload.startswith(b"Exif\0\0"):
                return payload[6:]
        position += 2 + length
    return None


def _chunk(buffer: np.ndarray, start: int, layout: str, wanted: bytes, header: int, *,
           trailer: int = 0, swapped: bool = False, pad: bool = False) -> bytes | None:
    """The payload of the first chunk of type `wanted` in a PNG (length, type) or RIFF (type,
    length: `swapped`) chunk sequence."""
    size = min(int(buffer.size), _SCAN_LIMIT)
    position = start
    for _ in range(_MAX_CHUNKS):
        if position + 8 > size:
            return None
        raw = buffer[position:position + 8].tobytes()
        if swapped:
            kind, length = raw[:4], struct.unpack(layout[0] + "I", raw[4:])[0]
        else:
            length, kind = struct.unpack(layout, raw)
        if kind == wanted:
            return buffer[position + 8:position + 8 + min(length, 1 << 20)].tobytes()
        if kind in (b"IEND",):
            return None
        position += 8 + length + trailer + (length & 1 if pad else 0)
    return None
