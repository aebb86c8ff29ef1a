"""Nothing leaves the computer: no telemetry files, no inet connections, writes only our own.

onnxruntime 1.32 on Linux writes ~/.cache/Microsoft/DeveloperTools/.onnxruntime/{deviceid,
onnxruntime.db} on every run and, in a GUI session, resolves mobile.events.data.microsoft.com,
unless ORT_DISABLE_TELEMETRY=1 is set before it is imported (squeezeapp/__init__.py does that).
These tests run the source install in a fresh HOME, WITHOUT that variable in the environment,
exactly as a user's shell would start it. The frozen bundle gets the same check in
tests/packaging/test_packaging.py.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO
from tests.privacy import assert_private, fresh_user_env, run_traced, strace_works


@pytest.fixture
def home(tmp_path: Path) -> Path:
    path = tmp_path / "home"
    path.mkdir()
    return path


def test_classify_stays_on_this_computer(home, tmp_path, model_dir, sample_dir) -> None:
    trace = tmp_path / "classify.strace"
    output = run_traced([sys.executable, "-m", "squeezeapp", "classify",
                         str(sample_dir / "n01440764_tench.JPEG")],
                        fresh_user_env(home, model_dir), trace)
    assert "tench" in output
    assert_private(home, trace)


def test_no_decoder_copies_a_picture_to_a_temporary_file(home, tmp_path, model_dir) -> None:
    """Radiance HDR (valid and damaged) was decoded by OpenCV from a copy in /tmp."""
    import cv2
    import numpy as np

    pictures = tmp_path / "pictures"
    pictures.mkdir()
    ok, encoded = cv2.imencode(".hdr", np.random.default_rng(1).random((32, 32, 3), np.float32))
    assert ok
    (pictures / "valid.hdr").write_bytes(encoded.tobytes())
    (pictures / "damaged.hdr").write_bytes(b"#?RADIANCE\nFORMAT=32-bit_rle_rgbe\n\nnonsense")
    env = fresh_user_env(home, model_dir)
    trace = tmp_path / "hdr.strace"
    prefix = ["strace", "-f", "-qq", "-e", "trace=connect,openat,creat", "-o", str(trace)] \
        if strace_works() else []
    done = subprocess.run([*prefix, sys.executable, "-m", "squeezeapp", "classify", "--format",
                           "jsonl", *map(str, sorted(pictures.iterdir()))],
                          capture_output=True, text=True, env=env, timeout=240,
                          cwd=env["HOME"], check=False)
    assert done.returncode == 1, done.stderr  # both refused, each with one line
    assert done.stderr.count("Radiance HDR pictures are not supported") == 2, done.stderr
    assert_private(home, trace)
    if trace.exists():  # classify creates nothing at all in the temporary folder
        temp = str(home.parent / "tmp")
        created = [line for line in trace.read_text(errors="replace").splitlines()
                   if "O_CREAT" in line and temp in line]
        assert not created, created[:5]


def test_offscreen_window_stays_on_this_computer(home, tmp_path, model_dir) -> None:
    env = {**fresh_user_env(home, model_dir), "QT_QPA_PLATFORM": "offscreen"}
    trace = tmp_path / "selftest.strace"
    output = run_traced([sys.executable, "-m", "squeezeapp", "--selftest"], env, trace)
    assert output.rstrip().endswith("self-test passed")
    assert_private(home, trace)


def test_window_in_an_x_session_stays_on_this_computer(home, tmp_path, model_dir,
                                                       sample_dir) -> None:
    """The case where onnxruntime's telemetry looked up its server: a real X display."""
    xvfb = shutil.which("xvfb-run")
    if xvfb is None:
        pytest.skip("xvfb-run not installed (make setup installs xvfb)")
    trace = tmp_path / "gui.strace"
    run_traced([xvfb, "-a", "-s", "-screen 0 1024x768x24", sys.executable, "-m", "squeezeapp",
                "gui", str(sample_dir / "n01440764_tench.JPEG"), "--exit-after", "6"],
               fresh_user_env(home, model_dir), trace)
    assert_private(home, trace)


def test_the_package_switches_telemetry_off_before_anything_else() -> None:
    """Importing squeezeapp (what every entry point does first) sets the variable."""
    env = {k: v for k, v in os.environ.items() if k != "ORT_DISABLE_TELEMETRY"}
    done = subprocess.run(
        [sys.executable, "-c", "import squeezeapp, os, sys; "
         "print(os.environ['ORT_DISABLE_TELEMETRY'], 'onnxruntime' in sys.modules)"],
        capture_output=True, text=True, env=env, cwd=REPO, check=True)
    assert done.stdout.split() == ["1", "False"]
    hook = REPO / "packaging" / "hooks" / "rthook_privacy.py"
    assert 'os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")' in hook.read_text()
    assert str(hook.name) in (REPO / "packaging" / "squeezeapp.spec").read_text()


def test_the_openvino_plugin_stays_on_this_computer(home, tmp_path, model_dir,
                                                    sample_dir) -> None:
    """The OpenVINO engine (the `openvino` extra), measured for auto and used: no connection,
    no file outside our folders (OpenVINO's telemetry consent lives in ~/intel), and OpenVINO's
    telemetry package neither installed with the app nor imported."""
    import importlib.util

    from squeezeapp.core.inference.engines import openvino_installed

    if not openvino_installed():
        pytest.skip("the openvino extra is not installed")
    assert importlib.util.find_spec("openvino_telemetry") is None
    script = ("import sys\n"
              "from squeezeapp.cli.main import main\n"
              "codes = [main(['info']),\n"
              "         main(['classify', '--provider', 'openvino', sys.argv[1]])]\n"
              "print('telemetry module:', 'openvino_telemetry' in sys.modules, codes)\n")
    trace = tmp_path / "openvino.strace"
    output = run_traced([sys.executable, "-c", script,
                         str(sample_dir / "n01440764_tench.JPEG")],
                        {**fresh_user_env(home, model_dir), "PYTHONPATH": str(REPO)}, trace)
    assert "OpenVINO CPU" in output and "tench" in output
    assert "telemetry module: False [0, 0]" in output
    assert not (home / "intel").exists()
    assert_private(home, trace)
