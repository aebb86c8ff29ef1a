"""The few facts an HEIF/AVIF file (ISO base media file format) states about its primary image,
read from its boxes without decoding: brand, size (`ispe`), the rotation and mirroring a viewer
must apply (`irot`, `imir`, in file order) and the EXIF block.

OpenCV's AVIF reader returns the stored pixels and ignores `irot`/`imir`; libheif applies them.
Either way, this is what says which way up the picture is. Parsing is bounded: at most the first
`_HEAD` bytes are looked at and at most `_MAX_BOXES` boxes per level.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from dataclasses import dataclass

_HEAD = 4 << 20
_MAX_BOXES = 4096
HEIF_BRANDS = frozenset({b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"mif1",
                         b"msf1", b"mif2"})
AVIF_BRANDS = frozenset({b"avif", b"avis"})


@dataclass(frozen=True)
class Transform:
    """One display transform: `rotate` quarter turns anticlockwise, or a mirror about the
    vertical axis (`mirror == "left-right"`) or the horizontal one ("top-bottom")."""

    rotate: int = 0
    mirror: str | None = None


@dataclass(frozen=True)
class ItemInfo:
    brand: str  # "heif" or "avif"
    width: int | None
    height: int | None
    transforms: tuple[Transform, ...]
    exif: bytes | None  # the TIFF structure (from "II*\0"/"MM\0*"), if the file has one


def _item_id(head: bytes, position: int, wide: bool) -> tuple[int, int]:
    """An item id or count: 16 bits in early box versions, 32 in later ones (struct.error when
    the box is cut short). Returns it and the position after it."""
    size = 4 if wide else 2
    (value,) = struct.unpack(">I" if wide else ">H", head[position:position + size])
    return value, position + size


def brand_of(buffer: bytes) -> str | None:
    """"heif", "avif" or None, from the `ftyp` box's major and compatible brands."""
    if len(buffer) < 12 or buffer[4:8] != b"ftyp":
        return None
    size = min(struct.unpack(">I", buffer[:4])[0], 256, len(buffer))
    brands = {buffer[8:12]} | {buffer[i:i + 4] for i in range(16, size - 3, 4)}
    if brands & AVIF_BRANDS and buffer[8:12] in AVIF_BRANDS | {b"mif1", b"msf1"}:
        return "avif"
    if brands & HEIF_BRANDS:
        return "heif"
    return "avif" if brands & AVIF_BRANDS else None


def read_item_info(data: bytes | memoryview) -> ItemInfo | None:
    """The primary image's facts, or None when this is no HEIF/AVIF or its boxes are broken."""
    head = bytes(data[:_HEAD])
    brand = brand_of(head)
    if brand is None:
        return None
    try:
        return _item_info(head, brand, bytes(data) if len(data) > _HEAD else head)
    except (struct.error, ValueError, IndexError):
        return None


def _boxes(data: bytes, start: int, end: int) -> Iterator[tuple[bytes, int, int]]:
    """(type, payload start, payload end) of the boxes in data[start:end]."""
    position = start
    for _ in range(_MAX_BOXES):
        if position + 8 > end:
            return
        size, kind = struct.unpack(">I4s", data[position:position + 8])
        header = 8
        if size == 1:
            size = struct.unpack(">Q", data[position + 8:position + 16])[0]
            header = 16
        elif size == 0:
            size = end - position
        if size < header or position + size > end:
            return
        yield kind, position + header, position + size
        position += size


def _item_info(head: bytes, brand: str, whole: bytes) -> ItemInfo | None:
    meta = next(((s, e) for kind, s, e in _boxes(head, 0, len(head)) if kind == b"meta"), None)
    if meta is None:
        return None
    children = {kind: (s, e) for kind, s, e in _boxes(head, meta[0] + 4, meta[1])}
    primary = 1
    if b"pitm" in children:
        s, _ = children[b"pitm"]
        primary = (struct.unpack(">H", head[s + 4:s + 6])[0] if head[s] == 0
                   else struct.unpack(">I", head[s + 4:s + 8])[0])
    properties, associations = [], {}
    if b"iprp" in children:
        s, e = children[b"iprp"]
        for kind, ps, pe in _boxes(head, s, e):
            if kind == b"ipco":
                properties = list(_boxes(head, ps, pe))
            elif kind == b"ipma":
                associations = _associations(head, ps, pe)
    width = height = None
    transforms = []
    for index in associations.get(primary, []):
        if not 0 < index <= len(properties):
            continue
        kind, ps, _pe = properties[index - 1]
        if kind == b"ispe":
            width, height = struct.unpack(">II", head[ps + 4:ps + 12])
        elif kind == b"irot":
            transforms.append(Transform(rotate=head[ps] & 3))
        elif kind == b"imir":
            # axis 1 flips left-right, 0 top-bottom (as libheif and libavif read it)
            transforms.append(Transform(mirror="left-right" if head[ps] & 1 else "top-bottom"))
    return ItemInfo(brand, width, height, tuple(transforms), _exif(head, children, whole))


def _associations(head: bytes, start: int, end: int) -> dict[int, list[int]]:
    version, flags = head[start], int.from_bytes(head[start + 1:start + 4], "big")
    position = start + 4
    (count,) = struct.unpack(">I", head[position:position + 4])
    position += 4
    result: dict[int, list[int]] = {}
    for _ in range(min(count, _MAX_BOXES)):
        item, position = _item_id(head, position, wide=version >= 1)
        entries = head[position]
        position += 1
        indices = []
        for _ in range(entries):
            if flags & 1:
                indices.append(struct.unpack(">H", head[position:position + 2])[0] & 0x7FFF)
                position += 2
            else:
                indices.append(head[position] & 0x7F)
                position += 1
        result[item] = indices
        if position > end:
            break
    return result


def _exif(head: bytes, children: dict[bytes, tuple[int, int]], whole: bytes) -> bytes | None:
    """The EXIF item's TIFF block, located through `iinf` and `iloc` (file offsets only)."""
    if b"iinf" not in children or b"iloc" not in children:
        return None
    s, e = children[b"iinf"]
    start = s + (6 if head[s] == 0 else 8)
    exif_item = None
    for kind, es, _ee in _boxes(head, start, e):
        if kind == b"infe" and head[es] >= 2:
            item_size = 2 if head[es] == 2 else 4
            item = int.from_bytes(head[es + 4:es + 4 + item_size], "big")
            item_type = head[es + 6 + item_size:es + 10 + item_size]
            if item_type == b"Exif":
                exif_item = item
                break
    if exif_item is None:
        return None
    extent = _extent(head, *children[b"iloc"], exif_item)
    if extent is None:
        return None
    offset, length = extent
    block = whole[offset:offset + min(length, 1 << 20)]
    if len(block) < 4:
        return None
    skip = struct.unpack(">I", block[:4])[0] + 4  # the TIFF header's offset within the item
    tiff = block[skip:]
    return tiff if tiff[:4] in (b"II*\0", b"MM\0*") else None


def _extent(head: bytes, start: int, end: int, wanted: int) -> tuple[int, int] | None:
    version = head[start]
    position = start + 4
    sizes = head[position] << 8 | head[position + 1]
    offset_size, length_size = sizes >> 12, (sizes >> 8) & 15
    base_size, index_size = (sizes >> 4) & 15, (sizes & 15 if version in (1, 2) else 0)
    position += 2
    count, position = _item_id(head, position, wide=version >= 2)

    def number(size: int) -> int:
        nonlocal position
        value = int.from_bytes(head[position:position + size], "big") if size else 0
        position += size
        return value

    for _ in range(min(count, _MAX_BOXES)):
        item = number(2 if version < 2 else 4)
        method = number(2) & 15 if version in (1, 2) else 0
        number(2)  # data reference index
        base = number(base_size)
        extents = number(2)
        first = None
        for _ in range(extents):
            number(index_size)
            extent_offset = number(offset_size)
            extent_length = number(length_size)
            first = first or (base + extent_offset, extent_length)
        if item == wanted:
            return first if method == 0 else None
        if position > end:
            break
    return None
