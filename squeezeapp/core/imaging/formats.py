"""Which files are pictures this build can read, and, for the rest, what they are.

The extension lists are the one place the app decides what a folder scan takes, what the open
dialog offers and how a left-out file is described. Formats that depend on an optional part of
OpenCV (OpenEXR) are offered only when this build has it, so nothing is offered that then fails.
"""

from __future__ import annotations

import functools
from enum import StrEnum

import cv2

# Read by OpenCV (ISOBMFF AVIF included: its irot/imir are applied in orientation.py).
OPENCV_EXTENSIONS = frozenset(
    {".jpg", ".jpeg", ".jpe", ".jfif", ".png", ".bmp", ".dib", ".tif", ".tiff", ".webp",
     ".pbm", ".pgm", ".ppm", ".pnm", ".pxm", ".sr", ".ras", ".jp2", ".avif", ".gif"}
)
# Read by libheif (pi-heif): iPhones and many Android phones save HEIC by default.
HEIF_EXTENSIONS = frozenset({".heic", ".heif", ".hif"})
# Read by LibRaw (rawpy): the embedded preview JPEG, else a half-size demosaic.
RAW_EXTENSIONS = frozenset({".dng", ".cr2", ".cr3", ".nef", ".nrw", ".arw", ".srf", ".sr2",
                            ".raf", ".orf", ".rw2", ".pef", ".srw", ".x3f", ".3fr", ".iiq",
                            ".erf", ".mrw", ".kdc", ".dcr"})
OPTIONAL_FORMATS = {".exr": "OpenEXR"}  # needs this part of the OpenCV build
# Refused on purpose: OpenCV reads Radiance HDR only from a file, so it would copy the picture
# to /tmp (decode.py refuses it by content too).
REFUSED_FORMATS = {".hdr": "Radiance HDR pictures are not supported",
                   ".pic": "Radiance HDR pictures are not supported"}

VIDEO_EXTENSIONS = frozenset({".mp4", ".avi", ".mov", ".mkv", ".webm", ".m4v", ".mpg", ".mpeg",
                              ".wmv", ".flv", ".3gp", ".mts", ".m2ts"})
_TEXT = frozenset({".txt", ".md", ".csv", ".json", ".jsonl", ".log", ".xml", ".html", ".htm",
                   ".pdf", ".doc", ".docx", ".rtf", ".odt"})
# Files photo tools keep beside pictures: edits, keywords, thumbnails.
_SIDECARS = frozenset({".xmp", ".aae", ".thm", ".pp3", ".dop", ".on1", ".lrv",
                       ".squeezeapp-backup"})
_AUDIO = frozenset({".wav", ".mp3", ".m4a", ".aac", ".flac", ".ogg"})
_SYSTEM_NAMES = frozenset({"thumbs.db", "desktop.ini", ".ds_store"})


@functools.cache
def _opencv_has(part: str) -> bool:
    info = cv2.getBuildInformation()
    for line in info.splitlines():
        name, _, value = line.strip().partition(":")
        if name.strip() == part:
            return not value.strip().upper().startswith("NO")
    return False


def optional_extensions() -> frozenset[str]:
    """The optional formats this OpenCV build can decode."""
    return frozenset(ext for ext, part in OPTIONAL_FORMATS.items() if _opencv_has(part))


IMAGE_EXTENSIONS = OPENCV_EXTENSIONS | HEIF_EXTENSIONS | RAW_EXTENSIONS | optional_extensions()


class LeftOutKind(StrEnum):
    """Why a file found in a folder was not taken as a picture; the value names one of them."""

    VIDEO = "video"
    SIDECAR = "sidecar file"
    TEXT = "text file"
    AUDIO = "audio file"
    SYSTEM = "system file"
    UNSUPPORTED = "unsupported format"
    SUBFOLDER = "subfolder"

    def counted(self, count: int) -> str:
        """'1 video', '2 videos', '3 unsupported formats'."""
        return f"{count} {self.value}{'' if count == 1 else 's'}"


def is_image_path(name: str) -> bool:
    return _suffix(name) in IMAGE_EXTENSIONS


def is_video_path(name: str) -> bool:
    return _suffix(name) in VIDEO_EXTENSIONS


def left_out_kind(name: str) -> LeftOutKind:
    """What a file that is not a readable picture is, from its name."""
    suffix = _suffix(name)
    lowered = name.lower()
    if lowered in _SYSTEM_NAMES or lowered.startswith("._"):
        return LeftOutKind.SYSTEM
    if suffix in VIDEO_EXTENSIONS:
        return LeftOutKind.VIDEO
    if suffix in _SIDECARS:
        return LeftOutKind.SIDECAR
    if suffix in _TEXT:
        return LeftOutKind.TEXT
    if suffix in _AUDIO:
        return LeftOutKind.AUDIO
    return LeftOutKind.UNSUPPORTED


def unsupported_reason(name: str) -> str:
    """One line for a file left out: why, with what would read it where that is known."""
    suffix = _suffix(name)
    if suffix in OPTIONAL_FORMATS:
        return (f"{suffix} needs {OPTIONAL_FORMATS[suffix]}, which this build of OpenCV does not "
                "include")
    if suffix in REFUSED_FORMATS:
        return REFUSED_FORMATS[suffix]
    kind = left_out_kind(name)
    if kind is LeftOutKind.VIDEO:
        return "a video (open one at a time with File ▸ Open Video)"
    if kind is LeftOutKind.UNSUPPORTED:
        return f"not a picture format squeezeapp reads ({suffix or 'no'} file type)"
    return f"a {kind.value}"


def dialog_patterns() -> list[str]:
    """Glob patterns of every readable format, lower and upper case (an iPhone writes .HEIC
    and file dialogs on Linux match case-sensitively)."""
    return [pattern for ext in sorted(IMAGE_EXTENSIONS) for pattern in (f"*{ext}",
                                                                        f"*{ext.upper()}")]


def _suffix(name: str) -> str:
    dot = name.rfind(".")
    return name[dot:].lower() if dot > 0 else ""
