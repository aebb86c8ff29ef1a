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
import stat
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

logger = logging.getLogger(__name__)

PART_SUFFIX = ".squeezeapp-part"
STALE_PART_AGE_S = 24 * 3600  # older than this, a temporary file belongs to a dead process
MAX_FREE_NAME_TRIES = 10_000
MAX_NAME_BYTES = 255  # one path component on every file system we run on
_TEMP_STEM_BYTES = 200  # leaves room for ".", ".XXXXXXXX" and PART_SUFFIX within MAX_NAME_BYTES
_COPY_CHUNK = 1 << 20
# As the image decoder opens files: a FIFO must not block the open, a link may lead anywhere but
# what is opened must be a regular file (checked on the open descriptor).
_SOURCE_FLAGS = (os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
                 | getattr(os, "O_CLOEXEC", 0))
_SPECIAL_KINDS = ((stat.S_ISFIFO, "a FIFO"), (stat.S_ISCHR, "a character device"),
                  (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket"),
                  (stat.S_ISDIR, "a folder"))
_ERROR_WORDS = {
    errno.ENOSPC: "the disk is full",
    errno.EDQUOT: "the disk quota is used up",
    errno.EROFS: "the folder is on a read-only file system",
    errno.EACCES: "permission denied",
    errno.EPERM: "permission denied",
    errno.ENOENT: "it was not found",
    errno.ENAMETOOLONG: "the name is too long",
    errno.ELOOP: "it is a symbolic link (links are never followed when writing)",
    errno.ENOTDIR: "a part of the path is a file, not a folder",
    errno.EISDIR: "it is a folder",
    errno.EEXIST: "a file of that name exists",
    errno.EIO: "input/output error (a failing disk or a lost network drive?)",
}


@dataclass
class PendingFile:
    """An open temporary file; `path` is its final name once the `with` block has committed."""

    stream: BinaryIO
    temporary: Path
    path: Path = field(default_factory=Path)


class SourceChangedError(OSError):
    """A file to copy is no longer what it was (another size, or not a regular file)."""


def _clip_bytes(text: str, limit: int) -> str:
    """`text` cut to at most `limit` UTF-8 bytes, never inside a character."""
    return text.encode()[:max(0, limit)].decode(errors="ignore")


def fit_name(name: str, extra: str = "", limit: int = MAX_NAME_BYTES) -> str:
    """`name` with `extra` (" (2)") added before its extension, the stem shortened so that the
    whole stays within `limit` bytes; the extension is kept (it says what the file is)."""
    dot = name.rfind(".")
    stem, suffix = (name[:dot], name[dot:]) if dot > 0 else (name, "")
    if len(suffix.encode()) > limit // 2:  # not an extension but a long dotted name
        stem, suffix = name, ""
    room = limit - len(suffix.encode()) - len(extra.encode())
    return f"{_clip_bytes(stem, room)}{extra}{suffix}"


def temporary_name(target: Path) -> Path:
    """A fresh hidden name beside `target`: unique, so that it can never be a user's file."""
    stem = _clip_bytes(target.name, _TEMP_STEM_BYTES)
    return target.with_name(f".{stem}.{os.urandom(4).hex()}{PART_SUFFIX}")


def numbered_name(target: Path, number: int) -> Path:
    """`photo.png` → `photo (2).png`, the stem shortened where the name would grow too long."""
    return target.with_name(fit_name(target.name, f" ({number})"))


def describe_os_error(error: OSError, path: str | os.PathLike[str] | None = None) -> str:
    """One line for people: the user's file (never our temporary name) and why, in words
    instead of "[Errno 30] Read-only file system: '.photo.png.1a2b3c4d.squeezeapp-part'"."""
    reason = (_ERROR_WORDS.get(error.errno or 0) or error.strerror or str(error)
              or "unknown error")
    if isinstance(error, SourceChangedError):
        reason = str(error.strerror or error)
    name = path if path is not None else error.filename
    return f"{short_path(name)}: {reason}" if name else reason


def short_path(path: str | os.PathLike[str], max_chars: int = 120) -> str:
    """A path for a message: whole when it fits a line, else its start and its name with "…"
    between (a 5,000-character path would fill the window)."""
    text = os.fspath(path)
    if len(text) <= max_chars:
        return text
    keep_end = max(1, max_chars * 2 // 3)
    return f"{text[:max_chars - keep_end - 1]}…{text[-keep_end:]}"


def _user_error(error: OSError, target: Path, temporary: Path) -> OSError:
    """The same error, naming the user's target rather than our temporary file (an error about
    another file, such as the source of a copy, is left as it is)."""
    if isinstance(error, SourceChangedError) or error.errno is None \
            or error.filename not in (None, str(temporary), str(target)):
        return error
    return OSError(error.errno, error.strerror, str(target))


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
    if len(target.name.encode()) > MAX_NAME_BYTES:
        target = target.with_name(fit_name(target.name))
    temporary = temporary_name(target)
    try:
        stream = os.fdopen(_open_exclusive(temporary), "wb")
    except OSError as error:
        raise _user_error(error, target, temporary) from None
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
    except BaseException as error:
        with contextlib.suppress(OSError):
            temporary.unlink()
        if isinstance(error, OSError) and not isinstance(error, FileExistsError):
            raise _user_error(error, target, temporary) from None
        raise


def write_atomic(target: str | os.PathLike[str], data: bytes | str, *,
                 overwrite: bool = False) -> Path:
    """`atomic_writer` for data already in memory; text is written as UTF-8. Returns the name."""
    with atomic_writer(target, overwrite=overwrite) as pending:
        pending.stream.write(data.encode() if isinstance(data, str) else data)
    return pending.path


def open_regular_source(path: str | os.PathLike[str], expected_size: int | None = None
                        ) -> tuple[BinaryIO, int]:
    """Open a file to read it as the image decoder does: never blocking (a FIFO), only a regular
    file (not a device such as /dev/zero behind a link), and, when `expected_size` is given,
    only if it still has that size. Returns (unbuffered stream, size)."""
    try:
        descriptor = os.open(path, _SOURCE_FLAGS)
    except OSError as error:
        if error.errno == errno.ENXIO:  # a socket, on some systems
            raise SourceChangedError(errno.ENXIO, "not a regular file (a socket)",
                                     os.fspath(path)) from None
        raise
    stream = os.fdopen(descriptor, "rb", buffering=0)
    try:
        status = os.fstat(descriptor)
        if not stat.S_ISREG(status.st_mode):
            kind = next((name for test, name in _SPECIAL_KINDS if test(status.st_mode)),
                        "a special file")
            raise SourceChangedError(errno.EINVAL, f"not a regular file ({kind})",
                                     os.fspath(path))
        if expected_size is not None and status.st_size != expected_size:
            raise SourceChangedError(
                errno.EINVAL, f"it changed since it was read ({status.st_size:,} bytes now, "
                f"{expected_size:,} then)", os.fspath(path))
    except BaseException:
        stream.close()
        raise
    return stream, status.st_size


def copy_file_atomic(source: str | os.PathLike[str], target: str | os.PathLike[str], *,
                     expected_size: int | None = None, overwrite: bool = False,
                     cancel: threading.Event | None = None) -> Path:
    """Copy `source` to `target` through `atomic_writer` (exclusive: an existing name gets
    " (2)"); returns the name the copy got. The source is opened by `open_regular_source` and
    read only up to the size it had when opened, so a FIFO, a device or a file that grows
    without end can neither block nor fill the disk. Modification time and mode are kept."""
    source, target = Path(source), Path(target)
    reader, size = open_regular_source(source, expected_size)
    with reader, atomic_writer(target, overwrite=overwrite) as pending:
        left = size
        while left > 0:
            if cancel is not None and cancel.is_set():
                raise InterruptedError(errno.EINTR, "cancelled", str(target))
            chunk = reader.read(min(_COPY_CHUNK, left))
            if not chunk:
                raise SourceChangedError(errno.EINVAL, "it became shorter while it was copied",
                                         str(source))
            pending.stream.write(chunk)
            left -= len(chunk)
        pending.stream.flush()  # before the times are set: a later write would change them
        status = os.fstat(reader.fileno())
        with contextlib.suppress(OSError):
            pending.temporary.chmod(stat.S_IMODE(status.st_mode) & 0o777)
            os.utime(pending.temporary, ns=(status.st_atime_ns, status.st_mtime_ns))
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
