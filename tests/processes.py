"""Killing a child process mid-way, for the "a crash leaves nothing that looks complete" tests."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path


def kill_after_lines(script: str, lines: int, cwd: Path | None = None) -> None:
    """Run `script` in a fresh interpreter and SIGKILL it once it has printed `lines` lines
    (each one a sign of progress), so that no clean-up of its own can run."""
    child = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, cwd=cwd)
    try:
        assert child.stdout is not None
        for _ in range(lines):
            assert child.stdout.readline(), "the child ended before it was killed"
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=30)
    finally:
        if child.poll() is None:
            child.kill()
