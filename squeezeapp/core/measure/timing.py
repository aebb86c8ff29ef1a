"""Timing contenders fairly on a shared, noisy machine: interleaved in rounds, ratios per round.

Each round times every contender for one block (A, B, C, A, B, C, ...), so a slow minute slows
all of them alike; a ratio is taken within each round and summarised over the rounds.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Measure:
    """One contender: p50/p95 over all samples, and its median in each round (the spread)."""

    p50: float
    p95: float
    rounds: tuple[float, ...]

    @classmethod
    def of(cls, per_round: list[list[float]]) -> Measure:
        samples = [s for block in per_round for s in block]
        return cls(float(np.percentile(samples, 50)), float(np.percentile(samples, 95)),
                   tuple(float(np.median(block)) for block in per_round))

    @property
    def spread(self) -> tuple[float, float]:
        """Lowest and highest round median."""
        return min(self.rounds), max(self.rounds)


@dataclass(frozen=True)
class Ratio:
    """A ratio taken within each round; median and interquartile range over the rounds."""

    median: float
    low: float  # 25th percentile over rounds
    high: float  # 75th percentile
    rounds: int

    @classmethod
    def of(cls, numerator: Measure, denominator: Measure) -> Ratio:
        values = np.array(numerator.rounds) / np.array(denominator.rounds)
        return cls(float(np.median(values)), float(np.percentile(values, 25)),
                   float(np.percentile(values, 75)), len(values))


def interleave(contenders: dict[str, Callable[[], object]], rounds: int, block: int,
               warmup: int, settle: bool = True) -> dict[str, Measure]:
    """Time every contender `block` times per round, rounds × (A, B, C...), in ms. `settle`:
    one untimed call before each block (short calls: the previous contender's data has left
    them cold caches; long ones such as a pass over a folder do not need it)."""
    for call in contenders.values():
        for _ in range(warmup):
            call()
    samples: dict[str, list[list[float]]] = {name: [] for name in contenders}
    for _ in range(rounds):
        for name, call in contenders.items():
            if settle:
                call()
            times = []
            for _ in range(block):
                start = time.perf_counter()
                call()
                times.append((time.perf_counter() - start) * 1e3)
            samples[name].append(times)
    return {name: Measure.of(per_round) for name, per_round in samples.items()}
