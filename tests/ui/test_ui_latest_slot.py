"""The one worker primitive, and the capture thread built on it: driven with events, not sleeps."""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
import pytest

from squeezeapp.core.common.latest_slot import LatestSlot
from squeezeapp.core.imaging.sources import FrameSource
from squeezeapp.ui.live.capture_worker import CaptureRequest, CaptureWorker
from tests.fakes import BrokenCamera, make_video

WAIT_S = 10
WAIT_MS = 10_000


def test_put_replaces_a_waiting_item_and_says_so() -> None:
    slot: LatestSlot[int] = LatestSlot()
    assert slot.put(1) is False
    assert slot.put(2) is True and slot.replaced == 1
    assert slot.take(timeout=0) == 2
    assert slot.take(timeout=0) is None  # empty: a poll returns at once
    assert slot.put(3) is False


def test_take_leaves_an_item_it_does_not_accept() -> None:
    slot: LatestSlot[int] = LatestSlot()
    slot.put(1)
    assert slot.take(timeout=0, accept=lambda n: n > 1) is None
    assert slot.peek() == 1
    slot.put(5)
    assert slot.take(timeout=0, accept=lambda n: n > 1) == 5


def test_close_wakes_a_waiting_taker_and_refuses_puts() -> None:
    slot: LatestSlot[int] = LatestSlot()
    started, result = threading.Event(), []

    def taker() -> None:
        started.set()
        result.append(slot.take())

    thread = threading.Thread(target=taker)
    thread.start()
    assert started.wait(WAIT_S)
    slot.close()
    thread.join(WAIT_S)
    assert not thread.is_alive() and result == [None]
    assert slot.put(1) is False and slot.take(timeout=0) is None


def test_a_waiting_taker_gets_the_item_put_from_another_thread() -> None:
    slot: LatestSlot[str] = LatestSlot()
    got: list[str | None] = []
    thread = threading.Thread(target=lambda: got.append(slot.take(timeout=WAIT_S)))
    thread.start()
    slot.put("frame")
    thread.join(WAIT_S)
    assert got == ["frame"]


def test_pause_resume_race_never_loses_the_resume() -> None:
    """1000 rounds of pause-then-resume from one thread while another waits for "not paused":
    the waiter always wakes (a wake-up between its check and its wait cannot be lost)."""
    slot: LatestSlot[tuple[int, bool]] = LatestSlot()
    woke = threading.Event()
    seen: list[int] = []

    def worker() -> None:
        while (request := slot.take(accept=lambda r: not r[1])) is not None:
            seen.append(request[0])
            woke.set()

    thread = threading.Thread(target=worker)
    thread.start()
    try:
        for round_ in range(1000):
            woke.clear()
            slot.put((round_, True))  # pause
            slot.put((round_, False))  # resume at once: replaces the pause, or follows it
            assert woke.wait(WAIT_S), f"resume lost in round {round_}"
    finally:
        slot.close()
        thread.join(WAIT_S)
    assert seen == list(range(1000))


class _CountingSource(FrameSource):
    """A device-paced source whose reads are counted and signalled."""

    key, description, paced_by_device, reconnects = "counting", "Counting", True, False

    def __init__(self) -> None:
        self.reads = 0
        self.read_event = threading.Event()

    def open(self) -> None:
        pass

    def read(self) -> np.ndarray | None:
        self.reads += 1
        self.read_event.set()
        return np.zeros((8, 8, 3), np.uint8)

    def close(self) -> None:
        pass


class _OneFrameSource(_CountingSource):
    def read(self) -> np.ndarray | None:
        return super().read() if self.reads == 0 else None


@pytest.fixture
def capture(qtbot):
    worker = CaptureWorker(retry_interval_s=0.05)
    worker.start()
    yield worker
    assert worker.stop(2000)


def test_capture_resumes_after_1000_quick_pause_resume_pairs(qtbot, capture) -> None:
    source = _CountingSource()
    capture.request(CaptureRequest(1, source))
    assert source.read_event.wait(WAIT_S)
    for _ in range(1000):
        capture.request(CaptureRequest(1, source, paused=True))
        capture.request(CaptureRequest(1, source, paused=False))
    before = source.reads
    source.read_event.clear()
    assert source.read_event.wait(WAIT_S) and source.reads > before  # frames flow again


def test_a_source_that_raises_ends_itself_not_the_thread(qtbot, capture, tmp_path,
                                                         sample_images) -> None:
    clip = make_video(tmp_path / "clip.mp4", sample_images[:1], frames_per_photo=5)
    with qtbot.waitSignal(capture.sourceFailed, timeout=WAIT_MS) as failed:
        capture.request(CaptureRequest(1, BrokenCamera(Path(clip))))
    assert failed.args[0] == 1 and "RuntimeError: driver exploded" in failed.args[1]
    with qtbot.waitSignal(capture.ended, timeout=WAIT_MS) as ended:  # one frame, then the end
        capture.request(CaptureRequest(2, _OneFrameSource()))
    assert ended.args[0] == 2 and capture.isRunning()


def test_a_loop_that_raises_reports_it_through_failed(qtbot) -> None:
    from squeezeapp.ui.common.loop_worker import LoopWorker

    class Exploding(LoopWorker):
        def loop(self) -> None:
            raise ValueError("bad state")

    worker = Exploding("exploding")
    with qtbot.waitSignal(worker.failed, timeout=WAIT_MS) as failed:
        worker.start()
    assert failed.args[0] == "The exploding thread stopped: ValueError: bad state"
    assert worker.stop(2000)


def test_image_list_browsing_rules() -> None:
    from squeezeapp.ui.sources.image_list import ImageList

    paths = [Path(f"{name}.jpg") for name in "abc"]
    images = ImageList(paths)
    assert images.current == paths[0] and images.position == "1 / 3"
    assert images.previous() is None  # already at the start: nothing to show again
    assert images.next() == paths[1] and images.end() == paths[2] and images.next() is None
    assert images.home() == paths[0]
    images.fail(paths[1], "corrupt")
    assert images.failures == {paths[1]: "corrupt"}
    assert ImageList([paths[0]]).position == "" and ImageList().current is None
