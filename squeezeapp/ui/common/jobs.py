"""Starting superqt workers so that closing the window can wait for them, bounded, without an
event loop: each start returns an event that its pool thread sets as the worker finishes."""

from __future__ import annotations

import logging
import os
import sys
import threading
import time
from collections.abc import Iterable
from typing import cast

from PySide6.QtCore import Qt, QThreadPool, SignalInstance
from superqt.utils import WorkerBase

logger = logging.getLogger(__name__)


MIN_POOL_THREADS = 4


def start_tracked(worker: WorkerBase, long_running: bool = False) -> threading.Event:
    """Start `worker`; the returned event is set once it has emitted its last result.

    superqt runs workers on Qt's global pool, which has one thread per core: on 2 cores a
    long batch plus thumbnails would leave a folder scan or a download waiting for minutes.
    A long-running worker therefore makes sure the pool has threads to spare.
    """
    if long_running:
        pool = QThreadPool.globalInstance()
        pool.setMaxThreadCount(max(pool.maxThreadCount(), MIN_POOL_THREADS))
    done = threading.Event()
    # direct: runs on the pool thread at the emit, so it works while the GUI thread waits
    finished = cast(SignalInstance, worker.finished)  # superqt's stub lacks the connection type
    finished.connect(done.set, Qt.ConnectionType.DirectConnection)
    worker.start()
    return done


def wait_all(events: Iterable[threading.Event], timeout_s: float, what: str) -> bool:
    """Wait for every event within `timeout_s` in all; log (and return False) if one is late."""
    deadline = time.monotonic() + timeout_s
    for event in list(events):
        if not event.wait(max(0.0, deadline - time.monotonic())):
            logger.warning("%s still running after %.1f s; not waiting longer", what, timeout_s)
            return False
    return True


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
