"""`squeezeapp bench`: latency and throughput of each stage, measured in one run.

Every figure is a median (p50) and p95 over `repeat` timed runs after `warmup` untimed ones, so
ratios such as classify-vs-raw compare numbers taken minutes apart on the same machine state.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from squeezeapp.core.classifier import Classifier, SessionSettings
from squeezeapp.core.imageio import expand_image_paths, read_image
from squeezeapp.core.pipeline import classify_files, pipeline_session
from squeezeapp.core.reference import reference_preprocess

PREPROCESS_SIZES = ((640, 480), (1280, 720), (1920, 1080))


@dataclass(frozen=True)
class BenchSettings:
    model: str | None = None
    threads: int | None = None
    provider: str | None = None
    images: Path | None = None
    repeat: int = 200
    warmup: int = 20


@dataclass(frozen=True)
class Timing:
    p50: float
    p95: float

    @classmethod
    def of(cls, samples_ms: list[float]) -> Timing:
        return cls(float(np.percentile(samples_ms, 50)), float(np.percentile(samples_ms, 95)))


@dataclass(frozen=True)
class BenchResult:
    model: str
    provider: str
    threads: int
    warmup: int
    repeat: int
    raw_1_thread: Timing
    raw_all_threads: Timing
    classify: Timing
    preprocess: dict[str, Timing]
    naive_preprocess: dict[str, Timing] = field(default_factory=dict)
    folder_images: int = 0
    folder_images_per_s: float | None = None  # the app's pipelined `classify`
    naive_images_per_s: float | None = None  # decode, textbook pre-processing, run: one by one
    sequential_images_per_s: float | None = None  # decode and the app's classify, one by one

    @property
    def classify_vs_raw(self) -> float:
        """Throughput of the app's classify path relative to bare session.run (1.0 = equal)."""
        return self.raw_all_threads.p50 / self.classify.p50

    @property
    def folder_speedup(self) -> float | None:
        """Pipelined `classify` against the naive loop (the issue's yardstick)."""
        return _ratio(self.folder_images_per_s, self.naive_images_per_s)

    @property
    def pipeline_speedup(self) -> float | None:
        """Pipelined `classify` against the same fast steps run one image at a time."""
        return _ratio(self.folder_images_per_s, self.sequential_images_per_s)


def _ratio(numerator: float | None, denominator: float | None) -> float | None:
    return numerator / denominator if numerator and denominator else None


def _time(call: Callable[[], object], repeat: int, warmup: int) -> Timing:
    for _ in range(warmup):
        call()
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        call()
        samples.append((time.perf_counter() - start) * 1e3)
    return Timing.of(samples)


def _test_frame(width: int, height: int) -> np.ndarray:
    """A deterministic photo-like frame (smooth gradients plus noise)."""
    rng = np.random.default_rng(1)
    y, x = np.mgrid[0:height, 0:width]
    base = np.stack([(x * 255 // max(1, width - 1)), (y * 255 // max(1, height - 1)),
                     ((x + y) * 127 // max(1, width + height))], axis=2)
    noise = rng.integers(0, 32, (height, width, 3))
    return np.clip(base + noise, 0, 255).astype(np.uint8)


def run_benchmark(settings: BenchSettings) -> BenchResult:
    all_threads = settings.threads or os.cpu_count() or 1
    classifier_settings = SessionSettings(all_threads, settings.provider)
    classifier = Classifier.load(settings.model, classifier_settings)
    single = Classifier.load(settings.model, SessionSettings(1, settings.provider))
    spec = classifier.spec
    frame = _test_frame(640, 480)
    batch = classifier.preprocess(frame)[None].copy()
    feed = {spec.input_name: batch}

    def raw(model: Classifier) -> Callable[[], object]:
        return lambda: model.session.run([spec.output_name], feed)

    repeat, warmup = settings.repeat, settings.warmup
    raw_all = _time(raw(classifier), repeat, warmup)
    raw_one = _time(raw(single), repeat, warmup)
    classify = _time(lambda: classifier.classify(frame), repeat, warmup)
    preprocess, naive_preprocess = {}, {}
    for width, height in PREPROCESS_SIZES:
        image = _test_frame(width, height)
        out = classifier.preprocess.new_batch(1)[0]
        preprocess[f"{width}x{height}"] = _time(lambda i=image, o=out: classifier.preprocess(i, o),
                                               repeat, warmup)
        naive_preprocess[f"{width}x{height}"] = _time(
            lambda i=image: reference_preprocess(i, spec.preprocess), repeat, warmup)
    result = BenchResult(spec.name, classifier.provider, all_threads, warmup, repeat, raw_one,
                         raw_all, classify, preprocess, naive_preprocess)
    if settings.images is not None:
        paths = list(expand_image_paths([settings.images]))
        pipelined = Classifier.load(settings.model, pipeline_session(classifier_settings))
        rates = _folder_throughput(classifier, pipelined, paths)
        result = replace(result, folder_images=len(paths),
                         folder_images_per_s=rates["pipelined"],
                         naive_images_per_s=rates["naive"],
                         sequential_images_per_s=rates["sequential"])
    return result


def _folder_throughput(classifier: Classifier, pipelined_classifier: Classifier,
                       paths: list[Path]) -> dict[str, float]:
    """Images/s of three ways through the same files, best of 3 runs each.

    The one-by-one loops use the latency-tuned session (their best); the pipeline uses the
    session `squeezeapp classify` opens for it (see pipeline_session).
    """
    spec = classifier.spec

    def naive() -> None:
        for path in paths:
            batch = reference_preprocess(read_image(path), spec.preprocess)
            classifier.predictions(classifier.infer(batch)[0])

    def sequential() -> None:
        for path in paths:
            classifier.classify(read_image(path))

    def pipelined() -> None:
        for _ in classify_files(paths, pipelined_classifier):
            pass

    sequential()  # warm the file cache and the session
    rates = {}
    for name, job in (("naive", naive), ("sequential", sequential), ("pipelined", pipelined)):
        best = float("inf")
        for _ in range(3):
            start = time.perf_counter()
            job()
            best = min(best, time.perf_counter() - start)
        rates[name] = len(paths) / best
    return rates
