"""The one idiom for one-shot and progress jobs in the window (live work uses `LoopWorker`).

    job = run_job(lambda ctx: download(..., progress=ctx.report, cancel=ctx.cancel),
                  name="download", progressed=show, returned=done, errored=fail)
    ...
    job.quit()            # asks: the work sees `ctx.cancel` set and ends as it sees fit
    job.wait(1.0)         # bounded; True once the job has emitted its last signal

The work runs once on Qt's global thread pool and gets a `JobContext`. Its signals, emitted on
the pool thread and delivered queued to the GUI thread, come in this order: `progressed` for
each `ctx.report(value)` (or each value it yields, when the work returns a generator), then
exactly one of `returned` (the return value) or `errored` (the exception), then `finished`.
Cancelling is cooperative: `quit()` sets `ctx.cancel`, and the work returns a partial result or
raises. Nothing is ever terminated: closing the window asks every job to quit and waits a
bounded time (`quit_all`, `wait_for`), which works without an event loop.
"""

from __future__ import annotations

import inspect
import logging
import os
import sys
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal

logger = logging.getLogger(__name__)

MIN_POOL_THREADS = 4

_running: set[Job] = set()  # started jobs, until the GUI thread sees them finish
_running_lock = threading.Lock()


class JobContext:
    """What the work sees of its job: whether to stop, and where progress goes. Thread-safe."""

    def __init__(self, cancel: threading.Event, report: Callable[[object], None]) -> None:
        self.cancel = cancel
        self.report = report

    @property
    def cancelled(self) -> bool:
        return self.cancel.is_set()


class Job(QObject):
    """One run of `work(ctx)` on the pool; create, connect, then `start()` (or use `run_job`)."""

    progressed = Signal(object)  # a value the work reported or yielded
    returned = Signal(object)  # the work's return value
    errored = Signal(object)  # the exception that ended the work
    finished = Signal()  # always last, after returned or errored

    def __init__(self, work: Callable[[JobContext], Any], name: str,
                 long_running: bool = False) -> None:
        super().__init__()  # no parent: it must outlive a closed widget until its thread ends
        self.setObjectName(name)
        self._work = work
        self._long_running = long_running
        self._cancel = threading.Event()
        self._done = threading.Event()
        self._started = False
        # forgotten on the GUI thread (queued), so that its last reference goes there
        self.finished.connect(self._forget)

    @property
    def running(self) -> bool:
        """Started and not yet past its last signal."""
        return self._started and not self._done.is_set()

    @property
    def done(self) -> bool:
        return self._done.is_set()

    @property
    def cancelled(self) -> bool:
        return self._cancel.is_set()

    def start(self) -> Job:
        if self._started:
            raise RuntimeError(f"the {self.objectName()} job was already started")
        self._started = True
        pool = QThreadPool.globalInstance()
        if self._long_running:
            # Qt's pool has one thread per core: on 2 cores a long batch plus thumbnails would
            # leave a folder scan or a download waiting for minutes, so keep threads to spare
            pool.setMaxThreadCount(max(pool.maxThreadCount(), MIN_POOL_THREADS))
        with _running_lock:
            _running.add(self)
        pool.start(_Runner(self))
        return self

    def quit(self) -> None:
        """Ask the work to stop (it sees `ctx.cancel` set); its signals still arrive."""
        self._cancel.set()

    def wait(self, timeout_s: float) -> bool:
        """Block until the job has emitted `finished`, at most `timeout_s`; True if it has."""
        return not self._started or self._done.wait(max(0.0, timeout_s))

    def _run(self) -> None:
        """On the pool thread: the work, its signals, then the done flag."""
        context = JobContext(self._cancel, self.progressed.emit)
        try:
            outcome = self._work(context)
            if inspect.isgenerator(outcome):
                outcome = yield_from(outcome, self.progressed.emit)
            self.returned.emit(outcome)
        except Exception as error:
            logger.info("the %s job ended with %s: %s", self.objectName(),
                        type(error).__name__, error)
            self.errored.emit(error)
        finally:
            self.finished.emit()
            self._done.set()

    def _forget(self) -> None:
        with _running_lock:
            _running.discard(self)


def yield_from(generator: Any, each: Callable[[object], None]) -> Any:
    """Pass each value `generator` yields to `each`; return what it returns (closed on error)."""
    try:
        while True:
            each(next(generator))
    except StopIteration as stop:
        return stop.value
    finally:
        generator.close()


class _Runner(QRunnable):
    def __init__(self, job: Job) -> None:
        super().__init__()
        self._job: Job | None = job

    def run(self) -> None:
        job, self._job = self._job, None
        if job is not None:
            job._run()


def run_job(work: Callable[[JobContext], Any], *, name: str, long_running: bool = False,
            progressed: Callable[..., Any] | None = None,
            returned: Callable[..., Any] | None = None,
            errored: Callable[..., Any] | None = None,
            finished: Callable[..., Any] | None = None) -> Job:
    """Create a job, connect the given slots (before it can emit), start it and return it."""
    job = Job(work, name, long_running)
    for signal, slot in ((job.progressed, progressed), (job.returned, returned),
                         (job.errored, errored), (job.finished, finished)):
        if slot is not None:
            signal.connect(slot)
    return job.start()


def wait_for(jobs: Iterable[Job], timeout_s: float, what: str) -> bool:
    """Wait for every job within `timeout_s` in all; log (and return False) if one is late."""
    deadline = time.monotonic() + timeout_s
    for job in list(jobs):
        if not job.wait(deadline - time.monotonic()):
            logger.warning("%s still running after %.1f s; not waiting longer", what, timeout_s)
            return False
    return True


def running_jobs() -> list[Job]:
    with _running_lock:
        return [job for job in _running if not job.done]


def quit_all(timeout_s: float) -> bool:
    """Closing the window: ask every running job to quit and wait for all, `timeout_s` in all,
    then (in what is left of it) for their threads to leave (`let_threads_leave`)."""
    deadline = time.monotonic() + timeout_s
    jobs = running_jobs()
    for job in jobs:
        job.quit()
    names = ", ".join(sorted({job.objectName() for job in jobs}))
    ended = wait_for(jobs, timeout_s, f"background jobs ({names})")
    if ended:
        let_threads_leave(deadline - time.monotonic())
    return ended


def let_threads_leave(timeout_s: float) -> bool:
    """After the jobs waited for have emitted their last signal: give their pool threads up to
    `timeout_s` to leave the runnable too, so that an interpreter exiting next never sees a
    half-finished one."""
    return QThreadPool.globalInstance().waitForDone(int(max(0.0, timeout_s) * 1000))


BACKGROUND_NICE = 5


def lower_this_thread_priority(increment: int = BACKGROUND_NICE) -> None:
    """Let the GUI thread win the CPU over a long batch: raise this thread's nice value (Linux,
    where it is per thread). Threads it starts later (decode threads, onnxruntime's pool)
    inherit it. Elsewhere, or when refused, nothing happens."""
    if not sys.platform.startswith("linux") or os.environ.get("SQUEEZEAPP_NO_NICE"):
        return
    thread = threading.get_native_id()
    try:
        current = os.getpriority(os.PRIO_PROCESS, thread)
        if current < BACKGROUND_NICE:  # pool threads are reused: lower it once, not per job
            os.setpriority(os.PRIO_PROCESS, thread, min(19, current + increment))
    except OSError as error:
        logger.debug("thread priority unchanged: %s", error)
