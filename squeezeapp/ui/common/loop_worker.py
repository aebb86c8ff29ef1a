"""The base of every long-lived worker thread: a loop over `LatestSlot`s that never dies silently.

`run()` calls `loop()` and catches every exception, which leaves through the typed `failed`
signal (the owner shows it and may start the thread again: its slots are still open). `stop()`
closes the inputs, so every blocked `take()` returns at once, and waits a bounded time.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import QThread, Signal

from squeezeapp.core.common.latest_slot import LatestSlot

logger = logging.getLogger(__name__)

STOP_WAIT_MS = 2000


class LoopWorker(QThread):
    failed = Signal(str)  # the loop ended with an exception: why, for people

    def __init__(self, name: str, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName(name)
        self._inputs: list[LatestSlot] = []

    def slot(self) -> LatestSlot:
        """A new input slot, closed by `stop()`."""
        new: LatestSlot = LatestSlot()
        self._inputs.append(new)
        return new

    def loop(self) -> None:
        """The thread's work; returns when its input slot is closed."""
        raise NotImplementedError

    def run(self) -> None:
        try:
            self.loop()
        except BaseException as error:  # the thread must report whatever ends it
            logger.exception("the %s thread failed", self.objectName())
            self.failed.emit(f"The {self.objectName()} thread stopped: "
                             f"{type(error).__name__}: {error}")

    @property
    def stopping(self) -> bool:
        return any(s.closed for s in self._inputs)

    def close_inputs(self) -> None:
        """Ask the thread to finish: every `take()` returns None from now on."""
        for each in self._inputs:
            each.close()

    def stop(self, timeout_ms: int = STOP_WAIT_MS) -> bool:
        """Close the inputs and join; False (logged) when the thread is still busy after
        `timeout_ms`, e.g. inside a slow driver call. It then ends on its own; never terminate()."""
        self.close_inputs()
        if self.wait(timeout_ms):
            return True
        logger.warning("the %s thread did not stop within %d ms; it will end on its own",
                       self.objectName(), timeout_ms)
        return False
