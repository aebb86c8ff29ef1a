"""Writing files so that a crash, a full disk or a planted link never costs the user a file.

Every file squeezeapp writes goes through `atomic_writer` (or `write_atomic`): the bytes go to a
unique temporary name in the target's own folder (created exclusively, never through a symbolic
link), are flushed and fsync'd, and only then appear under the final name. A crash leaves at most
a temporary `.NAME.XXXXXXXX.squeezeapp-part` that `remove_stale_parts` cleans later; never a
truncated file under a name that looks complete.

By default the final name is created exclusively: an existing file (or link) is never replaced,
the next free name ("photo (2).png") is taken instead and returned. `overwrite=True` is for the
app's own files (settings, caches) and for a target the user confirmed in a save dialog: the
rename then replaces a link itself, never the file it points to.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import secrets
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

logger = logging.getLogger(__name__)

PART_SUFFIX = ".squeezeapp-part"
STALE_PART_AGE_S = 24 * 3600  # older than this, a temporary file belongs to a dead process
MAX_FREE_NAME_TRIES = 10_000


@dataclass
class PendingFile:
    """An open temporary file; `path` is its final name once the `with` block has committed."""

    stream: BinaryIO
    temporary: Path
    path: Path = field(default_factory=Path)


def temporary_name(target: Path) -> Path:
    """A fresh hidden name beside `target`: unique, so that it can never be a user's file."""
    return target.with_name(f".{target.name[:200]}.{secrets.token_hex(4)}{PART_SUFFIX}")


def numbered_name(target: Path, number: int) -> Path:
    """`photo.png` → `photo (2).png`, the stem shortened where the name would grow too long."""
    suffix = f" ({number})"
    room = 255 - len(target.suffix.encode()) - len(suffix.encode())
    stem = target.stem.encode()[:room].decode(errors="ignore")
    return target.with_name(f"{stem}{suffix}{target.suffix}")


def _open_exclusive(path: Path) -> int:
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) \
        | getattr(os, "O_BINARY", 0) | getattr(os, "O_CLOEXEC", 0)
    return os.open(path, flags, 0o644)


def _sync_folder(folder: Path) -> None:
    """Make the rename itself durable (POSIX; Windows has no directory handles to sync)."""
    if sys.platform == "win32":
        return
    with contextlib.suppress(OSError):
        descriptor = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(descriptor)
        finally:
            os.close(descriptor)


def _publish_exclusive(temporary: Path, target: Path) -> Path:
    """Give the finished temporary file the first free name of `target`, `target (2)`, …"""
    for number in range(1, MAX_FREE_NAME_TRIES):
        candidate = target if number == 1 else numbered_name(target, number)
        try:
            if sys.platform == "win32":
                temporary.rename(candidate)  # refuses an existing target on Windows
            else:
                os.link(temporary, candidate)  # atomic, exclusive, and never follows a link
                temporary.unlink()
            return candidate
        except FileExistsError:
            continue
        except OSError as error:
            if error.errno not in (errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EXDEV):
                raise
            # a file system without hard links (FAT, some network shares): claim the name
            # exclusively, then rename over the claim (empty for an instant, never truncated)
            try:
                os.close(_open_exclusive(candidate))
            except FileExistsError:
                continue
            temporary.replace(candidate)
            return candidate
    raise FileExistsError(errno.EEXIST, "no free name", str(target))


@contextlib.contextmanager
def atomic_writer(target: str | os.PathLike[str], *, overwrite: bool = False
                  ) -> Iterator[PendingFile]:
    """Write a file all at once or not at all. Yields a `PendingFile`; its `path` is the name it
    was given (see the module's docstring). Any exception removes the temporary file."""
    target = Path(target)
    temporary = temporary_name(target)
    stream = os.fdopen(_open_exclusive(temporary), "wb")
    pending = PendingFile(stream, temporary)
    try:
        with stream:
            yield pending
            stream.flush()
            os.fsync(stream.fileno())
        if overwrite:
            temporary.replace(target)
            pending.path = target
        else:
            pending.path = _publish_exclusive(temporary, target)
        _sync_folder(target.parent)
    except BaseException:
        with contextlib.suppress(OSError):
            temporary.unlink()
        raise


def write_atomic(target: str | os.PathLike[str], data: bytes | str, *,
                 overwrite: bool = False) -> Path:
    """`atomic_writer` for data already in memory; text is written as UTF-8. Returns the name."""
    with atomic_writer(target, overwrite=overwrite) as pending:
        pending.stream.write(data.encode() if isinstance(data, str) else data)
    return pending.path


def remove_stale_parts(folder: Path, max_age_s: float = STALE_PART_AGE_S) -> int:
    """Delete temporary files that a killed process left in `folder` (ours by their suffix,
    older than `max_age_s` so that a running writer's file is never taken). Returns how many."""
    cutoff = time.time() - max_age_s
    removed = 0
    with contextlib.suppress(OSError):
        for part in folder.glob(f".*{PART_SUFFIX}"):
            with contextlib.suppress(OSError):
                if part.is_file() and not part.is_symlink() and part.stat().st_mtime < cutoff:
                    part.unlink()
                    removed += 1
                    logger.info("removed a temporary file left by a stopped run: %s", part)
    return removed
