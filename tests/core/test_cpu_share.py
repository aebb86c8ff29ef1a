"""Who used the CPUs during a timed call: the benchmark's check that the machine was quiet."""

from __future__ import annotations

import subprocess
import sys
import threading

import pytest

from squeezeapp.core.measure.cpu_share import PROC_STAT, CpuShare, measure_cpu, median_share

pytestmark = pytest.mark.skipif(not PROC_STAT.is_file(), reason="needs Linux /proc/stat")


def _busy(seconds: float) -> None:
    done = threading.Event()
    timer = threading.Timer(seconds, done.set)
    timer.start()
    while not done.is_set():
        pass


def test_our_own_work_counts_as_ours() -> None:
    share = measure_cpu(lambda: _busy(0.6))
    assert share.others is not None and share.steal is not None
    assert 0.2 <= share.ours <= 1.2  # one busy thread: up to a core, less on a loaded machine
    # whatever other programs took from it shows as theirs: the core was busy either way
    assert share.ours + share.others + share.steal >= 0.8


def test_another_process_shows_as_others() -> None:
    spinner = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        waiting = threading.Event()
        share = measure_cpu(lambda: waiting.wait(0.8))  # idle here, busy there
    finally:
        spinner.kill()
        spinner.wait()
    assert share.ours < 0.2
    assert share.others is not None and share.others >= 0.7


def test_median_of_shares() -> None:
    shares = [CpuShare(1.0, 0.1, 0.0), CpuShare(2.0, None, None), CpuShare(1.5, 0.3, 0.2)]
    assert median_share(shares) == CpuShare(1.5, 0.3, 0.2)
