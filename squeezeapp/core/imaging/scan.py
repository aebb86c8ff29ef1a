"""Finding the pictures in what the user gave (files, folders), and saying what was left out.

Nothing vanishes silently: every file a folder holds is either taken as a picture or recorded
with why it was left out (a video, a sidecar, a text file, a format this build cannot read, a
subfolder not searched), so the CLI and the window can say "4 files left out: 2 videos, 1 text
file, 1 unsupported format" and list them.
"""

from __future__ import annotations

import os
import stat
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from squeezeapp.core.imaging.formats import (
    LeftOutKind,
    is_image_path,
    left_out_kind,
    unsupported_reason,
)

# A folder can hold millions of files; the list keeps this many, the counts keep all.
MAX_LISTED = 10_000
BACKUP_SUFFIX = ".squeezeapp-backup"  # xmp.py's one-time backup of a sidecar
MAX_FOLDER_DEPTH = 256  # --recursive goes no deeper (a loop of bind mounts would never end)
_TOO_DEEP: set[Path] = set()  # folders the scan did not enter, for their one-line report
_MAX_TOO_DEEP_REMEMBERED = 10_000


@dataclass(frozen=True)
class LeftOut:
    """A file (or subfolder) found but not taken as a picture, and why in one line."""

    path: Path
    kind: LeftOutKind
    reason: str

    def describe(self, command_line: bool = False) -> str:
        """'holiday.mp4: a video (…)'; `command_line`: the advice worded for the CLI rather
        than for the window's menus."""
        reason = _COMMAND_LINE_REASONS.get(self.kind, self.reason) if command_line else (
            self.reason)
        return f"{self.path}: {reason}"


# What the CLI says instead of the window's advice ("File ▸ Open Video") for these kinds.
_COMMAND_LINE_REASONS = {
    LeftOutKind.VIDEO: "a video (classify pictures here; 'squeezeapp gui VIDEO' plays one "
                       "and classifies its frames)",
    LeftOutKind.SUBFOLDER: "a subfolder (not searched: add --recursive)",
}


@dataclass(frozen=True)
class ImageScan:
    """The pictures found, in order, and what was left out (the first MAX_LISTED of it)."""

    images: tuple[Path, ...] = ()
    left_out: tuple[LeftOut, ...] = ()
    counts: tuple[tuple[LeftOutKind, int], ...] = field(default=())

    @property
    def left_out_total(self) -> int:
        return sum(count for _, count in self.counts)

    def summary(self) -> str:
        """'4 files left out: 2 videos, 1 text file, 1 unsupported format', or ''."""
        return left_out_summary(dict(self.counts))


def left_out_summary(counts: dict[LeftOutKind, int]) -> str:
    total = sum(counts.values())
    if not total:
        return ""
    noun = "item" if counts.get(LeftOutKind.SUBFOLDER) else "file"
    order = sorted(counts.items(), key=lambda item: (-item[1], list(LeftOutKind).index(item[0])))
    parts = ", ".join(kind.counted(count) for kind, count in order)
    return f"{total:,} {noun}{'' if total == 1 else 's'} left out: {parts}"


def scan_images(paths: Iterable[Path | str], recursive: bool = False) -> ImageScan:
    """Files as given (whatever their extension: a bad one is reported when read rather than
    skipped), and the pictures found in folders, sorted by name; everything else in those
    folders is recorded as left out. A folder that cannot be listed is taken as an image path
    itself: reading it says why, so an unreadable folder is never skipped in silence."""
    images: list[Path] = []
    left_out: list[LeftOut] = []
    counts: Counter[LeftOutKind] = Counter()
    for item in paths:
        path = Path(item)
        if _is_folder(path):
            found: list[Path] = []
            _scan_folder(path, recursive, found, left_out, counts)
            images.extend(sorted(found, key=lambda p: str(p).lower()))
        else:
            images.append(path)
    left_out.sort(key=lambda entry: str(entry.path).lower())
    return ImageScan(tuple(images), tuple(left_out), tuple(counts.items()))


def _is_folder(path: Path) -> bool:
    try:
        return stat.S_ISDIR(path.stat().st_mode)
    except (OSError, ValueError):  # missing, name too long, link loop: reported when read
        return False


def _scan_folder(folder: Path, recursive: bool, found: list[Path], left_out: list[LeftOut],
                 counts: Counter[LeftOutKind]) -> None:
    """Iterative (a folder nested 1,500 deep overflowed the recursion and lost every record)
    and depth-bounded: a folder that cannot be listed, or lies too deep, is taken as an image
    path itself so that reading it says why."""
    pending = [(folder, 0)]
    while pending:
        current, depth = pending.pop()
        try:
            with os.scandir(current) as listing:
                entries = list(listing)
        except OSError:
            found.append(current)
            continue
        pictures: set[str] = set()
        sidecars: list[Path] = []
        for entry in entries:
            entry_path = Path(entry.path)
            if _entry_is_folder(entry):
                if recursive and not entry.is_symlink():
                    if depth + 1 > MAX_FOLDER_DEPTH:
                        if len(_TOO_DEEP) < _MAX_TOO_DEEP_REMEMBERED:
                            _TOO_DEEP.add(entry_path)
                        found.append(entry_path)
                    else:
                        pending.append((entry_path, depth + 1))
                elif not recursive and not entry.name.startswith("."):
                    _leave_out(LeftOut(entry_path, LeftOutKind.SUBFOLDER,
                                       "a subfolder (not searched: open it, or classify with "
                                       "--recursive)"), left_out, counts)
            elif is_image_path(entry.name):
                found.append(entry_path)
                pictures.add(entry.name.lower())
            elif left_out_kind(entry.name) is LeftOutKind.SIDECAR:
                sidecars.append(entry_path)
            else:
                _leave_out(LeftOut(entry_path, left_out_kind(entry.name),
                                   unsupported_reason(entry.name)), left_out, counts)
        stems = {Path(name).stem for name in pictures}
        for sidecar in sidecars:  # one beside its photo is part of it, not "left out"
            if not _belongs_to(sidecar.name, pictures, stems):
                _leave_out(LeftOut(sidecar, LeftOutKind.SIDECAR,
                                   unsupported_reason(sidecar.name)), left_out, counts)


def is_sidecar_of(path: Path, pictures: Iterable[Path]) -> bool:
    """Whether `path` is a sidecar of one of `pictures` in its folder (files dropped or given
    as they are: the same rule as a folder's)."""
    if left_out_kind(path.name) is not LeftOutKind.SIDECAR:
        return False
    names = {p.name.lower() for p in pictures if p.parent == path.parent}
    return _belongs_to(path.name, names, {Path(name).stem for name in names})


def _belongs_to(name: str, pictures: set[str], stems: set[str]) -> bool:
    """Whether a sidecar is one of these pictures' (lower-case names): photo.jpg.xmp and
    photo.xmp (either naming), photo.jpg.pp3, and this app's photo.jpg.xmp.squeezeapp-backup."""
    lowered = name.lower().removesuffix(BACKUP_SUFFIX)
    base = lowered.rpartition(".")[0]
    return base in pictures or base in stems


def too_deep(path: Path) -> bool:
    """Whether a scan left this folder out for lying more than MAX_FOLDER_DEPTH deep."""
    return path in _TOO_DEEP


def _leave_out(entry: LeftOut, left_out: list[LeftOut], counts: Counter[LeftOutKind]) -> None:
    counts[entry.kind] += 1
    if len(left_out) < MAX_LISTED:
        left_out.append(entry)


def _entry_is_folder(entry: os.DirEntry[str]) -> bool:
    try:
        return entry.is_dir()
    except OSError:
        return False


def describe_left_out(left_out: Sequence[LeftOut], total: int, command_line: bool = False
                      ) -> str:
    """The list, one line per file, saying when it was cut short."""
    lines = [entry.describe(command_line) for entry in left_out]
    if total > len(left_out):
        lines.append(f"… and {total - len(left_out):,} more")
    return "\n".join(lines)
