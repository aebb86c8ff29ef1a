"""Photos as phones and cameras write them, made at test time: HEIC and AVIF with rotation set
(irot/imir, as an iPhone writes them), PNG/WebP/JPEG with an EXIF orientation."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps

_PILLOW_FORMATS = {".heic": "HEIF", ".avif": "AVIF", ".png": "PNG", ".webp": "WEBP",
                   ".jpg": "JPEG", ".tif": "TIFF"}


def encode_photo(image_bgr: np.ndarray, suffix: str, orientation: int = 1) -> bytes:
    """`image_bgr` stored as a `suffix` file with `orientation` (EXIF 1-8): HEIC and AVIF turn
    it into irot/imir boxes (libheif, Pillow), the others keep the EXIF tag."""
    if suffix == ".heic":
        import pillow_heif

        pillow_heif.register_heif_opener()
    picture = Image.fromarray(np.ascontiguousarray(image_bgr[:, :, ::-1]))
    exif = Image.Exif()
    exif[0x0112] = orientation
    out = io.BytesIO()
    options: dict = {"quality": 95} if suffix in (".jpg", ".heic", ".avif") else {}
    if suffix == ".webp":
        options = {"lossless": True}
    if suffix == ".tif":
        picture.save(out, format="TIFF", tiffinfo={274: orientation})
    else:
        picture.save(out, format=_PILLOW_FORMATS[suffix], exif=exif.tobytes(), **options)
    return out.getvalue()


def write_photo(path: Path, image_bgr: np.ndarray, orientation: int = 1) -> Path:
    path.write_bytes(encode_photo(image_bgr, path.suffix.lower(), orientation))
    return path


def upright(image_bgr: np.ndarray, orientation: int) -> np.ndarray:
    """What a viewer shows for `image_bgr` stored with `orientation` (Pillow's reading)."""
    picture = Image.fromarray(np.ascontiguousarray(image_bgr[:, :, ::-1]))
    picture.getexif()[0x0112] = orientation
    return np.asarray(ImageOps.exif_transpose(picture))[:, :, ::-1]
