"""Verified downloads: stream to a temp file beside the target, check size and SHA-256, rename
(through `core.common.files.atomic_writer`: unique temporary name, fsync, then the rename).

Nothing partial or unverified is ever left under the final name: any failure (HTTP error, network
loss, truncated body, checksum mismatch, cancel) deletes the temp file and raises DownloadError.
No server can hold a download or fill the disk: the body is cut at the expected size (plus a
margin), and a stall, an overall deadline and a minimum average rate end it (`DownloadLimits`).
"""

from __future__ import annotations

import contextlib
import hashlib
import http.client
import logging
import os
import queue
import re
import socket
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from squeezeapp import __version__
from squeezeapp.core.common import files
from squeezeapp.core.common.errors import DownloadCancelledError, DownloadError
from squeezeapp.core.models.paths import user_models_dir
from squeezeapp.core.models.registry import KnownModel, RemoteFile

logger = logging.getLogger(__name__)

ProgressCallback = Callable[[int, int | None], None]  # (bytes so far, total or None)
_CHUNK = 64 * 1024
_QUEUED_CHUNKS = 64  # at most 4 MB between the network thread and the file
STALE_PART_AGE_S = 24 * 3600
_PART_NAME = re.compile(r"^\..+\.[A-Za-z0-9_]{8}\.part$")  # .NAME.XXXXXXXX.part


@dataclass(frozen=True)
class DownloadLimits:
    """Bounds on a download, so that no server can hold it or fill the disk for ever."""

    connect_timeout_s: float = 30.0  # connecting, and the headers
    stall_timeout_s: float = 30.0  # no byte at all for this long
    deadline_s: float = 30 * 60.0  # the whole transfer
    min_rate: float = 10_000.0  # bytes/s on average, judged once `rate_grace_s` have passed
    rate_grace_s: float = 30.0
    size_margin: int = 64 * 1024  # accepted beyond the expected size before giving up
    unknown_size_cap: int = 256 * 1024 * 1024  # when neither we nor the server know the size
    poll_s: float = 0.05  # how often cancel, deadline and rate are looked at


DEFAULT_LIMITS = DownloadLimits()


def download_file(
    remote: RemoteFile,
    destination: Path,
    progress: ProgressCallback | None = None,
    cancel: threading.Event | None = None,
    limits: DownloadLimits = DEFAULT_LIMITS,
) -> Path:
    """Fetch `remote` into `destination` (a file path); return it once verified.

    The network is read on a helper thread, so `cancel` is seen within `limits.poll_s` even
    while a read is blocked on a slow server. The file gets the permissions the umask gives.
    """
    url = remote.resolved_url()
    try:
        destination.parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise DownloadError(f"cannot write in {destination.parent}: "
                            f"{error.strerror or error}") from None
    remove_stale_parts(destination.parent)
    files.remove_stale_parts(destination.parent)
    try:
        # the app's own cache file: replaced whole, once verified (fsync'd, then renamed)
        with files.atomic_writer(destination, overwrite=True) as pending:
            digest, received, announced = _stream(url, pending.stream, remote.size, progress,
                                                  cancel, limits)
            _verify(url, remote, digest, received, announced)
    except OSError as error:
        raise DownloadError(f"cannot save the download: "
                            f"{files.describe_os_error(error, destination)}") from None
    logger.info("downloaded %s to %s", url, destination)
    return destination


def _verify(url: str, remote: RemoteFile, digest: str, received: int,
            announced: int | None) -> None:
    """Raise DownloadError unless the body is complete and its SHA-256 is the expected one."""
    expected = remote.size if remote.size is not None else announced
    if expected is not None and received < expected:
        raise DownloadError(
            f"{url}: connection closed after {received} of {expected} bytes "
            "(truncated download)"
        )
    if remote.size is not None and received != remote.size:
        raise DownloadError(f"{url}: got {received} bytes, expected {remote.size}")
    if digest != remote.sha256:
        raise DownloadError(
            f"{url}: SHA-256 mismatch (got {digest[:16]}…, expected {remote.sha256[:16]}…); "
            "the file was discarded"
        )


def remove_stale_parts(folder: Path, max_age_s: float = STALE_PART_AGE_S) -> None:
    """Delete partial downloads that earlier versions left when killed (`.NAME.XXXX.part`, older
    than a day: a younger one may belong to a download running in another process); today's
    temporary files are `core.common.files`' and cleaned by its `remove_stale_parts`."""
    cutoff = time.time() - max_age_s
    for part in folder.glob(".*.part"):
        if not _PART_NAME.match(part.name):  # only names this module gives its temp files
            continue
        with contextlib.suppress(OSError):
            if part.is_file() and part.stat().st_mtime < cutoff:
                part.unlink()
                logger.info("removed stale partial download %s", part)


def _stream(url: str, sink: BinaryIO, expected: int | None, progress: ProgressCallback | None,
            cancel: threading.Event | None, limits: DownloadLimits
            ) -> tuple[str, int, int | None]:
    """Copy the response body into `sink`; return (sha256, bytes received, announced length)."""
    digest = hashlib.sha256()
    received = 0
    total = expected
    cap = _size_cap(expected, None, limits)
    reader = _BodyReader(url, limits.connect_timeout_s)
    reader.start()
    started = last_data = time.monotonic()
    try:
        while True:
            if cancel is not None and cancel.is_set():
                raise DownloadCancelledError("download cancelled")
            try:
                kind, payload = reader.items.get(timeout=limits.poll_s)
            except queue.Empty:
                kind, payload = "wait", None
            now = time.monotonic()
            if kind == "headers":
                announced = int(payload) if payload and payload.isdigit() else None
                total = expected if expected is not None else announced
                cap = _size_cap(expected, announced, limits)
                if announced is not None and announced > cap:
                    raise DownloadError(f"{url}: the server announces {announced:,} bytes, "
                                        f"expected {expected:,}")
            elif kind == "data":
                received += len(payload)
                if received > cap:
                    raise DownloadError(f"{url}: the server sent more than the expected "
                                        f"{total or cap:,} bytes; stopped")
                _write(sink, payload)
                digest.update(payload)
                last_data = now
                if progress:
                    progress(received, total)
            elif kind == "end":
                return digest.hexdigest(), received, total
            elif kind == "error":
                raise payload
            _check_pace(url, received, now - started, now - last_data, limits)
    finally:
        reader.stop()


def _write(sink: BinaryIO, payload: bytes) -> None:
    view = memoryview(payload)
    try:
        while view:
            view = view[sink.write(view) or 0:]
    except OSError as error:  # a full disk, a removed drive
        raise DownloadError(f"cannot write the download: {error.strerror or error}") from None


def _size_cap(expected: int | None, announced: int | None, limits: DownloadLimits) -> int:
    known = expected if expected is not None else announced
    return known + limits.size_margin if known is not None else limits.unknown_size_cap


def _check_pace(url: str, received: int, elapsed: float, silent: float,
                limits: DownloadLimits) -> None:
    if silent > limits.stall_timeout_s:
        raise DownloadError(f"{url}: no data for {limits.stall_timeout_s:g} s; stopped")
    if elapsed > limits.deadline_s:
        raise DownloadError(f"{url}: not finished after {limits.deadline_s:g} s; stopped")
    if elapsed > limits.rate_grace_s and received / elapsed < limits.min_rate:
        raise DownloadError(f"{url}: too slow ({received / elapsed:,.0f} bytes/s on average, "
                            f"below {limits.min_rate:,.0f}); stopped")


class _BodyReader(threading.Thread):
    """Reads the response on its own thread and hands over ("headers"|"data"|"end"|"error",
    payload) items, so that the caller never blocks on the network. `stop()` shuts the socket
    down, which ends a read in progress."""

    def __init__(self, url: str, timeout_s: float) -> None:
        super().__init__(name="download-reader", daemon=True)
        self.url = url
        self.timeout_s = timeout_s
        self.items: queue.Queue[tuple[str, Any]] = queue.Queue(maxsize=_QUEUED_CHUNKS)
        self._stopping = threading.Event()
        self._response: http.client.HTTPResponse | None = None

    def run(self) -> None:
        request = urllib.request.Request(self.url,
                                         headers={"User-Agent": f"squeezeapp/{__version__}"})
        try:
            with urllib.request.urlopen(request, timeout=self.timeout_s) as response:
                self._response = response
                if self._stopping.is_set():
                    return
                self._put(("headers", response.headers.get("Content-Length")))
                while not self._stopping.is_set() and (chunk := response.read1(_CHUNK)):
                    self._put(("data", chunk))
            self._put(("end", None))
        except Exception as error:  # handed to the caller as one DownloadError
            self._put(("error", _describe(self.url, error)))

    def _put(self, item: tuple[str, Any]) -> None:
        while not self._stopping.is_set():
            with contextlib.suppress(queue.Full):
                self.items.put(item, timeout=0.1)
                return

    def stop(self) -> None:
        self._stopping.set()
        response = self._response
        if response is not None:
            with contextlib.suppress(OSError, ValueError, AttributeError):
                connection = socket.socket(fileno=os.dup(response.fileno()))
                with connection:
                    connection.shutdown(socket.SHUT_RDWR)


def _describe(url: str, error: Exception) -> DownloadError:
    if isinstance(error, urllib.error.HTTPError):
        return DownloadError(f"{url}: HTTP {error.code} {error.reason}")
    if isinstance(error, urllib.error.URLError):
        return DownloadError(f"{url}: cannot connect ({error.reason})")
    if isinstance(error, TimeoutError):
        return DownloadError(f"{url}: the server did not answer (timed out)")
    return DownloadError(f"{url}: download failed ({error})")


def download_known_model(
    model: KnownModel,
    folder: Path | None = None,
    progress: ProgressCallback | None = None,
    cancel: threading.Event | None = None,
    limits: DownloadLimits = DEFAULT_LIMITS,
) -> Path:
    """Download a registry model and its labels file into `folder` (default: the user cache).

    The labels file comes first so that a model file, once present, is always usable.
    """
    if model.model is None:
        raise DownloadError(f"{model.name} is not downloadable")
    folder = folder or user_models_dir()
    if model.labels is not None:
        download_file(model.labels, folder / f"{model.name}.labels.txt", None, cancel, limits)
    return download_file(model.model, folder / f"{model.name}.onnx", progress, cancel, limits)
