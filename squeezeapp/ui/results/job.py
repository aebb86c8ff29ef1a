"""Classifying a list of files in the background for the results view, in chunks.

One background job (ui.common.jobs) per batch runs `core.batch.pipeline.classify_files` (the
job's thread decodes, the pipeline's helper threads infer). Results are collected on the job's
thread and handed to the GUI thread at most every CHUNK_S seconds, so the GUI does a few
hundred row updates ten times a second instead of one signal per file: it stays responsive for
10,000 files. Files whose
results are in the `ResultCache` (same path, size, mtime and model) are reported first, without
loading the model. Cancel is honoured between files (each helper thread finishes the file it
holds).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Generator, Sequence
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QObject, Signal

from squeezeapp.core.batch.pipeline import FileResult, classify_files, pipeline_session
from squeezeapp.core.batch.result_cache import ModelIdentity, ResultCache, file_key
from squeezeapp.core.common.hashing import file_sha256
from squeezeapp.core.inference.classifier import Classifier, SessionSettings
from squeezeapp.core.models.lookup import resolve_model_path
from squeezeapp.ui.common.jobs import Job, JobContext, lower_this_thread_priority, run_job, wait_for

logger = logging.getLogger(__name__)

CHUNK_S = 0.1  # how often results reach the GUI thread
CHUNK_MAX = 512  # and at most this many at once (cache hits arrive very fast)


@dataclass(frozen=True)
class Chunk:
    """Results for some rows, with the job's running totals."""

    token: int
    results: tuple[tuple[int, FileResult], ...]
    classified: int  # files run through the model so far (cache hits excluded)
    cached: int


@dataclass(frozen=True)
class JobSummary:
    token: int
    total: int
    done: int
    failed: int
    cached: int
    classified: int
    seconds: float  # the whole batch, model loading and cache look-ups included
    classify_seconds: float  # from the model being ready to the last file classified
    model: str
    cancelled: bool

    @property
    def images_per_s(self) -> float:
        return self.classified / self.classify_seconds if self.classify_seconds > 0 else 0.0


class ResultsJob(QObject):
    """Start, cancel and observe one batch at a time; a new start cancels the previous batch."""

    modelReady = Signal(str)  # the model's name, once loaded (not emitted when all were cached)
    chunkReady = Signal(object)  # Chunk
    finished = Signal(object)  # JobSummary, also after a cancel
    failed = Signal(str)  # the model could not be loaded, or the job broke

    def __init__(self, cache: ResultCache | None = None, parent=None) -> None:
        super().__init__(parent)
        self.cache = cache if cache is not None else ResultCache()
        self._token = 0
        self._job: Job | None = None  # the newest batch's
        self._running = False  # until the GUI thread has its last signal (the summary first)

    @property
    def running(self) -> bool:
        return self._running

    @property
    def token(self) -> int:
        """Identifies the current batch; chunks of an older one carry an older token."""
        return self._token

    def start(self, paths: Sequence[Path], model: str | Path | None,
              settings: SessionSettings | None = None, top_k: int = 5) -> int:
        """Classify `paths` (rows are their positions) with `model`; returns the batch token."""
        self.cancel()
        self._token += 1
        token, wanted, cache = self._token, list(paths), self.cache
        settings = settings or SessionSettings()
        self._job = run_job(
            lambda ctx: _classify_in_chunks(token, wanted, model, settings, top_k, cache, ctx),
            name="results", long_running=True, progressed=self._on_yielded,
            returned=self._on_returned, errored=self._on_error,
            finished=lambda: self._on_job_done(token))
        self._running = True
        return self._token

    def cancel(self) -> None:
        """Stop the current batch soon; its `finished` still arrives (cancelled=True)."""
        if self._job is not None:
            self._job.quit()

    def wait(self, timeout_s: float = 2.0) -> bool:
        """Block until the current batch's thread has left (bounded); for shutdown and tests."""
        return self._job is None or wait_for([self._job], timeout_s, "results job")

    def _on_yielded(self, item: Chunk | str) -> None:
        if isinstance(item, str):
            self.modelReady.emit(item)
        elif item.token == self._token:
            self.chunkReady.emit(item)

    def _on_returned(self, summary: JobSummary) -> None:
        if summary.token == self._token:
            self.finished.emit(summary)

    def _on_error(self, error: Exception) -> None:
        self.failed.emit(str(error) or type(error).__name__)

    def _on_job_done(self, token: int) -> None:
        if token == self._token:
            self._running = False


def _classify_in_chunks(token: int, paths: list[Path], model: str | Path | None,
                        settings: SessionSettings, top_k: int, cache: ResultCache,
                        ctx: JobContext) -> Generator[Chunk | str, None, JobSummary]:
    """The job's body: cached rows first, then the rest through the pipeline."""
    cancel = ctx.cancel
    lower_this_thread_priority()
    started = time.perf_counter()
    model_path = resolve_model_path(model)
    identity = ModelIdentity(file_sha256(model_path), top_k)
    outbox: list[tuple[int, FileResult]] = []
    counts = {"classified": 0, "cached": 0, "failed": 0}
    last_sent = time.perf_counter()
    model_name = model_path.stem
    classify_started = time.perf_counter()

    def flush() -> Chunk:
        nonlocal last_sent
        chunk = Chunk(token, tuple(outbox), counts["classified"], counts["cached"])
        outbox.clear()
        last_sent = time.perf_counter()
        return chunk

    def due() -> bool:
        return len(outbox) >= CHUNK_MAX or time.perf_counter() - last_sent >= CHUNK_S

    keys = [file_key(path, identity) for path in paths]
    missing: list[int] = []
    for row, (path, key) in enumerate(zip(paths, keys, strict=True)):
        if cancel.is_set():
            break
        hit = cache.get(key, path)
        if hit is None:
            missing.append(row)
            continue
        counts["cached"] += 1
        counts["failed"] += not hit.ok
        outbox.append((row, hit))
        if due():
            yield flush()
    if missing and not cancel.is_set():
        classifier = Classifier.load(model_path, pipeline_session(settings))
        model_name = classifier.name
        yield model_name
        classify_started = time.perf_counter()
        rows = iter(missing)
        results = classify_files((paths[row] for row in missing), classifier, top_k)
        with closing(results):  # on cancel: stop the helper threads now, not at collection
            for result in results:
                row = next(rows)
                key = keys[row]
                if key is not None and result.stamp == key.stamp:  # not changed since listed
                    cache.put(key, result)
                counts["classified"] += 1
                counts["failed"] += not result.ok
                outbox.append((row, result))
                if due():
                    yield flush()
                if cancel.is_set():
                    break
    if outbox:
        yield flush()
    done = counts["classified"] + counts["cached"]
    return JobSummary(token, len(paths), done, counts["failed"], counts["cached"],
                      counts["classified"], time.perf_counter() - started,
                      time.perf_counter() - classify_started, model_name,
                      cancel.is_set() and done < len(paths))
