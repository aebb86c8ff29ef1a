"""A one-item "latest value" slot: the single hand-off primitive between threads.

A producer `put`s the newest item; an item still waiting is replaced (the caller learns it, to
count a dropped frame). A consumer `take`s it, waiting until an item that satisfies its predicate
is there or the slot is closed. Every flag is read under the one lock and every wait re-checks
its condition in a loop (Qt's mandelbrot example, in Python), so a wake-up cannot be lost between
a check and a wait. Qt-free, so core code and tests can use it without an event loop.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")


class LatestSlot(Generic[T]):
    def __init__(self) -> None:
        self._condition = threading.Condition()
        self._item: T | None = None
        self._has_item = False
        self._closed = False
        self._replaced = 0

    def put(self, item: T) -> bool:
        """Offer `item`; True when it replaced one not yet taken. Ignored once closed."""
        with self._condition:
            if self._closed:
                return False
            replaced = self._has_item
            self._replaced += replaced
            self._item, self._has_item = item, True
            self._condition.notify_all()
            return replaced

    def take(self, timeout: float | None = None,
             accept: Callable[[T], bool] | None = None) -> T | None:
        """The waiting item once `accept(item)` holds (always, without `accept`).

        Returns None when the slot is closed or `timeout` seconds passed; an item that is not
        accepted stays in the slot. `timeout=0` polls without waiting.
        """
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._condition:
            while True:
                if self._closed:
                    return None
                if self._has_item and (accept is None or accept(self._item)):  # type: ignore[arg-type]
                    item, self._item, self._has_item = self._item, None, False
                    return item
                remaining = None if deadline is None else deadline - time.monotonic()
                if remaining is not None and remaining <= 0:
                    return None
                self._condition.wait(remaining)

    def peek(self) -> T | None:
        """The waiting item, left in place (None when empty)."""
        with self._condition:
            return self._item if self._has_item else None

    def close(self) -> None:
        """Wake every waiter for good: `take` returns None from now on."""
        with self._condition:
            self._closed = True
            self._item, self._has_item = None, False
            self._condition.notify_all()

    @property
    def replaced(self) -> int:
        """How many items were replaced before anyone took them (dropped frames)."""
        with self._condition:
            return self._replaced

    @property
    def closed(self) -> bool:
        with self._condition:
            return self._closed
