"""Running measurements for the live display: rates, latency percentiles, largest gaps."""

from __future__ import annotations

import os
import time
from collections import deque
from pathlib import Path

import numpy as np


class RateMeter:
    """Events per second over a sliding window (for the on-screen FPS line)."""

    def __init__(self, window_s: float = 2.0) -> None:
        self.window_s = window_s
        self._times: deque[float] = deque()
        self.count = 0
        self.first: float | None = None
        self.last: float | None = None

    def tick(self, now: float | None = None) -> None:
        now = time.monotonic() if now is None else now
        self.count += 1
        self.first = now if self.first is None else self.first
        self.last = now
        self._times.append(now)
        while self._times and now - self._times[0] > self.window_s:
            self._times.popleft()

    def rate(self, now: float | None = None) -> float:
        now = time.monotonic() if now is None else now
        recent = [t for t in self._times if now - t <= self.window_s]
        if len(recent) < 2:
            return 0.0
        span = recent[-1] - recent[0]
        return (len(recent) - 1) / span if span > 0 else 0.0

    def overall_rate(self) -> float:
        """Average rate from the first to the last event."""
        if self.count < 2 or self.first is None or self.last is None or self.last <= self.first:
            return 0.0
        return (self.count - 1) / (self.last - self.first)


class LatencyStats:
    """Latency samples in milliseconds (bounded), with percentiles."""

    def __init__(self, keep: int = 10_000) -> None:
        self._samples: deque[float] = deque(maxlen=keep)

    def add(self, milliseconds: float) -> None:
        self._samples.append(milliseconds)

    def __len__(self) -> int:
        return len(self._samples)

    def percentile(self, q: float) -> float:
        return float(np.percentile(np.fromiter(self._samples, float), q)) if self._samples else 0.0

    @property
    def latest(self) -> float:
        return self._samples[-1] if self._samples else 0.0


class GapTracker:
    """The largest interval between consecutive beats (GUI-thread stall detector)."""

    def __init__(self) -> None:
        self._last: float | None = None
        self.max_gap_ms = 0.0

    def beat(self, now: float | None = None) -> None:
        now = time.perf_counter() if now is None else now
        if self._last is not None:
            self.max_gap_ms = max(self.max_gap_ms, (now - self._last) * 1e3)
        self._last = now


class time_ms:  # noqa: N801  (used as a context manager, reads like a function)
    """`with time_ms() as elapsed: ...; elapsed()` gives the block's duration in milliseconds."""

    def __enter__(self):
        self._start = time.perf_counter()
        self._end: float | None = None
        return lambda: ((self._end or time.perf_counter()) - self._start) * 1e3

    def __exit__(self, *exc_info) -> None:
        self._end = time.perf_counter()


def process_age_s() -> float | None:
    """Seconds since the OS started this process, interpreter start-up and imports included.

    Start-up figures measured from inside the program would leave those out. Read from /proc
    (10 ms resolution); None where there is no /proc (Windows, macOS).
    """
    try:
        stat = Path("/proc/self/stat").read_text(encoding="ascii")
        started_ticks = int(stat.rsplit(")", 1)[1].split()[19])  # field 22 of proc(5)
        now_s = float(Path("/proc/uptime").read_text(encoding="ascii").split()[0])
        return now_s - started_ticks / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None
