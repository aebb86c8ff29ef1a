"""Classifying many files, yielding results in input order, with one of two schedules.

- **images** (an engine on the CPU, up to IMAGE_WORKERS_MAX_CORES cores): the calling thread
  decodes and crops, cores − 1 helper threads run a shared 1-thread session, each side taking
  the other's work when it would otherwise wait (`_ImagePipeline`). OpenCV decoding and the
  engines release the GIL, there is no intra-op synchronisation, and a core that mostly infers
  keeps its caches to the session; on 2 cores, with onnxruntime CPU, this reaches 0.84–0.95 of
  the bound of decode + crop + 1-thread inference timed alone and spread over both cores,
  0.92–1.01 of the same stages timed with the other core busy; with OpenVINO CPU 0.84–0.88 of
  the first (docs/performance.md).
- **batches** (accelerators, many cores): decoding threads feed batches to a multi-thread session,
  which is what an accelerator or a wide CPU needs to be kept busy.

`pipeline_session` opens the session that suits the schedule; `classify_files` picks the schedule
from the session it is given.
"""

from __future__ import annotations

import os
import threading
import time
from collections import deque
from collections.abc import Generator, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Literal

import numpy as np

from squeezeapp.core.common.errors import ImageReadError
from squeezeapp.core.common.threads import running_threads
from squeezeapp.core.imaging.decode import read_image
from squeezeapp.core.inference.classifier import Classification, Classifier, SessionSettings
from squeezeapp.core.inference.engine_choice import resolve_engine

DEFAULT_BATCH = 8
# Above this many cores the image schedule is unmeasured here (the development machine has 2):
# the batched schedule, whose inference threads scale with the cores, is kept there.
IMAGE_WORKERS_MAX_CORES = 8


# why a file is left out of what acts on it after classification (FileResult.changed_on_disk)
CHANGED_ON_DISK = "changed on disk since classified"


@dataclass(frozen=True)
class FileStamp:
    """A file's size and modification time as it was read to be classified (stat'ed just
    before): what acts on the file later (copying it into its label's folder, tagging it) first
    checks that it is still that file."""

    size: int
    mtime_ns: int

    @classmethod
    def of(cls, path: Path) -> FileStamp | None:
        """The file's stamp now; None when it cannot be stat'ed."""
        try:
            info = path.stat()
        except OSError:
            return None
        return cls(info.st_size, info.st_mtime_ns)


@dataclass(frozen=True)
class FileResult:
    path: Path
    classification: Classification | None = None
    error: str | None = None
    stamp: FileStamp | None = None  # the file as it was classified, where known

    @property
    def ok(self) -> bool:
        return self.error is None

    def changed_on_disk(self) -> bool:
        """Whether the file is no longer the one classified: written, replaced or gone since
        (False where no stamp was taken)."""
        return self.stamp is not None and FileStamp.of(self.path) != self.stamp


@dataclass(frozen=True)
class Schedule:
    """How `classify_files` spreads the work: see the module docstring."""

    kind: Literal["images", "batches"]
    workers: int  # threads for images (the caller and its helpers), or decoding threads for batches
    session_threads: int | None  # intra-op threads the session should have (None: all)
    batch_size: int = DEFAULT_BATCH


def plan_schedule(settings: SessionSettings, cores: int | None = None) -> Schedule:
    """The schedule for this machine and these settings (an explicit --threads wins)."""
    cores = max(1, cores or os.cpu_count() or 1)
    # "auto" here is the classic rule; pipeline_session resolves a measured choice first.
    # OpenVINO's CPU device takes image workers too: on one thread beside the decoding it costs
    # 1.5 core-ms per image, less than on two threads with batches of 8 (1.6–1.7), and the
    # folder goes faster (570 against 488 images/s, docs/performance.md).
    on_cpu = resolve_engine(settings.provider, "").on_cpu
    if settings.threads == 1 or (settings.threads is None and on_cpu
                                 and cores <= IMAGE_WORKERS_MAX_CORES):
        return Schedule("images", workers=cores, session_threads=1)
    return Schedule("batches", workers=2, session_threads=settings.threads)


def pipeline_session(settings: SessionSettings, cores: int | None = None,
                     model_sha256: str | None = None) -> SessionSettings:
    """How to open the session `classify_files` should use. Inference threads sleep between
    runs instead of spinning, so that they leave the cores to decoding (measured for the batched
    schedule on 2 cores in the fast host state: about 350 images/s instead of 300). With the
    model's `model_sha256`, "auto" is resolved first (engine_choice), so that the schedule suits
    the engine it picks (an accelerator gets the batched schedule)."""
    if model_sha256:
        engine = resolve_engine(settings.provider, model_sha256, settings.expected_images)
        settings = replace(settings, provider=engine.name)
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
) -> Generator[FileResult, None, None]:
    """Yield one FileResult per path, in order; a bad file becomes an error result. with_cam
    adds the class maps of the top-k classes (`supports_cam` models; always per image)."""
    schedule = schedule or schedule_for(classifier)
    if schedule.kind == "images" or with_cam:
        yield from _per_image(paths, classifier, top_k, schedule.workers, with_cam)
    else:
        yield from _batched(paths, classifier, top_k, schedule.workers, schedule.batch_size)


def _decode(path: Path, classifier: Classifier) -> np.ndarray | str:
    """One file decoded to BGR uint8, or the error text (the reason: the record has the path).
    Big JPEGs decode reduced, down to what the model's resize needs; read_image holds its share
    of the process-wide IMAGE_BUDGET."""
    try:
        return read_image(path, min_side=classifier.spec.preprocess.resize)
    except ImageReadError as error:
        return error.reason


_Loaded = tuple[FileStamp | None, np.ndarray | str]


def _load(path: Path, classifier: Classifier) -> _Loaded:
    """One file's stamp as it is read, and the file as the session's input row (or the error
    text)."""
    stamp = FileStamp.of(path)
    image = _decode(path, classifier)
    return stamp, image if isinstance(image, str) else classifier.prepare(image)


def _per_image(paths: Iterable[Path], classifier: Classifier, top_k: int, workers: int,
               with_cam: bool) -> Iterator[FileResult]:
    yield from _ImagePipeline(classifier, top_k, workers, with_cam).results(paths)


@dataclass(frozen=True)
class _Crop:
    """A decoded file, cropped into the session's input, waiting for an inference."""

    index: int
    path: Path
    stamp: FileStamp | None  # the file as it was read
    batch: np.ndarray  # [1, ...] in the session's input form
    image_size: tuple[int, int]  # height, width of the decoded image
    work_ms: float  # decode + crop


@dataclass(frozen=True)
class _Inferred:
    """A file's session outputs, before the ranking that the calling thread does."""

    path: Path
    stamp: FileStamp | None
    probabilities: np.ndarray  # [1000]
    maps: np.ndarray | None  # [C, h, w] class maps, with_cam only
    image_size: tuple[int, int]
    work_ms: float  # decode + crop + inference


_Outcome = _Inferred | FileResult | Exception
_FileJob = tuple[int, Path]


class _ImagePipeline:
    """The images schedule: the calling thread decodes and crops, `workers - 1` helper threads
    run the session, and results come back in input order.

    The roles are preferences: the caller runs an inference itself when crops pile up (more than
    `backlog` waiting) or when it may not read further ahead, and a helper that finds no crop
    waiting decodes a file itself. So on 2 cores one core does little but inference while the
    other decodes and fills its gaps with inferences: measured 1–4 % faster than two workers that
    each took their own photo through every stage (docs/performance.md). With more cores the
    helpers share the decoding once the caller cannot keep up. One condition guards all the
    shared state.

    An engine whose session runs one inference at a time (OpenVINO's: one infer request) gets
    at most one crop handed out at a time: a second thread would only wait inside the session
    while its core could decode (537–551 images/s with threads calling it freely, 570 one crop
    at a time; 568 with a session per thread, docs/performance.md)."""

    def __init__(self, classifier: Classifier, top_k: int, workers: int, with_cam: bool) -> None:
        self._classifier = classifier
        self._top_k = top_k
        self._with_cam = with_cam
        self._helpers = max(0, workers - 1)
        self._lookahead = 4 * max(1, workers)  # files read but not yet yielded, at most
        self._backlog = max(1, 2 * self._helpers)
        self._serial_runs = classifier.engine is not None and classifier.engine.serial_runs
        self._running = 0  # crops handed out and not yet inferred
        self._changed = threading.Condition()
        self._source: Iterator[_FileJob] = iter(())
        self._taken = 0
        self._exhausted = False
        self._yielded = 0
        self._ready: deque[_Crop] = deque()
        self._done: dict[int, _Outcome] = {}
        self._stopping = False
        self._helper_failure: BaseException | None = None

    def results(self, paths: Iterable[Path]) -> Iterator[FileResult]:
        self._source = enumerate(paths)
        with running_threads(self._help, self._helpers, "classify",
                             self._stop_helpers) as helpers:  # each ends the file it holds
            while True:
                with self._changed:
                    if self._helper_failure is not None:
                        raise self._helper_failure
                    outcome = self._done.pop(self._yielded, None)
                    job = None if outcome is not None else self._callers_job()
                    if outcome is not None:
                        self._yielded += 1
                        self._changed.notify_all()  # a helper may read one file further
                    elif job is None:
                        if self._exhausted and self._yielded == self._taken:
                            return
                        self._changed.wait()
                        continue
                if outcome is not None:
                    yield self._finish(outcome)
                elif job is not None:
                    self._work(job, queue_crop=bool(helpers))

    def _stop_helpers(self) -> None:
        with self._changed:
            self._stopping = True
            self._changed.notify_all()

    def _callers_job(self) -> _Crop | _FileJob | None:
        """Under the lock: a crop if they pile up, else the next file, else any crop."""
        if len(self._ready) > (self._backlog if self._helpers else 0):
            job = self._take_crop()
            if job is not None:
                return job
        return self._take_file() or self._take_crop()

    def _take_crop(self) -> _Crop | None:
        """Under the lock: the oldest crop waiting, unless the session is busy and can run only
        one inference at a time."""
        if not self._ready or (self._serial_runs and self._running):
            return None
        self._running += 1
        return self._ready.popleft()

    def _take_file(self) -> _FileJob | None:
        """Under the lock: the next file, unless reading it would run too far ahead."""
        if self._exhausted or self._taken - self._yielded >= self._lookahead:
            return None
        job = next(self._source, None)
        if job is None:
            self._exhausted = True
            return None
        self._taken += 1
        return job

    def _help(self) -> None:
        """A helper thread: infer the waiting crops; with none waiting, take a file itself."""
        try:
            while True:
                with self._changed:
                    job: _Crop | _FileJob | None = None
                    while not self._stopping and job is None:
                        job = self._take_crop() or self._take_file()
                        if job is None:
                            self._changed.wait()
                    if self._stopping or job is None:
                        return
                self._work(job, queue_crop=self._serial_runs)
        except BaseException as error:  # handed to the caller, which raises it
            with self._changed:
                self._helper_failure = error
                self._changed.notify_all()

    def _work(self, job: _Crop | _FileJob, queue_crop: bool) -> None:
        """Infer a crop, or decode a file and then queue its crop (queue_crop) or infer it
        here. A file whose work fails gets the exception as its outcome, raised in order."""
        index = job.index if isinstance(job, _Crop) else job[0]
        outcome: _Outcome
        try:
            if isinstance(job, _Crop):
                outcome = self._infer(job)
            else:
                crop = self._crop(*job)
                if isinstance(crop, _Crop) and queue_crop:
                    with self._changed:
                        self._ready.append(crop)
                        self._changed.notify_all()
                    return
                outcome = crop if isinstance(crop, FileResult) else self._infer(crop)
        except Exception as error:  # re-raised by the caller when it reaches this file
            outcome = error
        with self._changed:
            self._done[index] = outcome
            if isinstance(job, _Crop):
                self._running -= 1
            self._changed.notify_all()

    def _crop(self, index: int, path: Path) -> _Crop | FileResult:
        started = time.perf_counter()
        stamp = FileStamp.of(path)
        image = _decode(path, self._classifier)
        if isinstance(image, str):
            return FileResult(path, error=image, stamp=stamp)
        batch = self._classifier.new_batch(1)
        self._classifier.prepare(image, batch[0])
        height, width = image.shape[:2]
        return _Crop(index, path, stamp, batch, (height, width),
                     (time.perf_counter() - started) * 1e3)

    def _infer(self, crop: _Crop) -> _Inferred:
        started = time.perf_counter()
        probabilities, maps = self._classifier.run(crop.batch, with_cam=self._with_cam)
        return _Inferred(crop.path, crop.stamp, probabilities[0],
                         None if maps is None else maps[0], crop.image_size,
                         crop.work_ms + (time.perf_counter() - started) * 1e3)

    def _finish(self, outcome: _Outcome) -> FileResult:
        """In the calling thread: rank the classes (and pick their maps) of one file."""
        if isinstance(outcome, Exception):
            raise outcome
        if isinstance(outcome, FileResult):
            return outcome
        started = time.perf_counter()
        classifier = self._classifier
        predictions = classifier.predictions(outcome.probabilities, self._top_k)
        cam = (None if outcome.maps is None
               else classifier.class_maps(outcome.maps, predictions, outcome.image_size))
        elapsed_ms = outcome.work_ms + (time.perf_counter() - started) * 1e3
        return FileResult(outcome.path,
                          Classification(predictions, elapsed_ms, classifier.name, cam),
                          stamp=outcome.stamp)


def _batched(paths: Iterable[Path], classifier: Classifier, top_k: int, workers: int,
             batch_size: int) -> Iterator[FileResult]:
    lookahead = max(2, workers) * batch_size
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="decode") as pool:
        queued: deque[tuple[Path, Future[_Loaded]]] = deque()
        pending: list[tuple[Path, _Loaded]] = []
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
        if sum(isinstance(item, np.ndarray) for _, (_, item) in pending) >= batch_size:
            yield from _flush(pending, classifier, top_k)
    if final and pending:
        yield from _flush(pending, classifier, top_k)


def _flush(pending, classifier: Classifier, top_k: int) -> Iterator[FileResult]:
    tensors = [item for _, (_, item) in pending if isinstance(item, np.ndarray)]
    rows: Iterator[np.ndarray] = iter(())
    per_image_ms = 0.0
    if tensors:
        started = time.perf_counter()
        rows = iter(classifier.infer(np.stack(tensors)))
        per_image_ms = (time.perf_counter() - started) * 1e3 / len(tensors)
    for path, (stamp, item) in pending:
        if isinstance(item, str):
            yield FileResult(path, error=item, stamp=stamp)
        else:
            predictions = classifier.predictions(next(rows), top_k)
            yield FileResult(path, Classification(predictions, per_image_ms, classifier.name),
                             stamp=stamp)
    pending.clear()
