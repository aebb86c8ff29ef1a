"""Who used the CPUs while something was timed: this process, other processes, the hypervisor.

A throughput compared with a bound computed from one-core stage timings only means something if
the cores were ours while it ran. On a shared machine another process on one of two cores costs
a two-thread pass up to half its speed but hardly touches a one-thread stage timing, so the
benchmark reports, beside each pass, how many cores went elsewhere (Linux: /proc/stat).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

PROC_STAT = Path("/proc/stat")
_CLOCK_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
# /proc/stat "cpu" fields: user nice system idle iowait irq softirq steal (guest is in user)
_BUSY_FIELDS = (0, 1, 2, 5, 6)
_STEAL_FIELD = 7


@dataclass(frozen=True)
class CpuShare:
    """Cores used on average over an interval (2.0 = two cores all the time)."""

    ours: float  # this process, all its threads
    others: float | None  # every other process (None where /proc/stat is missing)
    steal: float | None  # taken by the hypervisor for other virtual machines


def _system_ticks() -> tuple[int, int] | None:
    """Busy and stolen ticks of all CPUs since boot, or None off Linux."""
    try:
        with PROC_STAT.open("rb") as stat:
            values = [int(field) for field in stat.readline().split()[1:]]
    except (OSError, ValueError):  # no /proc, or a format this code does not know
        return None
    if len(values) <= _STEAL_FIELD:
        return None
    return sum(values[i] for i in _BUSY_FIELDS), values[_STEAL_FIELD]


def measure_cpu(call: Callable[[], object]) -> CpuShare:
    """Run `call` once and say who used the CPUs meanwhile."""
    system_before = _system_ticks()
    ours_before = time.process_time()
    started = time.perf_counter()
    call()
    wall = max(time.perf_counter() - started, 1e-9)
    ours = (time.process_time() - ours_before) / wall
    system_after = _system_ticks()
    if system_before is None or system_after is None:
        return CpuShare(ours, None, None)
    busy = (system_after[0] - system_before[0]) / _CLOCK_TICKS / wall
    steal = (system_after[1] - system_before[1]) / _CLOCK_TICKS / wall
    return CpuShare(ours, max(0.0, busy - ours), steal)


def median_share(shares: list[CpuShare]) -> CpuShare:
    """The middle value of each field over several intervals (the upper one of an even count)."""
    def middle(values: list[float | None]) -> float | None:
        known = sorted(v for v in values if v is not None)
        return known[len(known) // 2] if known else None

    ours = middle([s.ours for s in shares])
    return CpuShare(ours if ours is not None else 0.0, middle([s.others for s in shares]),
                    middle([s.steal for s in shares]))
