"""The kinds of source the app opens and how the command line names one, without OpenCV: its
parser reads these before anything heavy is imported (`sources.parse_source` reads the names)."""

from __future__ import annotations

import enum


class SourceKind(enum.StrEnum):
    """What a picture comes from."""

    CAMERA = "camera"
    VIDEO = "video"
    IMAGE = "image"
    FOLDER = "folder"
    CLIPBOARD = "clipboard"
    PROJECT = "project"  # a teach project folder: its photos, reopened in the teach panel

    @property
    def reopenable(self) -> bool:
        """Named by a path that can be opened again (File ▸ Open Recent keeps these)."""
        return self in (SourceKind.IMAGE, SourceKind.FOLDER, SourceKind.VIDEO, SourceKind.PROJECT)


SOURCE_SYNTAX = "camera:N|PATH"  # how the command line and a desktop hand-over name a source
SOURCE_HELP = "open a camera, video, image or folder at start"

