"""Benchmark: folder throughput of this checkout's pipeline against an earlier commit's.

    .venv/bin/python -m scripts.compare_pipeline --against 10691d1 --rounds 15

The earlier `squeezeapp/core/batch/pipeline.py` is read from git and loaded beside the current one;
both classify the same photos (repeated to --files) with the same 1-thread session and the same
number of workers, passes interleaved (A, B, A, B, ...), so a slow minute of the shared machine
slows both. Prints images/s, the ratio per round (median and IQR) and who used the cores.
"""

from __future__ import annotations

import argparse
import importlib.util
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import numpy as np

from squeezeapp.core.batch import pipeline as current
from squeezeapp.core.imaging.decode import expand_image_paths
from squeezeapp.core.inference.classifier import Classifier, SessionSettings
from squeezeapp.core.measure.cpu_share import CpuShare, measure_cpu, median_share
from squeezeapp.core.measure.timing import Measure, Ratio, interleave

REPO = Path(__file__).resolve().parents[1]
SHARED_PHOTOS = REPO.parent / "shared" / "images" / "imagenet-sample"


def pipeline_at(revision: str, folder: Path) -> ModuleType:
    """squeezeapp/core/batch/pipeline.py as it was at `revision`, as a module of its own."""
    source = subprocess.run(["git", "show", f"{revision}:squeezeapp/core/batch/pipeline.py"],
                            cwd=REPO, check=True, capture_output=True, text=True).stdout
    path = folder / "earlier_pipeline.py"
    path.write_text(source, encoding="utf-8")
    spec = importlib.util.spec_from_file_location("earlier_pipeline", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--against", required=True, help="git revision to compare with")
    parser.add_argument("--images", type=Path, default=SHARED_PHOTOS)
    parser.add_argument("--files", type=int, default=300, help="photos per pass (repeated)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=15)
    args = parser.parse_args(argv)

    photos = sorted(expand_image_paths([args.images]))
    paths = (photos * (args.files // max(1, len(photos)) + 1))[:args.files]
    classifier = Classifier.load(None, SessionSettings(1, None, spin_wait=False))
    shares: dict[str, list[CpuShare]] = {"current": [], "earlier": []}
    with tempfile.TemporaryDirectory() as folder:
        earlier = pipeline_at(args.against, Path(folder))

        def one_pass(module: ModuleType, name: str) -> Callable[[], None]:
            schedule = module.Schedule("images", args.workers, 1)

            def run() -> None:
                for _ in module.classify_files(paths, classifier, schedule=schedule):
                    pass
            return lambda: shares[name].append(measure_cpu(run))

        timed = interleave({"current": one_pass(current, "current"),
                            "earlier": one_pass(earlier, "earlier")},
                           args.rounds, block=1, warmup=1, settle=False)
    rates = {name: Measure(0.0, 0.0, tuple(len(paths) * 1e3 / t for t in measure.rounds))
             for name, measure in timed.items()}
    for name, rate in rates.items():
        cpu = median_share(shares[name][1:])
        elsewhere = ("unknown" if cpu.others is None or cpu.steal is None
                     else f"other processes {cpu.others:.2f}, steal {cpu.steal:.2f}")
        print(f"{name:8} {np.median(rate.rounds):7.1f} img/s (rounds {min(rate.rounds):.1f}.."
              f"{max(rate.rounds):.1f}); cores: ours {cpu.ours:.2f}, {elsewhere}")
    ratio = Ratio.of(rates["current"], rates["earlier"])
    print(f"current / {args.against}: {ratio.median:.3f}x (IQR {ratio.low:.3f}-{ratio.high:.3f}"
          f" over {ratio.rounds} rounds)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
