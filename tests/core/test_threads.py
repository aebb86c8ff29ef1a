"""core.common.threads: the core's threads are named daemons, asked to stop and joined where
they were started, even when the block that started them fails; waiting is bounded."""

from __future__ import annotations

import threading
import time

import pytest

from squeezeapp.core.common.threads import join_all, running_threads, start_thread


def test_a_group_runs_named_daemons_and_joins_them_on_leaving() -> None:
    stop = threading.Event()
    started = threading.Barrier(3)

    def work() -> None:
        started.wait(5)
        stop.wait(30)

    with running_threads(work, 2, "helper", stop.set) as threads:
        started.wait(5)
        assert [t.name for t in threads] == ["helper-0", "helper-1"]
        assert all(t.daemon and t.is_alive() for t in threads)
    assert stop.is_set() and not any(t.is_alive() for t in threads)


def test_an_error_in_the_block_still_stops_and_joins_the_group() -> None:
    stop = threading.Event()
    with pytest.raises(ValueError), running_threads(lambda: stop.wait(30), 3, "x",
                                                     stop.set) as threads:
        raise ValueError("broken")
    assert not any(t.is_alive() for t in threads)


def test_join_all_is_bounded_for_a_thread_that_does_not_end() -> None:
    release = threading.Event()
    stuck = start_thread(lambda: release.wait(30), "stuck")
    try:
        start = time.monotonic()
        assert not join_all([stuck], 0.2)
        assert time.monotonic() - start < 2.0 and stuck.daemon
    finally:
        release.set()
    assert join_all([stuck], 5)
