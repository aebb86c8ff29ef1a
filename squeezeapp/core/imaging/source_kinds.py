"""The kinds of source the app opens and how one is named, without OpenCV: the command line's
parser reads these before anything heavy is imported."""

from __future__ import annotations

import enum
from pathlib import Path


class SourceKind(enum.StrEnum):
    """What a picture comes from."""

    CAMERA = "camera"
    VIDEO = "video"
    IMAGE = "image"
    FOLDER = "folder"
    CLIPBOARD = "clipboard"

    @property
    def reopenable(self) -> bool:
        """Named by a path that can be opened again (File ▸ Open Recent keeps these)."""
        return self in (SourceKind.IMAGE, SourceKind.FOLDER, SourceKind.VIDEO)


SOURCE_SYNTAX = "camera:N|PATH"  # how the command line and a desktop hand-over name a source
SOURCE_HELP = "open a camera, video, image or folder at start"


def parse_source(text: str) -> int | Path:
    """A source named as in SOURCE_SYNTAX: 'camera:N' → the camera index N; anything else → the
    path (an image, a folder or a video: what it is shows once it is read)."""
    prefix = f"{SourceKind.CAMERA}:"
    if text.startswith(prefix) and text[len(prefix):].isdigit():
        return int(text[len(prefix):])
    return Path(text).expanduser()
