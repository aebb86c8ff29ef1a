"""Temporal smoothing of class probabilities for live sources, so labels do not flicker."""

from __future__ import annotations

import numpy as np


class ProbabilitySmoother:
    """Exponential moving average of probability vectors; restarts when the source changes."""

    def __init__(self, alpha: float = 0.35) -> None:
        if not 0.0 < alpha <= 1.0:
            raise ValueError("alpha must be in (0, 1]")
        self.alpha = alpha
        self._state: np.ndarray | None = None
        self._key: str | None = None

    def reset(self) -> None:
        self._state, self._key = None, None

    def update(self, probabilities: np.ndarray, key: str) -> np.ndarray:
        if self._state is None or key != self._key or self._state.shape != probabilities.shape:
            self._state = probabilities.astype(np.float32, copy=True)
            self._key = key
        else:
            self._state *= 1.0 - self.alpha
            self._state += self.alpha * probabilities
        return self._state.copy()
