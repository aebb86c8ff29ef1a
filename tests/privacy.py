"""Checks that a run kept to this computer: no inet connection (strace, where it may trace), no
telemetry files, nothing written outside our folders, no picture copied to a temporary file.
Used by the source install's tests (tests/cli/test_privacy.py) and the bundle's
(tests/packaging/test_packaging.py)."""

from __future__ import annotations

import functools
import os
import re
import shutil
import subprocess
import warnings
from pathlib import Path

INET_CONNECT = re.compile(r"connect\(\d+, \{sa_family=AF_INET6?\b")


def fresh_user_env(home: Path, model_dir: Path) -> dict[str, str]:
    """A user's environment: own HOME, no XDG overrides, no telemetry switch, no cache override,
    and its own, empty temporary folder (TMPDIR) beside HOME, which must stay empty."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("XDG_", "SQUEEZEAPP_", "ORT_", "QT_QPA_PLATFORM", "TMP"))}
    temp = home.parent / "tmp"
    temp.mkdir(exist_ok=True)
    env.update(HOME=str(home), SQUEEZEAPP_MODEL_DIR=str(model_dir), TMPDIR=str(temp))
    return env


@functools.cache
def strace_works() -> bool:
    """strace is installed and may trace here (containers without ptrace rights refuse it)."""
    if shutil.which("strace") is None:
        return False
    probe = subprocess.run(["strace", "-f", "-qq", "-e", "trace=connect", "-o", os.devnull,
                            "true"], capture_output=True, check=False)
    return probe.returncode == 0


def run_traced(command: list[str], env: dict[str, str], trace: Path) -> str:
    """Run command (under strace where it works, recording every connect and every file
    created); return its output.

    Without strace only the file checks run, and pytest's warnings summary says so.
    """
    prefix = []
    if strace_works():
        prefix = ["strace", "-f", "-qq", "-e", "trace=connect,openat,creat", "-o", str(trace)]
    else:
        warnings.warn("strace unavailable: no connect check, the file checks still run",
                      stacklevel=2)
    done = subprocess.run([*prefix, *command], capture_output=True, text=True, env=env,
                          timeout=240, cwd=env["HOME"], check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def assert_private(home: Path, trace: Path) -> None:
    assert not (home / ".cache" / "Microsoft").exists(), "onnxruntime telemetry files written"
    written = sorted(str(p.relative_to(home)) for p in home.rglob("*") if p.is_file())
    assert all("squeezeapp" in name for name in written), f"files outside our folders: {written}"
    temp = home.parent / "tmp"
    left = sorted(str(p) for p in temp.rglob("*")) if temp.exists() else []
    assert not left, f"files left in the temporary folder: {left[:5]}"
    if trace.exists():
        lines = trace.read_text(errors="replace").splitlines()
        connects = [line for line in lines if INET_CONNECT.search(line)]
        assert not connects, f"inet connections: {connects[:5]}"
        # a copy of a picture in a temporary folder, even one removed again (OpenCV's HDR
        # reader wrote every picture to /tmp/__opencv_temp.XXXXXX, mode 0644)
        temp_copies = [line for line in lines if "O_CREAT" in line and "opencv_temp" in line]
        assert not temp_copies, f"pictures copied to a temporary file: {temp_copies[:5]}"
