"""Classifying many files: decode and pre-process in a small thread pool while the model runs
batches, yielding results in input order. OpenCV decoding and onnxruntime both release the GIL,
so the two overlap on separate cores instead of alternating as in a naive loop.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from squeezeapp.core.classifier import Classification, Classifier, SessionSettings
from squeezeapp.core.errors import ImageReadError
from squeezeapp.core.imageio import read_image

DEFAULT_BATCH = 8


@dataclass(frozen=True)
class FileResult:
    path: Path
    classification: Classification | None = None
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


def pipeline_session(settings: SessionSettings) -> SessionSettings:
    """How to open the session `classify_files` should use: inference threads that sleep
    between batches, so that they leave the cores to the decoding threads (measured on 2 cores:
    about 350 images/s instead of 300)."""
    return replace(settings, spin_wait=False)


def classify_files(
    paths: Iterable[Path],
    classifier: Classifier,
    top_k: int = 5,
    workers: int = 2,
    batch_size: int = DEFAULT_BATCH,
) -> Iterator[FileResult]:
    """Yield one FileResult per path, in order; a bad file becomes an error result."""
    prepare = classifier.preprocess
    needed_side = classifier.spec.preprocess.resize  # big JPEGs decode reduced down to this

    def load(path: Path) -> np.ndarray | str:
        try:  # read_image holds its share of the process-wide IMAGE_BUDGET while it decodes
            return prepare(read_image(path, min_side=needed_side))
        except ImageReadError as error:
            return str(error)

    lookahead = max(2, workers) * batch_size
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="decode") as pool:
        queued: deque[tuple[Path, Future[np.ndarray | str]]] = deque()
        pending: list[tuple[Path, np.ndarray | str]] = []
        for path in paths:
            queued.append((path, pool.submit(load, path)))
            if len(queued) >= lookahead:
                yield from _collect(queued, pending, classifier, top_k, batch_size, final=False)
        yield from _collect(queued, pending, classifier, top_k, batch_size, final=True)


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
