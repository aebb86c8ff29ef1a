"""Bounds on everything that comes from outside: image memory, thread counts, JSON size and depth.

Each limit lives here once, so that the CLI, the window and the core enforce the same numbers and
the README can quote them.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from squeezeapp.core.common.errors import ModelError, SqueezeappError

MEMORY_BUDGET_ENV = "SQUEEZEAPP_MEMORY_BUDGET_MB"
DEFAULT_MEMORY_BUDGET_MB = 512
MIN_MEMORY_BUDGET_MB = 16
MAX_MEMORY_BUDGET_MB = 1 << 20  # 1 TB: only a typo goes above this
THREADS_PER_CORE = 4
MAX_JSON_BYTES = 1 << 20  # labels for 1000 classes take about 30 KB
MAX_JSON_DEPTH = 16

_MB = 1 << 20


def thread_limit() -> int:
    """The most inference threads worth asking for: 4 per core (more only costs memory)."""
    return THREADS_PER_CORE * (os.cpu_count() or 1)


def check_threads(threads: int | None) -> int | None:
    """`threads` if it is None (the runtime's choice) or within 1…thread_limit(), else raise.

    The one place the bound lives: the CLI, the session settings and the window all call it.
    """
    if threads is None:
        return None
    limit = thread_limit()
    if isinstance(threads, bool) or not isinstance(threads, int) or not 1 <= threads <= limit:
        raise SqueezeappError(
            f"inference threads must be between 1 and {limit} ({THREADS_PER_CORE} × "
            f"{os.cpu_count() or 1} CPU cores), not {threads}"
        )
    return threads


def parse_memory_budget_mb(value: str | int, origin: str) -> int:
    """A budget in MB from the command line or the environment, as bytes; one-line error."""
    try:
        megabytes = int(value)
    except (TypeError, ValueError):
        raise SqueezeappError(f"{origin}: '{value}' is not a whole number of MB") from None
    if not MIN_MEMORY_BUDGET_MB <= megabytes <= MAX_MEMORY_BUDGET_MB:
        raise SqueezeappError(
            f"{origin}: {megabytes} MB is outside {MIN_MEMORY_BUDGET_MB}…{MAX_MEMORY_BUDGET_MB} MB"
        )
    return megabytes * _MB


class ByteBudget:
    """A counting semaphore in bytes: decodes running in parallel share one memory budget.

    A request above the whole budget is refused by the caller before it gets here; one within it
    waits until enough of the budget is free, so two large images decode one after the other.
    """

    def __init__(self, capacity: int) -> None:
        self._lock = threading.Condition()
        self._capacity = capacity
        self._in_use = 0

    @property
    def capacity(self) -> int:
        return self._capacity

    def set_capacity(self, capacity: int) -> None:
        with self._lock:
            self._capacity = capacity
            self._lock.notify_all()

    @contextmanager
    def reserve(self, nbytes: int) -> Iterator[None]:
        """Hold `nbytes` (at most the capacity) for the duration of the block."""
        with self._lock:
            nbytes = min(nbytes, self._capacity)
            while self._in_use and self._in_use + nbytes > self._capacity:
                self._lock.wait()
            self._in_use += nbytes
        try:
            yield
        finally:
            with self._lock:
                self._in_use -= nbytes
                self._lock.notify_all()


def _budget_from_environment() -> int:
    raw = os.environ.get(MEMORY_BUDGET_ENV, "").strip()
    if not raw:
        return DEFAULT_MEMORY_BUDGET_MB * _MB
    try:
        return parse_memory_budget_mb(raw, MEMORY_BUDGET_ENV)
    except SqueezeappError:
        return DEFAULT_MEMORY_BUDGET_MB * _MB  # the CLI re-reads it and reports the error


IMAGE_BUDGET = ByteBudget(_budget_from_environment())
"""The process-wide image memory budget: the per-image limit and the pool decodes share."""


def json_depth(text: str) -> int:
    """Nesting depth of a JSON text, counted without parsing (brackets inside strings ignored)."""
    depth = deepest = 0
    in_string = escaped = False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif char in "]}":
            depth -= 1
    return deepest


def load_bounded_json(text: str, origin: str) -> Any:
    """`json.loads` that refuses oversized or deeply nested text with a one-line ModelError
    (instead of a RecursionError or a memory blow-up) and non-finite numbers."""
    if len(text) > MAX_JSON_BYTES:
        raise ModelError(f"{origin}: JSON of {len(text):,} characters is above the "
                         f"{MAX_JSON_BYTES:,} limit")
    # the bracket count bounds the depth: the character scan only runs when it could be deep
    if text.count("[") + text.count("{") > MAX_JSON_DEPTH and json_depth(text) > MAX_JSON_DEPTH:
        raise ModelError(f"{origin}: JSON nested deeper than {MAX_JSON_DEPTH} levels")
    try:
        return json.loads(text)
    except (ValueError, RecursionError) as error:
        raise ModelError(f"{origin}: not valid JSON ({error})") from None
