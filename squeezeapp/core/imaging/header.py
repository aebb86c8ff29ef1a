"""What an encoded image will decode to, read from its header alone: size, channels, sample size.

Enough to estimate the memory a decode needs before any pixel is allocated. The size comes from
`imagesize.get_info` wherever it reads the same numbers as the decoder (PNG, BMP, WebP and
formats not named here, which get a worst-case guess for the sample layout); what it does not
give is read here: the sample layout of PNG and BMP (palette PNGs decode as BGRA, 16-bit PNGs
as 16-bit), JPEG's sample precision (12-bit JPEGs decode to 16 bits), GIF's unsigned 16-bit
size (imagesize reads it signed) and TIFF's and Netpbm's channels and sample depth.
"""

from __future__ import annotations

import io
import struct
from dataclasses import dataclass

import numpy as np

from squeezeapp.core.imaging.isobmff import read_item_info

_HEAD = 1 << 20  # headers, including a JPEG's EXIF block before its frame header, fit in 1 MB
_PNG_CHANNELS = {0: 1, 2: 3, 3: 4, 4: 2, 6: 4}  # palette may carry tRNS: decoded as BGRA
_JPEG_FRAMES = frozenset({0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE,
                          0xCF})


@dataclass(frozen=True)
class ImageHeader:
    """Decoded geometry as the header states it; `exact` is False where channels are guessed."""

    format: str
    width: int
    height: int
    channels: int
    bytes_per_sample: int
    exact: bool = True

    @property
    def pixels(self) -> int:
        return self.width * self.height

    @property
    def decoded_bytes(self) -> int:
        return self.pixels * self.channels * self.bytes_per_sample


def probe(buffer: np.ndarray) -> ImageHeader | None:
    """The header of an encoded image, or None when its size cannot be read without decoding."""
    head = buffer[:_HEAD].tobytes()
    try:
        for parser in (_png, _jpeg, _bmp, _tiff, _webp, _gif, _netpbm, _isobmff):
            header = parser(head)
            if header is not None:
                return header if header.width > 0 and header.height > 0 else None
        width, height = _size(head)
    except (struct.error, ValueError, IndexError, OSError):
        return None
    if width <= 0 or height <= 0:
        return None
    return ImageHeader("other", width, height, 4, 4, exact=False)  # worst case: float RGBA


def _size(head: bytes) -> tuple[int, int]:
    """Width and height as imagesize reads them (-1 where it cannot)."""
    import imagesize  # only for rarer formats: its import pulls in urllib and email (15 ms)

    info = imagesize.get_info(io.BytesIO(head), dpi=False, colors=False, exif_rotation=False,
                              channels=False)
    return info.width, info.height


def structure_problem(buffer: np.ndarray) -> str | None:
    """What makes a file unsafe to hand to the decoder, found without decoding, or None.

    OpenCV's PNG reader allocates each chunk at the length the chunk declares before reading
    it: a 9 KB file declaring a 2 GB chunk costs 2 GB. A chunk that runs past the end of the
    file only says the file is truncated or corrupt, so it is refused here.
    """
    if buffer[:8].tobytes() != b"\x89PNG\r\n\x1a\n":
        return None
    size = int(buffer.size)
    position = 8
    while position + 8 <= size:
        length = int.from_bytes(buffer[position:position + 4].tobytes(), "big")
        kind = buffer[position + 4:position + 8].tobytes()
        end = position + 12 + length
        if end > size:
            return (f"not a readable image (corrupt or truncated: PNG chunk {kind!r} declares "
                    f"{length:,} bytes, past the end of the file)")
        if kind == b"IEND":
            return None
        position = end
    return None


def _png(head: bytes) -> ImageHeader | None:
    if not head.startswith(b"\x89PNG\r\n\x1a\n") or head[12:16] != b"IHDR":
        return None
    depth, color = head[24], head[25]
    width, height = _size(head)
    return ImageHeader("png", width, height, _PNG_CHANNELS.get(color, 4), 2 if depth == 16 else 1)


def _jpeg(head: bytes) -> ImageHeader | None:
    if not head.startswith(b"\xff\xd8\xff"):
        return None
    position = 2
    while position + 9 < len(head):
        if head[position] != 0xFF:
            position += 1
            continue
        marker = head[position + 1]
        if marker == 0xFF or 0xD0 <= marker <= 0xD9 or marker == 0x01:
            position += 2 if marker != 0xFF else 1
            continue
        length = struct.unpack(">H", head[position + 2:position + 4])[0]
        if marker in _JPEG_FRAMES:
            precision, height, width, components = struct.unpack(
                ">BHHB", head[position + 4:position + 10])
            return ImageHeader("jpeg", width, height, max(3, components),
                               2 if precision > 8 else 1)
        position += 2 + length
    return ImageHeader("jpeg", 0, 0, 3, 1)


def _bmp(head: bytes) -> ImageHeader | None:
    if not head.startswith(b"BM") or len(head) < 30:
        return None
    (bits,) = struct.unpack("<H", head[28:30])
    width, height = _size(head)
    return ImageHeader("bmp", abs(width), abs(height), 4 if bits == 32 else 3, 1)


def _tiff(head: bytes) -> ImageHeader | None:
    order = {b"II*\x00": "<", b"MM\x00*": ">"}.get(head[:4])
    if order is None:
        return None
    (offset,) = struct.unpack(order + "I", head[4:8])
    (count,) = struct.unpack(order + "H", head[offset:offset + 2])
    tags: dict[int, int] = {}
    for index in range(min(count, 512)):
        entry = head[offset + 2 + 12 * index:offset + 14 + 12 * index]
        tag, kind, number = struct.unpack(order + "HHI", entry[:8])
        if kind == 3 and number > 2:  # several shorts do not fit: the field points at them
            (pointer,) = struct.unpack(order + "I", entry[8:12])
            tags[tag] = struct.unpack(order + "H", head[pointer:pointer + 2])[0]
        elif kind == 3:
            tags[tag] = struct.unpack(order + "H", entry[8:10])[0]
        else:
            tags[tag] = struct.unpack(order + "I", entry[8:12])[0]
    samples = max(1, min(tags.get(277, 1), 4))
    bits = max(8, min(tags.get(258, 8), 64))
    return ImageHeader("tiff", tags.get(256, 0), tags.get(257, 0), samples, bits // 8)


def _webp(head: bytes) -> ImageHeader | None:
    if head[:4] != b"RIFF" or head[8:12] != b"WEBP":
        return None
    width, height = _size(head)
    return ImageHeader("webp", width, height, 4, 1)


def _gif(head: bytes) -> ImageHeader | None:
    if head[:6] not in (b"GIF87a", b"GIF89a"):
        return None
    # imagesize reads these signed: a GIF over 32,767 pixels wide would come out negative
    width, height = struct.unpack("<HH", head[6:10])
    return ImageHeader("gif", width, height, 4, 1)


_NETPBM_CHANNELS = {b"P1": 1, b"P2": 1, b"P3": 3, b"P4": 1, b"P5": 1, b"P6": 3}


def _netpbm(head: bytes) -> ImageHeader | None:
    """PBM/PGM/PPM: magic, width, height and (except bitmaps) maxval, as text with comments."""
    channels = _NETPBM_CHANNELS.get(head[:2])
    if channels is None:
        return None
    bitmap = head[:2] in (b"P1", b"P4")
    text = b" ".join(line.split(b"#", 1)[0] for line in head[2:256].splitlines())
    fields = [int(field) for field in text.split()[:2 if bitmap else 3]]
    if len(fields) < (2 if bitmap else 3):
        return None
    depth = 1 if bitmap or fields[2] < 256 else 2
    return ImageHeader("netpbm", fields[0], fields[1], channels, depth)


def _isobmff(head: bytes) -> ImageHeader | None:
    """HEIF/AVIF: the primary image's `ispe` (HEIF is decoded to 8 bits; AVIF may be 16)."""
    info = read_item_info(head)
    if info is None:
        return None
    if info.width is None or info.height is None:
        return ImageHeader(info.brand, 0, 0, 4, 2, exact=False)
    return ImageHeader(info.brand, info.width, info.height, 4,
                       1 if info.brand == "heif" else 2, exact=False)
