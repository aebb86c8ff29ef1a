""""Sort into folders": copy images into one sub-folder per top-1 label, never moving a file and
never overwriting one.

Folder names come from labels, which contain characters some file systems refuse ("/" in
"ski mask/balaclava"-like names, ":" on Windows) or names Windows reserves ("CON", "AUX"), so they
are sanitised. A name already taken gets " (2)", " (3)", ...; each copy goes through
`core.common.files.copy_file_atomic`: written under a unique temporary name in the label folder,
fsync'd and only then given its name, exclusively, so a crash never leaves a truncated copy that
looks complete and a file that appears meanwhile is never overwritten. Sources are opened as the
decoder opens them (regular files only, non-blocking, bounded by their size), so a file that has
become a FIFO or a link to /dev/zero is reported instead of blocking or filling the disk. Where a
label folder's name is taken by something that is not a folder (a file, a link), the next free
name is used and the summary says so. A file whose size or modification time is no longer what it
was when it was read for classification is not copied: its label may not be its content's.
"""

from __future__ import annotations

import logging
import os
import re
import stat
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from squeezeapp.core.batch.pipeline import CHANGED_ON_DISK, FileResult
from squeezeapp.core.common.files import (
    copy_file_atomic,
    describe_os_error,
    numbered_name,
    remove_stale_parts,
)
from squeezeapp.core.models.spec import short_label

logger = logging.getLogger(__name__)

MAX_FOLDER_NAME = 80
_UNSAFE = re.compile(r'[<>:"/\\|?*\x00-\x1f\x7f]+')
_WINDOWS_RESERVED = frozenset(
    {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(1, 10)),
     *(f"LPT{i}" for i in range(1, 10))}
)
_MAX_FOLDER_TRIES = 1_000


def folder_name(label: str) -> str:
    """A folder name that is valid on Windows, macOS and Linux for a label's short name."""
    name = _UNSAFE.sub("_", short_label(label))
    name = " ".join(name.split())[:MAX_FOLDER_NAME].strip(" .")
    if not name:
        return "_"
    if name.split(".")[0].upper() in _WINDOWS_RESERVED:
        name = f"{name}_"
    return name


@dataclass(frozen=True)
class SortSummary:
    copied: tuple[tuple[Path, Path], ...] = ()  # (source, copy)
    renamed: int = 0  # copies that got a numeric suffix because the name was taken
    skipped: tuple[tuple[Path, str], ...] = ()  # (source, why): unclassified or failed files
    folders: tuple[str, ...] = ()
    cancelled: bool = False
    failures: tuple[tuple[Path, str], ...] = field(default=())
    # (label folder name, the folder used instead): the name was taken by a file or a link
    moved_folders: tuple[tuple[str, str], ...] = field(default=())

    @property
    def changed(self) -> int:
        """How many were not copied because they changed on disk since they were classified."""
        return sum(why == CHANGED_ON_DISK for _, why in self.skipped)

    def describe(self) -> str:
        """For people, in the summary dialog."""
        lines = [f"Copied {len(self.copied)} image{'s' if len(self.copied) != 1 else ''} "
                 f"into {len(self.folders)} folder{'s' if len(self.folders) != 1 else ''}."]
        if self.renamed:
            lines.append(f"{self.renamed} got a number added because a file of that name "
                         "existed (nothing was overwritten).")
        changed = self.changed
        if len(self.skipped) > changed:
            lines.append(f"{len(self.skipped) - changed} skipped (not classified, or "
                         "unreadable).")
        if changed:
            lines.append(f"{changed} skipped: {CHANGED_ON_DISK} (classify "
                         f"{'it' if changed == 1 else 'them'} again to sort "
                         f"{'it' if changed == 1 else 'them'}).")
        if self.failures:
            lines.append(f"{len(self.failures)} could not be copied: {self.failures[0][1]}"
                         + (" …" if len(self.failures) > 1 else ""))
        for wanted, used in self.moved_folders:
            lines.append(f"\"{wanted}\" is a file, not a folder: those copies are in "
                         f"\"{used}\".")
        if self.cancelled:
            lines.append("Cancelled before the end.")
        lines.append("The original files were not changed.")
        return "\n".join(lines)


def _label_folder(destination: Path, name: str) -> Path:
    """`destination/name`, created if missing; where that name is a file or a link (which could
    lead the copies anywhere), the first free `name (2)`, `name (3)`, ... folder instead."""
    destination.mkdir(parents=True, exist_ok=True)
    for number in range(1, _MAX_FOLDER_TRIES):
        folder = destination / name if number == 1 else numbered_name(destination / name, number)
        try:
            if stat.S_ISDIR(os.lstat(folder).st_mode):
                return folder
            continue  # a file, a link or something else owns the name: never write through it
        except FileNotFoundError:
            pass
        try:
            folder.mkdir()
        except FileExistsError:  # appeared meanwhile: look at it again
            if stat.S_ISDIR(os.lstat(folder).st_mode):
                return folder
            continue
        return folder
    raise FileExistsError(f"{destination}: no free folder name for {name}")


def copy_into_label_folders(results: Iterable[FileResult], destination: Path,
                            cancel: threading.Event | None = None) -> SortSummary:
    """Copy each classified file into `destination/<top-1 label>/`."""
    copied: list[tuple[Path, Path]] = []
    skipped: list[tuple[Path, str]] = []
    failures: list[tuple[Path, str]] = []
    folders: set[str] = set()
    resolved: dict[str, Path] = {}
    moved: list[tuple[str, str]] = []
    renamed = 0
    for result in results:
        if cancel is not None and cancel.is_set():
            break
        if result.classification is None:
            skipped.append((result.path, result.error or "not classified"))
            continue
        if result.changed_on_disk():  # its label may no longer be its content's
            skipped.append((result.path, CHANGED_ON_DISK))
            continue
        name = folder_name(result.classification.top.label)
        source = Path(result.path)
        try:
            if name not in resolved:
                resolved[name] = _label_folder(destination, name)
                remove_stale_parts(resolved[name])  # what a killed earlier run left
                if resolved[name].name != name:
                    moved.append((name, resolved[name].name))
            folder = resolved[name]
            target = copy_file_atomic(source, folder / source.name, cancel=cancel)
        except InterruptedError:
            break
        except OSError as error:
            logger.warning("could not copy %s: %s", source, error)
            failures.append((result.path, describe_os_error(error)))
            continue
        folders.add(folder.name)
        renamed += target.name != source.name
        copied.append((result.path, target))
    return SortSummary(tuple(copied), renamed, tuple(skipped), tuple(sorted(folders)),
                       bool(cancel is not None and cancel.is_set()), tuple(failures),
                       tuple(moved))

