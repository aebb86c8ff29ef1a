"""Start-up as users feel it, measured as whole processes side by side (issue #21).

Each round runs every contender once, in turn (A, B, C, A, B, C, …: the machine is shared and
its speed drifts), and every ratio is taken within a round:

- `minimal`: a 6-line onnxruntime script (session, imread, resize, normalise, run, argmax), the
  floor any Python app pays for numpy, OpenCV and onnxruntime;
- `classify`: `squeezeapp classify PHOTO`, wall time;
- `window`: `squeezeapp gui PHOTO`, seconds from launch to the first prediction on screen
  (`first_prediction_since_launch_s` of --metrics-json), offscreen;
- with --bundle DIR: the same two from a PyInstaller bundle (`DIR/squeezeapp`).

    .venv/bin/python scripts/startup_bench.py --rounds 7 [--bundle DIST/squeezeapp]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

MINIMAL = """
import sys, cv2, numpy as np, onnxruntime as ort
session = ort.InferenceSession(sys.argv[1], providers=["CPUExecutionProvider"])
image = cv2.resize(cv2.imread(sys.argv[2]), (224, 224))[:, :, ::-1].astype(np.float32) / 255
x = ((image - (0.485, 0.456, 0.406)) / (0.229, 0.224, 0.225)).transpose(2, 0, 1)[None]
print(int(session.run(None, {session.get_inputs()[0].name: x.astype(np.float32)})[0].argmax()))
"""


def _wall(command: list[str], env: dict[str, str]) -> float:
    """Seconds from start to exit. A blocking wait with a timer to kill a hung process: with a
    timeout, Popen.wait polls in sleeps of up to 50 ms, which rounds the figures to that."""
    started = time.perf_counter()
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL)
    watchdog = threading.Timer(120, process.kill)
    watchdog.start()
    try:
        code = process.wait()
    finally:
        watchdog.cancel()
    elapsed = time.perf_counter() - started
    if code != 0:
        raise subprocess.CalledProcessError(code, command)
    return elapsed


def _first_prediction(command: list[str], env: dict[str, str]) -> float:
    with tempfile.TemporaryDirectory() as folder:
        metrics = Path(folder) / "metrics.json"
        subprocess.run([*command, "--exit-after", "3", "--metrics-json", str(metrics)],
                       env=env, check=True, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL, timeout=120)
        return float(json.loads(metrics.read_text())["first_prediction_since_launch_s"])


def contenders(app: list[str], model: Path, photo: Path,
               bundle: Path | None) -> dict[str, Callable[[dict[str, str]], float]]:
    found: dict[str, Callable[[dict[str, str]], float]] = {
        "minimal": lambda env: _wall([sys.executable, "-c", MINIMAL, str(model), str(photo)],
                                     env),
        "classify": lambda env: _wall([*app, "classify", str(photo)], env),
        "window": lambda env: _first_prediction([*app, "gui", str(photo)], env),
    }
    if bundle is not None:
        frozen = [str(bundle / "squeezeapp")]
        found["bundle classify"] = lambda env: _wall([*frozen, "classify", str(photo)], env)
        found["bundle window"] = lambda env: _first_prediction([*frozen, "gui", str(photo)], env)
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--bundle", type=Path, help="a PyInstaller bundle folder")
    parser.add_argument("--photo", type=Path)
    args = parser.parse_args()
    models = Path(os.environ.get("SQUEEZEAPP_MODEL_DIR", "../shared/models"))
    photos = Path(os.environ.get("SQUEEZEAPP_SAMPLE_IMAGES",
                                 "../shared/images/imagenet-sample"))
    photo = args.photo or photos / "n01440764_tench.JPEG"
    model = models / "squeezenet1.1.onnx"
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "SQUEEZEAPP_MODEL_DIR": str(models)}
    app = [str(Path(sys.executable).with_name("squeezeapp"))]
    runs = contenders(app, model, photo, args.bundle)
    for run in runs.values():  # warm-up: page cache, .pyc files, the prepared-model cache
        run(env)
    times: dict[str, list[float]] = {name: [] for name in runs}
    for _ in range(args.rounds):
        for name, run in runs.items():
            times[name].append(run(env))
    load = os.getloadavg()[0]
    print(f"start-up, {args.rounds} interleaved rounds (load average now {load:.1f}); "
          f"seconds, median (min..max); ratio to `minimal` per round, median")
    for name, values in times.items():
        ratios = [value / base for value, base in zip(values, times["minimal"], strict=True)]
        print(f"  {name:<16} {statistics.median(values):6.3f} s ({min(values):.3f}.."
              f"{max(values):.3f})   {statistics.median(ratios):5.2f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
