"""The one idiom for one-shot and progress jobs (ui.common.jobs): what it delivers, in which
order, how it is cancelled, and that waiting for it on close is bounded."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest

from squeezeapp.ui.common.jobs import Job, JobContext, quit_all, run_job, running_jobs, wait_for

WAIT_MS = 5000


def _record(job: Job) -> list[tuple[str, object]]:
    seen: list[tuple[str, object]] = []
    job.progressed.connect(lambda value: seen.append(("progressed", value)))
    job.returned.connect(lambda value: seen.append(("returned", value)))
    job.errored.connect(lambda error: seen.append(("errored", error)))
    job.finished.connect(lambda: seen.append(("finished", None)))
    return seen


def test_reported_progress_then_the_result_reach_the_gui_thread_in_order(qtbot) -> None:
    def work(ctx: JobContext) -> str:
        for done in range(3):
            ctx.report((done, 3))
        return "done"

    job = Job(work, "counting")
    seen = _record(job)
    threads: list[threading.Thread] = []
    job.returned.connect(lambda _value: threads.append(threading.current_thread()))
    with qtbot.waitSignal(job.finished, timeout=WAIT_MS):
        job.start()
    assert seen == [("progressed", (0, 3)), ("progressed", (1, 3)), ("progressed", (2, 3)),
                    ("returned", "done"), ("finished", None)]
    assert threads == [threading.main_thread()]  # queued: the slots run on the GUI thread
    assert job.done and not job.running


def test_a_generator_work_yields_progress_and_returns_its_value(qtbot) -> None:
    def work(_ctx: JobContext) -> Iterator[int]:
        yield 1
        yield 2
        return 3

    job = Job(work, "generator")
    seen = _record(job)
    with qtbot.waitSignal(job.finished, timeout=WAIT_MS):
        job.start()
    assert seen == [("progressed", 1), ("progressed", 2), ("returned", 3), ("finished", None)]


def test_an_error_is_delivered_not_raised_and_finished_still_comes(qtbot) -> None:
    def work(ctx: JobContext) -> None:
        ctx.report("half way")
        raise ValueError("broken file")

    job = Job(work, "failing")
    seen = _record(job)
    with qtbot.waitSignal(job.finished, timeout=WAIT_MS):
        job.start()
    assert [kind for kind, _ in seen] == ["progressed", "errored", "finished"]
    error = seen[1][1]
    assert isinstance(error, ValueError) and str(error) == "broken file"


def test_quit_lets_the_work_end_early_with_a_partial_result(qtbot) -> None:
    entered = threading.Event()

    def work(ctx: JobContext) -> Iterator[int]:
        count = 0
        entered.set()
        while not ctx.cancelled:  # waits on the event, never sleeps
            count += 1
            yield count
            ctx.cancel.wait(0.01)
        return -count

    job = Job(work, "endless")
    returned: list[int] = []
    job.returned.connect(returned.append)
    with qtbot.waitSignal(job.finished, timeout=WAIT_MS):
        job.start()
        assert entered.wait(5)
        job.quit()
    assert job.cancelled and returned and returned[0] < 0


def test_waiting_is_bounded_and_quit_all_asks_every_running_job(qtbot) -> None:
    """A job that ignores quit for now: waiting for it returns False after the timeout instead
    of hanging; one that honours quit is waited for by quit_all."""
    stubborn_release = threading.Event()
    entered = threading.Barrier(3)

    def stubborn(_ctx: JobContext) -> None:
        entered.wait(5)
        stubborn_release.wait(30)

    def polite(ctx: JobContext) -> str:
        entered.wait(5)
        ctx.cancel.wait(30)
        return "stopped"

    slow = run_job(stubborn, name="stubborn")
    fine = run_job(polite, name="polite")
    entered.wait(5)
    try:
        start = time.monotonic()
        assert not wait_for([slow], 0.2, "stubborn job")
        assert time.monotonic() - start < 2.0
        assert slow in running_jobs() and fine in running_jobs()
        start = time.monotonic()
        assert not quit_all(0.3)  # the stubborn one is late: reported, not waited for
        assert time.monotonic() - start < 2.0
        assert fine.wait(5) and fine.cancelled
    finally:
        stubborn_release.set()
    assert slow.wait(5)
    assert quit_all(1.0) and slow not in running_jobs()


def test_a_job_starts_once(qtbot) -> None:
    job = run_job(lambda _ctx: None, name="once")
    with pytest.raises(RuntimeError):
        job.start()
    assert job.wait(5)
