"""A teach project: a folder in the ImageFolder layout (one sub-folder per class, the examples in
it), plus a small project file (class order, settings) and a feature cache keyed by file hash.

Any tool that reads ImageFolder (Keras `image_dataset_from_directory`, torchvision `ImageFolder`)
reads the same folder; a user may add or delete pictures in a file manager and reopening picks
it up. Every write goes through core.common.files (atomic, never over a user's file).
"""

from __future__ import annotations

import json
import logging
import os
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from squeezeapp.core.common.errors import SqueezeappError
from squeezeapp.core.common.files import copy_file_atomic, describe_os_error, write_atomic
from squeezeapp.core.common.limits import MAX_JSON_BYTES, load_bounded_json
from squeezeapp.core.imaging.decode import IMAGE_EXTENSIONS

logger = logging.getLogger(__name__)

PROJECT_FILE = "squeezeapp-teach.json"
FORMAT_VERSION = 1
MAX_CLASSES = 100
MAX_EXAMPLES = 20_000  # in all: more are left out (and said so); features take 6 KB each
MAX_NAME_CHARS = 64
DEFAULT_RECORD_FPS = 8.0
JPEG_QUALITY = 92
_RESERVED = re.compile(r"^(CON|PRN|AUX|NUL|COM[0-9]|LPT[0-9])(\..*)?$", re.IGNORECASE)
_FORBIDDEN = re.compile(r'[\x00-\x1f\x7f<>:"/\\|?*]')


class TeachError(SqueezeappError):
    """A teach project could not be read or changed; the message says why, in one line."""


def safe_class_name(name: str) -> str:
    """A class name that is also a safe folder name on every system: no path separators or
    control characters, no leading dots (`../x` → `x`), not a Windows device name (`CON` →
    `CON_`), at most 64 characters. Raises TeachError for a name that is empty once cleaned."""
    cleaned = _FORBIDDEN.sub("_", str(name)[:1000]).strip(" ._")
    cleaned = cleaned[:MAX_NAME_CHARS].rstrip(" .")
    if not cleaned:
        raise TeachError(f"'{str(name)[:MAX_NAME_CHARS]}' cannot name a class: use letters or "
                         "digits")
    if _RESERVED.match(cleaned):
        cleaned += "_"
    return cleaned


@dataclass(frozen=True)
class TeachSettings:
    """What the user chose for this project."""

    record_fps: float = DEFAULT_RECORD_FPS

    def as_dict(self) -> dict[str, Any]:
        return {"record_fps": self.record_fps}

    @classmethod
    def from_mapping(cls, raw: Any) -> TeachSettings:
        if not isinstance(raw, dict):
            return cls()
        fps = raw.get("record_fps", DEFAULT_RECORD_FPS)
        valid = isinstance(fps, (int, float)) and not isinstance(fps, bool) and 0.5 <= fps <= 30
        return cls(record_fps=float(fps) if valid else DEFAULT_RECORD_FPS)


@dataclass(frozen=True)
class Example:
    path: Path
    label: int  # index into the project's classes


@dataclass(frozen=True)
class ProjectScan:
    """What is in the folder now: the classes in order, their examples, and what was left out."""

    classes: tuple[str, ...]
    examples: tuple[Example, ...]
    left_out: tuple[str, ...] = field(default=())  # one line each, for the panel

    def counts(self) -> list[int]:
        counts = [0] * len(self.classes)
        for example in self.examples:
            counts[example.label] += 1
        return counts


class Project:
    """A teach project folder. Methods raise TeachError with a message for the panel."""

    def __init__(self, folder: Path, classes: Sequence[str], settings: TeachSettings) -> None:
        self.folder = folder
        self.classes = list(classes)
        self.settings = settings

    def snapshot(self) -> Project:
        """A copy for a background job: the panel may rename or add classes meanwhile."""
        return Project(self.folder, list(self.classes), self.settings)

    # --- opening and saving -----------------------------------------------------------------

    @classmethod
    def create(cls, folder: Path, classes: Sequence[str] = ("Class 1", "Class 2")) -> Project:
        """A new project in `folder` (created when missing; an existing folder is adopted)."""
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise TeachError(f"Cannot create {folder}: {error.strerror or error}") from None
        if (folder / PROJECT_FILE).is_file():
            return cls.open(folder)
        project = cls(folder, [], TeachSettings())
        existing = project.class_folders()
        project.classes = list(existing)
        for name in classes if not existing else ():
            project.add_class(name)
        try:
            project.save()
        except TeachError:
            if not existing:
                raise
            # an ImageFolder the user cannot write to still trains and exports elsewhere
            logger.warning("%s is read-only: the project file was not written", folder)
        return project

    @classmethod
    def open(cls, folder: Path) -> Project:
        """Open a project folder (with or without a project file: any ImageFolder works)."""
        if not folder.is_dir():
            raise TeachError(f"{folder} is not a folder")
        data: dict[str, Any] = {}
        path = folder / PROJECT_FILE
        if path.is_file():
            try:
                if path.stat().st_size > MAX_JSON_BYTES:
                    raise TeachError(f"{path.name} is larger than {MAX_JSON_BYTES:,} bytes")
                loaded = load_bounded_json(path.read_text(encoding="utf-8"), str(path))
                data = loaded if isinstance(loaded, dict) else {}
            except (OSError, UnicodeDecodeError, ValueError, SqueezeappError) as error:
                logger.warning("%s unreadable (%s): using the folders alone", path, error)
                data = {}
        raw_classes = data.get("classes")
        classes = [str(c) for c in raw_classes[:MAX_CLASSES]] \
            if isinstance(raw_classes, list) else []
        project = cls(folder, classes, TeachSettings.from_mapping(data.get("settings")))
        project.classes = project.class_folders()
        return project

    def save(self) -> None:
        """Write the project file (the app's own file: replaced atomically)."""
        data = {"format": "squeezeapp-teach", "version": FORMAT_VERSION,
                "classes": self.classes, "settings": self.settings.as_dict()}
        try:
            write_atomic(self.folder / PROJECT_FILE, json.dumps(data, indent=2) + "\n",
                         overwrite=True)
        except OSError as error:
            raise TeachError(f"Cannot save the project in {self.folder}: "
                             f"{error.strerror or error} (nothing was lost)") from None

    # --- what is in it ------------------------------------------------------------------------

    def class_folders(self, left_out: list[str] | None = None) -> list[str]:
        """The classes: the recorded order first, then folders added outside the app, by name;
        at most MAX_CLASSES. Lists only the project folder itself (cheap enough for the GUI)."""
        try:
            with os.scandir(self.folder) as entries:
                folders = sorted(entry.name for entry in entries
                                 if entry.is_dir(follow_symlinks=False)
                                 and not entry.name.startswith("."))
        except OSError as error:
            raise TeachError(f"Cannot read {self.folder}: {error.strerror or error}") from None
        ordered = [c for c in self.classes if c in folders]
        ordered += [c for c in folders if c not in ordered]
        if len(ordered) > MAX_CLASSES and left_out is not None:
            left_out.append(f"{len(ordered) - MAX_CLASSES} classes beyond the first "
                            f"{MAX_CLASSES} were left out")
        return ordered[:MAX_CLASSES]

    def scan(self) -> ProjectScan:
        """The classes and their pictures, bounded: at most MAX_CLASSES classes and
        MAX_EXAMPLES pictures (run it in a job: it lists every class folder)."""
        left_out: list[str] = []
        ordered = self.class_folders(left_out)
        examples: list[Example] = []
        for label, name in enumerate(ordered):
            pictures = self._pictures(self.folder / name, left_out)
            room = MAX_EXAMPLES - len(examples)
            examples += [Example(path, label) for path in pictures[:room]]
            if len(pictures) > room:
                left_out.append(f"pictures beyond the first {MAX_EXAMPLES:,} were left out")
                break
        return ProjectScan(tuple(ordered), tuple(examples), tuple(left_out))

    @staticmethod
    def _pictures(folder: Path, left_out: list[str]) -> list[Path]:
        try:
            with os.scandir(folder) as listing:
                entries = sorted((e.name for e in listing
                                  if e.is_file(follow_symlinks=False)
                                  and not e.name.startswith(".")), key=str.lower)
        except OSError as error:
            left_out.append(f"{folder.name}: cannot be read ({error.strerror or error})")
            return []
        pictures = [name for name in entries if Path(name).suffix.lower() in IMAGE_EXTENSIONS]
        return [folder / name for name in pictures[:MAX_EXAMPLES + 1]]

    # --- changes ------------------------------------------------------------------------------

    def add_class(self, name: str) -> str:
        """Add a class (its folder); returns the name it got (cleaned, made unique)."""
        if len(self.classes) >= MAX_CLASSES:
            raise TeachError(f"A project holds at most {MAX_CLASSES} classes")
        base = safe_class_name(name)
        taken = {c.lower() for c in self.classes}
        chosen, number = base, 2
        while chosen.lower() in taken or (self.folder / chosen).exists():
            chosen, number = f"{base} ({number})", number + 1
        try:
            (self.folder / chosen).mkdir(exist_ok=True)
        except OSError as error:
            raise TeachError(f"Cannot add class '{chosen}': {error.strerror or error}") from None
        self.classes.append(chosen)
        self.save()
        return chosen

    def rename_class(self, old: str, new: str) -> str:
        """Rename a class and its folder; refuses a name another class has."""
        target = safe_class_name(new)
        if target == old:
            return old
        if target.lower() in {c.lower() for c in self.classes if c != old} or \
                ((self.folder / target).exists() and target.lower() != old.lower()):
            raise TeachError(f"A class or folder named '{target}' already exists")
        try:
            (self.folder / old).rename(self.folder / target)
        except OSError as error:
            raise TeachError(f"Cannot rename '{old}': {error.strerror or error}") from None
        self.classes[self.classes.index(old)] = target
        self.save()
        return target

    def move_class(self, name: str, offset: int) -> int:
        """Move a class `offset` places up (negative) or down, within the list; the saved order
        is the label order of the taught model. Returns its new index."""
        if name not in self.classes:
            raise TeachError(f"There is no class '{name}'")
        old = self.classes.index(name)
        new = min(max(0, old + offset), len(self.classes) - 1)
        if new != old:
            self.classes.insert(new, self.classes.pop(old))
            self.save()
        return new

    def remove_class(self, name: str) -> Path | None:
        """Take a class out of the project. Its pictures are kept: the folder is moved into
        the hidden `.removed` folder (returned, for Undo); an empty folder is deleted."""
        folder = self.folder / name
        try:
            if folder.is_dir() and not any(folder.iterdir()):
                folder.rmdir()
                moved = None
            elif folder.is_dir():
                trash = self.folder / ".removed"
                trash.mkdir(exist_ok=True)
                moved = trash / f"{name} {time.strftime('%Y%m%d-%H%M%S')}"
                folder.rename(moved)
            else:
                moved = None
        except OSError as error:
            raise TeachError(f"Cannot remove '{name}': {error.strerror or error} "
                             "(nothing was lost)") from None
        if name in self.classes:
            self.classes.remove(name)
        self.save()
        return moved

    def add_frame(self, name: str, image: np.ndarray) -> Path:
        """Save a BGR frame into a class as a new JPEG; returns its path."""
        ok, encoded = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY])
        if not ok:
            raise TeachError("The frame could not be encoded as JPEG")
        return self.add_bytes(name, f"frame-{time.strftime('%Y%m%d-%H%M%S')}.jpg",
                              encoded.tobytes())

    def add_bytes(self, name: str, file_name: str, data: bytes) -> Path:
        """Save a picture's bytes into a class under a free name (never over a file)."""
        if name not in self.classes:
            raise TeachError(f"There is no class '{name}'")
        try:
            return write_atomic(self.folder / name / Path(file_name).name, data)
        except OSError as error:
            raise TeachError(f"Cannot save into '{name}': {error.strerror or error} "
                             "(nothing was lost)") from None

    def add_file(self, name: str, source: Path) -> Path:
        """Copy a picture into a class under a free name (the user's file is only read)."""
        if name not in self.classes:
            raise TeachError(f"There is no class '{name}'")
        try:
            return copy_file_atomic(source, self.folder / name / source.name)
        except OSError as error:
            raise TeachError(f"Cannot add {describe_os_error(error, source)} "
                             "(nothing was lost)") from None

    def with_settings(self, **changes: Any) -> None:
        self.settings = replace(self.settings, **changes)
        self.save()
