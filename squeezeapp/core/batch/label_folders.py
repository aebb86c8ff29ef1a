""""Sort into folders": copy images into one sub-folder per top-1 label, never moving a file and
never overwriting one.

Folder names come from labels, which contain characters some file systems refuse ("/" in
"ski mask/balaclava"-like names, ":" on Windows) or names Windows reserves ("CON", "AUX"), so they
are sanitised. A name already taken gets " (2)", " (3)", ...; the target is created with O_EXCL,
so a file that appears meanwhile is never overwritten either.
"""

from __future__ import annotations

import logging
import re
import shutil
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from squeezeapp.core.batch.pipeline import FileResult
from squeezeapp.core.models.spec import short_label

logger = logging.getLogger(__name__)

MAX_FOLDER_NAME = 80
_UNSAFE = re.compile(r'[<>:"/\\|?*\x00-\x1f\x7f]+')
_WINDOWS_RESERVED = frozenset(
    {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(1, 10)),
     *(f"LPT{i}" for i in range(1, 10))}
)
_MAX_SUFFIX = 100_000
_CHUNK = 1 << 20


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

    def describe(self) -> str:
        """For people, in the summary dialog."""
        lines = [f"Copied {len(self.copied)} image{'s' if len(self.copied) != 1 else ''} "
                 f"into {len(self.folders)} folder{'s' if len(self.folders) != 1 else ''}."]
        if self.renamed:
            lines.append(f"{self.renamed} got a number added because a file of that name "
                         "existed (nothing was overwritten).")
        if self.skipped:
            lines.append(f"{len(self.skipped)} skipped (not classified, or unreadable).")
        if self.failures:
            lines.append(f"{len(self.failures)} could not be copied: {self.failures[0][1]}"
                         + (" …" if len(self.failures) > 1 else ""))
        if self.cancelled:
            lines.append("Cancelled before the end.")
        lines.append("The original files were not changed.")
        return "\n".join(lines)


def _copy_exclusive(source: Path, folder: Path) -> tuple[Path, bool]:
    """Copy `source` into `folder` under a name nobody uses yet; returns (copy, renamed)."""
    stem, suffix = source.stem, source.suffix
    for number in range(1, _MAX_SUFFIX):
        target = folder / (source.name if number == 1 else f"{stem} ({number}){suffix}")
        try:
            handle = target.open("xb")  # O_CREAT | O_EXCL: never replaces an existing file
        except FileExistsError:
            continue
        try:
            with handle, source.open("rb") as original:
                shutil.copyfileobj(original, handle, _CHUNK)
            shutil.copystat(source, target)
        except BaseException:
            target.unlink(missing_ok=True)  # our own partial copy, never a user's file
            raise
        return target, number > 1
    raise OSError(f"{folder}: too many files named like {source.name}")


def copy_into_label_folders(results: Iterable[FileResult], destination: Path,
                            cancel: threading.Event | None = None) -> SortSummary:
    """Copy each classified file into `destination/<top-1 label>/`."""
    copied: list[tuple[Path, Path]] = []
    skipped: list[tuple[Path, str]] = []
    failures: list[tuple[Path, str]] = []
    folders: set[str] = set()
    renamed = 0
    for result in results:
        if cancel is not None and cancel.is_set():
            break
        if result.classification is None:
            skipped.append((result.path, result.error or "not classified"))
            continue
        name = folder_name(result.classification.top.label)
        folder = destination / name
        try:
            folder.mkdir(parents=True, exist_ok=True)
            target, was_renamed = _copy_exclusive(Path(result.path), folder)
        except OSError as error:
            logger.warning("could not copy %s: %s", result.path, error)
            failures.append((result.path, f"{result.path}: {error.strerror or error}"))
            continue
        folders.add(name)
        renamed += was_renamed
        copied.append((result.path, target))
    return SortSummary(tuple(copied), renamed, tuple(skipped), tuple(sorted(folders)),
                       bool(cancel is not None and cancel.is_set()), tuple(failures))

