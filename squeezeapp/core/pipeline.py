"""Classifying many files, yielding results in input order, with one of two schedules.

- **images** (CPU, up to IMAGE_WORKERS_MAX_CORES cores): one worker thread per core, each
  decoding, cropping and running its own photo on a shared 1-thread session. OpenCV decoding and
  onnxruntime both release the GIL, so the cores stay busy with no hand-over between stages and no
  intra-op synchronisation; on 2 cores this reaches the bound of decode + crop + 1-thread
  inference spread over both cores (see docs/performance.md).
- **batches** (accelerators, many cores): decoding threads feed batches to a multi-thread session,
  which is what an accelerator or a wide CPU needs to be kept busy.

`pipeline_session` opens the session that suits the schedule; `classify_files` picks the schedule
from the session it is given.
"""

from __future__ import annotations

import os
import time
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Literal

import numpy as np

from squeezeapp.core.classifier import Classification, Classifier, ClassMaps, SessionSettings
from squeezeapp.core.errors import ImageReadError
from squeezeapp.core.imageio import read_image
from squeezeapp.core.providers import CPU, resolve_providers

DEFAULT_BATCH = 8
# Above this many cores the image schedule is unmeasured here (the development machine has 2):
# the batched schedule, whose inference threads scale with the cores, is kept there.
IMAGE_WORKERS_MAX_CORES = 8


@dataclass(frozen=True)
class FileResult:
    path: Path
    classification: Classification | None = None
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


@dataclass(frozen=True)
class Schedule:
    """How `classify_files` spreads the work: see the module docstring."""

    kind: Literal["images", "batches"]
    workers: int  # image workers, or decoding threads for batches
    session_threads: int | None  # intra-op threads the session should have (None: all)
    batch_size: int = DEFAULT_BATCH


def plan_schedule(settings: SessionSettings, cores: int | None = None) -> Schedule:
    """The schedule for this machine and these settings (an explicit --threads wins)."""
    cores = max(1, cores or os.cpu_count() or 1)
    on_cpu = resolve_providers(settings.provider)[0] == CPU
    if settings.threads == 1 or (settings.threads is None and on_cpu
                                 and cores <= IMAGE_WORKERS_MAX_CORES):
        return Schedule("images", workers=cores, session_threads=1)
    return Schedule("batches", workers=2, session_threads=settings.threads)


def pipeline_session(settings: SessionSettings, cores: int | None = None) -> SessionSettings:
    """How to open the session `classify_files` should use. Inference threads sleep between
    runs instead of spinning, so that they leave the cores to decoding (on 2 cores about 350
    images/s instead of 300 for the batched schedule)."""
    schedule = plan_schedule(settings, cores)
    return replace(settings, spin_wait=False, threads=schedule.session_threads)


def schedule_for(classifier: Classifier, cores: int | None = None) -> Schedule:
    """The schedule that suits an opened classifier: image workers need a 1-thread session."""
    settings = classifier.settings
    if settings.threads == 1:
        return Schedule("images", workers=max(1, cores or os.cpu_count() or 1),
                        session_threads=1)
    return Schedule("batches", workers=2, session_threads=settings.threads)


def classify_files(
    paths: Iterable[Path],
    classifier: Classifier,
    top_k: int = 5,
    schedule: Schedule | None = None,
    with_cam: bool = False,
) -> Iterator[FileResult]:
    """Yield one FileResult per path, in order; a bad file becomes an error result. with_cam
    adds the class maps of the top-k classes (`supports_cam` models; always per image)."""
    schedule = schedule or schedule_for(classifier)
    if schedule.kind == "images" or with_cam:
        yield from _per_image(paths, classifier, top_k, schedule.workers, with_cam)
    else:
        yield from _batched(paths, classifier, top_k, schedule.workers, schedule.batch_size)


def _decode(path: Path, classifier: Classifier) -> np.ndarray | str:
    """One file decoded to BGR uint8, or the error text. Big JPEGs decode reduced, down to what
    the model's resize needs; read_image holds its share of the process-wide IMAGE_BUDGET."""
    try:
        return read_image(path, min_side=classifier.spec.preprocess.resize)
    except ImageReadError as error:
        return str(error)


def _load(path: Path, classifier: Classifier) -> np.ndarray | str:
    """One file as the session's input row, or the error text."""
    image = _decode(path, classifier)
    return image if isinstance(image, str) else classifier.prepare(image)


def _per_image(paths: Iterable[Path], classifier: Classifier, top_k: int, workers: int,
               with_cam: bool) -> Iterator[FileResult]:
    def one(path: Path) -> FileResult:
        started = time.perf_counter()
        image = _decode(path, classifier)
        if isinstance(image, str):
            return FileResult(path, error=image)
        batch = classifier.new_batch(1)
        classifier.prepare(image, batch[0])
        probabilities, maps = classifier.run(batch, with_cam=with_cam)
        predictions = classifier.predictions(probabilities[0], top_k)
        cam = None
        if maps is not None:
            chosen = maps[0, [p.index for p in predictions]]
            height, width = image.shape[:2]
            cam = ClassMaps(chosen, classifier.crop_rect(height, width), (height, width))
        elapsed_ms = (time.perf_counter() - started) * 1e3
        return FileResult(path, Classification(predictions, elapsed_ms, classifier.name, cam))

    lookahead = 4 * workers
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="classify") as pool:
        queued: deque[Future[FileResult]] = deque()
        try:
            for path in paths:
                queued.append(pool.submit(one, path))
                if len(queued) >= lookahead:
                    yield queued.popleft().result()
            while queued:
                yield queued.popleft().result()
        finally:
            _drop_unstarted(queued)


def _batched(paths: Iterable[Path], classifier: Classifier, top_k: int, workers: int,
             batch_size: int) -> Iterator[FileResult]:
    lookahead = max(2, workers) * batch_size
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="decode") as pool:
        queued: deque[tuple[Path, Future[np.ndarray | str]]] = deque()
        pending: list[tuple[Path, np.ndarray | str]] = []
        try:
            for path in paths:
                queued.append((path, pool.submit(_load, path, classifier)))
                if len(queued) >= lookahead:
                    yield from _collect(queued, pending, classifier, top_k, batch_size,
                                        final=False)
            yield from _collect(queued, pending, classifier, top_k, batch_size, final=True)
        finally:
            _drop_unstarted(future for _, future in queued)


def _drop_unstarted(futures: Iterable[Future]) -> None:
    """When the caller stops early (the generator is closed), files not yet started are dropped
    instead of decoded and classified for nobody: the pool's exit waits only for those running."""
    for future in futures:
        future.cancel()


def _collect(queued, pending, classifier, top_k, batch_size, final) -> Iterator[FileResult]:
    """Move finished loads into `pending`; run and yield a batch whenever one is full."""
    while queued and (final or len(queued) > batch_size):
        path, future = queued.popleft()
        pending.append((path, future.result()))
        if sum(isinstance(item, np.ndarray) for _, item in pending) >= batch_size:
            yield from _flush(pending, classifier, top_k)
    if final and pending:
        yield from _flush(pending, classifier, top_k)


def _flush(pending, classifier: Classifier, top_k: int) -> Iterator[FileResult]:
    tensors = [item for _, item in pending if isinstance(item, np.ndarray)]
    rows: Iterator[np.ndarray] = iter(())
    per_image_ms = 0.0
    if tensors:
        started = time.perf_counter()
        rows = iter(classifier.infer(np.stack(tensors)))
        per_image_ms = (time.perf_counter() - started) * 1e3 / len(tensors)
    for path, item in pending:
        if isinstance(item, str):
            yield FileResult(path, error=item)
        else:
            predictions = classifier.predictions(next(rows), top_k)
            yield FileResult(path, Classification(predictions, per_image_ms, classifier.name))
    pending.clear()
