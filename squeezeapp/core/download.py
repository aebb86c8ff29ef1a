"""Verified downloads: stream to a temp file beside the target, check size and SHA-256, rename.

Nothing partial or unverified is ever left under the final name: any failure (HTTP error, network
loss, truncated body, checksum mismatch, cancel) deletes the temp file and raises DownloadError.
"""

from __future__ import annotations

import contextlib
import hashlib
import http.client
import logging
import os
import select
import tempfile
import threading
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path

from squeezeapp import __version__
from squeezeapp.core.errors import DownloadCancelledError, DownloadError
from squeezeapp.core.paths import user_models_dir
from squeezeapp.core.registry import KnownModel, RemoteFile

logger = logging.getLogger(__name__)

ProgressCallback = Callable[[int, int | None], None]  # (bytes so far, total or None)
_CHUNK = 64 * 1024
_TIMEOUT_S = 30
_POLL_S = 0.1  # a read waits at most this long before `cancel` is looked at again


def download_file(
    remote: RemoteFile,
    destination: Path,
    progress: ProgressCallback | None = None,
    cancel: threading.Event | None = None,
) -> Path:
    """Fetch `remote` into `destination` (a file path); return it once verified."""
    url = remote.resolved_url()
    destination.parent.mkdir(parents=True, exist_ok=True)
    handle, temp_name = tempfile.mkstemp(prefix=f".{destination.name}.", suffix=".part",
                                         dir=destination.parent)
    temp_path = Path(temp_name)
    try:
        with os.fdopen(handle, "wb") as sink:
            digest, received, announced = _stream(url, sink, remote.size, progress, cancel)
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
        temp_path.replace(destination)
        logger.info("downloaded %s to %s", url, destination)
        return destination
    finally:
        with contextlib.suppress(FileNotFoundError):
            temp_path.unlink()


def _stream(url, sink, expected, progress, cancel) -> tuple[str, int, int | None]:
    """Copy the response body into `sink`; return (sha256, bytes received, announced length)."""
    request = urllib.request.Request(url, headers={"User-Agent": f"squeezeapp/{__version__}"})
    digest = hashlib.sha256()
    received = 0
    total = expected
    try:
        with urllib.request.urlopen(request, timeout=_TIMEOUT_S) as response:
            length = response.headers.get("Content-Length")
            total = int(length) if length and length.isdigit() else expected
            while chunk := _read_chunk(response, cancel):
                if cancel is not None and cancel.is_set():
                    raise DownloadCancelledError("download cancelled")
                sink.write(chunk)
                digest.update(chunk)
                received += len(chunk)
                if progress:
                    progress(received, total)
    except urllib.error.HTTPError as error:
        raise DownloadError(f"{url}: HTTP {error.code} {error.reason}") from None
    except urllib.error.URLError as error:
        raise DownloadError(f"{url}: cannot connect ({error.reason})") from None
    except http.client.IncompleteRead as error:
        raise DownloadError(
            f"{url}: connection closed after {received + len(error.partial)} bytes "
            "(truncated download)"
        ) from None
    except (OSError, http.client.HTTPException) as error:
        raise DownloadError(f"{url}: download failed ({error})") from None
    return digest.hexdigest(), received, total


def _read_chunk(response, cancel: threading.Event | None) -> bytes:
    """The next piece of the body, waiting in short steps so that `cancel` is honoured within
    `_POLL_S` even when the server sends one byte a second (a plain read(64 KiB) would block
    until 64 KiB came); b"" at the end."""
    waited = 0.0
    while not response.isclosed():
        if cancel is not None and cancel.is_set():
            raise DownloadCancelledError("download cancelled")
        if select.select([response], [], [], _POLL_S)[0]:
            return response.read1(_CHUNK)
        waited += _POLL_S
        if waited >= _TIMEOUT_S:
            raise TimeoutError(f"no data for {_TIMEOUT_S} s")
    return b""


def download_known_model(
    model: KnownModel,
    folder: Path | None = None,
    progress: ProgressCallback | None = None,
    cancel: threading.Event | None = None,
) -> Path:
    """Download a registry model and its labels file into `folder` (default: the user cache).

    The labels file comes first so that a model file, once present, is always usable.
    """
    if model.model is None:
        raise DownloadError(f"{model.name} is not downloadable")
    folder = folder or user_models_dir()
    if model.labels is not None:
        download_file(model.labels, folder / f"{model.name}.labels.txt", None, cancel)
    return download_file(model.model, folder / f"{model.name}.onnx", progress, cancel)
