"""Guards against Qt-binding bugs that would crash the live app (found in PySide6 6.12.0)."""

from __future__ import annotations

import sys

from PySide6.QtCore import QObject, QThread, Signal


class _Emitter(QThread):
    ping = Signal(object, object)

    def run(self) -> None:
        for index in range(2000):
            self.ping.emit(index, None)


class _Receiver(QObject):
    def __init__(self) -> None:
        super().__init__()
        self.count = 0

    def on_ping(self, _index, _none) -> None:
        self.count += 1


def test_cross_thread_signals_keep_refcounts(qtbot) -> None:
    """PySide6 6.12.0 drops a reference to True per queued emit; a live camera emits 30 a
    second, and the interpreter aborts ('bool_dealloc') once the count reaches zero."""
    receiver = _Receiver()
    emitter = _Emitter()
    emitter.ping.connect(receiver.on_ping)
    before = sys.getrefcount(True)
    emitter.start()
    emitter.wait()
    qtbot.waitUntil(lambda: receiver.count == 2000, timeout=10_000)
    assert abs(sys.getrefcount(True) - before) < 50, "this PySide6 leaks references to True"
