"""The one way the core starts threads: named daemon threads, joined where they were started.

Daemons, so that a thread stuck in a driver or a network read never keeps the process alive at
exit; named, so that logs, tests and debuggers can tell them apart. `running_threads` ties a
group's lifetime to a `with` block: leaving it (normally, on an error, or when a generator is
closed) asks the threads to stop and joins them. The window's own jobs use ui.common.jobs.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager

logger = logging.getLogger(__name__)


def start_thread(target: Callable[[], object], name: str) -> threading.Thread:
    """Start `target` on a new named daemon thread."""
    thread = threading.Thread(target=target, name=name, daemon=True)
    thread.start()
    return thread


def join_all(threads: Iterable[threading.Thread], timeout_s: float | None = None) -> bool:
    """Join every thread, `timeout_s` in all (None: as long as they take); False if one is
    still running then (logged: it ends on its own)."""
    deadline = None if timeout_s is None else time.monotonic() + timeout_s
    for thread in threads:
        thread.join(None if deadline is None else max(0.0, deadline - time.monotonic()))
        if thread.is_alive():
            logger.warning("thread %s still running after %.1f s", thread.name, timeout_s)
            return False
    return True


@contextmanager
def running_threads(target: Callable[[], object], count: int, name: str,
                    stop: Callable[[], None],
                    timeout_s: float | None = None) -> Iterator[list[threading.Thread]]:
    """`count` threads running `target`, named `name-0`, `name-1`…; on leaving the block,
    `stop()` asks them to end and they are joined (bounded by `timeout_s` when given)."""
    threads: list[threading.Thread] = []
    try:
        for number in range(count):
            threads.append(start_thread(target, f"{name}-{number}"))
        yield threads
    finally:
        stop()
        join_all(threads, timeout_s)
