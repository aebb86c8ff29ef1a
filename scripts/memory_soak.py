"""Resident memory of the live window over a long run: does it grow?

Plays a generated 30 fps 1280x720 clip (looping) in the real window, offscreen, for --seconds,
and samples the process's VmRSS every --every seconds. Growth is the last sample minus the one
at --settle seconds (after the model, the codecs and Qt's caches have loaded).

    QT_QPA_PLATFORM=offscreen .venv/bin/python scripts/memory_soak.py --seconds 600
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def rss_mb(pid: int) -> float | None:
    try:
        status = Path(f"/proc/{pid}/status").read_text(encoding="ascii")
    except OSError:
        return None
    kib = next(int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS"))
    return kib / 1024


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=600)
    parser.add_argument("--every", type=float, default=10)
    parser.add_argument("--settle", type=float, default=60)
    args = parser.parse_args()
    images = sorted(Path(os.environ["SQUEEZEAPP_SAMPLE_IMAGES"]).glob("*.JPEG"))[:5]
    with tempfile.TemporaryDirectory() as work:
        clip = Path(work) / "clip.mp4"
        subprocess.run([sys.executable, "-m", "tests.fakes", str(clip), "1280x720",
                        *map(str, images)], check=True, cwd=ROOT)
        metrics = Path(work) / "metrics.json"
        env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "XDG_CONFIG_HOME": work}
        app = subprocess.Popen(
            [sys.executable, "-m", "squeezeapp", "gui", "--source", str(clip),
             "--exit-after", str(args.seconds), "--metrics-json", str(metrics)],
            cwd=ROOT, env=env)
        started = time.monotonic()
        samples: list[tuple[float, float]] = []
        while app.poll() is None:
            value = rss_mb(app.pid)
            if value is not None:
                samples.append((time.monotonic() - started, value))
            time.sleep(args.every)  # sampling period of an outside observer, not synchronisation
        report = json.loads(metrics.read_text()) if metrics.exists() else {}
    settled = next((mb for t, mb in samples if t >= args.settle), samples[0][1])
    last = samples[-1][1]
    print(json.dumps({
        "seconds": args.seconds,
        "rss_mb_at_settle": round(settled, 1),
        "rss_mb_last": round(last, 1),
        "rss_growth_mb": round(last - settled, 1),
        "rss_mb_samples": [round(mb, 1) for _, mb in samples],
        "display_fps": report.get("display_fps"),
        "inference_fps": report.get("inference_fps"),
        "dropped_frames": report.get("dropped_frames"),
        "gui_stall_ms_max": report.get("gui_stall_ms_max"),
    }, indent=1))
    return app.returncode


if __name__ == "__main__":
    sys.exit(main())
