"""Measuring every engine on a model, for provider "auto" (engine_choice remembers the result).

Each available engine opens the model (timed: OpenVINO compiles it), classifies a built-in set
of frames, and is timed on one frame, interleaved with the others in rounds (core.measure) for
a fraction of a second in all. An engine is usable only when its top-1 class equals onnxruntime
fp32 CPU's on at least `MIN_AGREEMENT` of the frames where fp32 itself is decided (its top-1
ahead of its top-2 by `DECIDED_MARGIN`): reduced precision (OpenVINO runs bf16 on AMX) may
reorder two near-equal classes, never a clear answer. The fastest usable engine wins; onnxruntime
CPU is always measured and always usable, so "auto" is never slower than it as measured.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import replace
from functools import partial
from typing import Protocol

import numpy as np

from squeezeapp.core.inference.classifier import Classifier
from squeezeapp.core.inference.engine_choice import EngineChoice, EngineTiming, store_choice
from squeezeapp.core.inference.engines import CPU_ENGINE, Engine, available_engines
from squeezeapp.core.measure.timing import interleave

logger = logging.getLogger(__name__)

MIN_AGREEMENT = 0.99
DECIDED_MARGIN = 0.05  # fp32's top-1 probability minus its top-2
FRAME_COUNT = 48
MIN_DECIDED = 8  # fewer decided frames than this: the check is not possible, the engine unused


class Runner(Protocol):
    """What the measurement needs of a loaded model (a Classifier, or a test's fake engine)."""

    def new_batch(self, count: int) -> np.ndarray: ...

    def prepare(self, image: np.ndarray, out: np.ndarray | None = None) -> np.ndarray: ...

    def infer(self, batch: np.ndarray) -> np.ndarray: ...


def built_in_frames(count: int = FRAME_COUNT, side: int = 256) -> list[np.ndarray]:
    """Deterministic BGR frames with structure at several scales (smoothed noise, stripes,
    blobs, gradients), so that a model gives them varied and, for many, confident answers."""
    import cv2

    rng = np.random.default_rng(20_261_205)
    frames = []
    for index in range(count):
        kind = index % 4
        if kind == 0:  # smoothed colour noise, coarse to fine
            cells = 4 + (index // 4) % 12
            small = rng.integers(0, 256, (cells, cells, 3), dtype=np.uint8)
            frame = cv2.resize(small, (side, side), interpolation=cv2.INTER_CUBIC)
        elif kind == 1:  # stripes at an angle
            y, x = np.mgrid[0:side, 0:side].astype(np.float32)
            angle, period = rng.uniform(0, np.pi), rng.uniform(4, 40)
            wave = np.sin((x * np.cos(angle) + y * np.sin(angle)) * 2 * np.pi / period)
            colours = rng.integers(0, 256, (2, 3)).astype(np.float32)
            mix = (wave[..., None] + 1) / 2
            frame = (colours[0] * mix + colours[1] * (1 - mix)).astype(np.uint8)
        elif kind == 2:  # coloured discs on a background
            frame = np.empty((side, side, 3), np.uint8)
            frame[:] = rng.integers(0, 256, 3, dtype=np.uint8)
            for _ in range(int(rng.integers(3, 12))):
                centre = tuple(int(v) for v in rng.integers(0, side, 2))
                colour = tuple(int(v) for v in rng.integers(0, 256, 3))
                cv2.circle(frame, centre, int(rng.integers(8, side // 3)), colour, -1)
        else:  # fine noise over a gradient (texture)
            ramp = np.linspace(0, 255, side, dtype=np.float32)
            base = (ramp[None, :, None] * rng.uniform(0, 1, 3) + ramp[:, None, None]
                    * rng.uniform(0, 1, 3)) / 2
            frame = np.clip(base + rng.normal(0, 40, (side, side, 3)), 0, 255).astype(np.uint8)
        frames.append(np.ascontiguousarray(frame))
    return frames


def _answers(runner: Runner, batch: np.ndarray) -> tuple[np.ndarray, float]:
    """Its probabilities for each frame, one at a time, and the median ms of one."""
    rows, times = [], []
    for i in range(batch.shape[0]):
        started = time.perf_counter()
        rows.append(runner.infer(batch[i:i + 1])[0])
        times.append((time.perf_counter() - started) * 1e3)
    return np.stack(rows), float(np.median(times))


class MeasurementStoppedError(Exception):
    """The measurement was asked to stop (the window is closing)."""


def compare(reference: Runner, candidates: Mapping[str, Callable[[], Runner]],
            labels: Mapping[str, str], frames: list[np.ndarray] | None = None,
            budget_s: float = 0.6, stop: threading.Event | None = None) -> EngineChoice:
    """Measure `candidates` (name → opener; `reference` is fp32 CPU, measured as "cpu") and
    choose the fastest whose answers agree with the reference's. Raises
    MeasurementStoppedError when `stop` is set (checked between engines)."""
    frames = frames if frames is not None else built_in_frames()
    batch = reference.new_batch(len(frames))
    for frame, slot in zip(frames, batch, strict=True):
        reference.prepare(frame, out=slot)
    truth, cpu_estimate = _answers(reference, batch)
    estimates = {CPU_ENGINE.name: cpu_estimate}
    ordered = np.sort(truth, axis=1)
    decided = (ordered[:, -1] - ordered[:, -2]) >= DECIDED_MARGIN
    opened: dict[str, Runner] = {CPU_ENGINE.name: reference}
    load_ms: dict[str, float | None] = {CPU_ENGINE.name: None}
    timings: list[EngineTiming] = []
    for name, opener in candidates.items():
        if name == CPU_ENGINE.name:
            continue
        if stop is not None and stop.is_set():
            raise MeasurementStoppedError
        started = time.perf_counter()
        try:
            runner = opener()
            answers, estimates[name] = _answers(runner, batch)
        except Exception as error:  # an engine that fails here is simply not used
            logger.info("engine %s failed: %s", name, error)
            timings.append(EngineTiming(name, labels.get(name, name), None, None, 0, 0, False,
                                        f"failed: {str(error).splitlines()[0][:120]}"))
            continue
        load_ms[name] = (time.perf_counter() - started) * 1e3
        agreed = int(np.sum(answers.argmax(1)[decided] == truth.argmax(1)[decided]))
        compared = int(decided.sum())
        finite = bool(np.all(np.isfinite(answers)))
        if not finite:
            reason = "gave non-finite scores"
        elif compared < MIN_DECIDED:
            reason = f"only {compared} decided frames to compare"
        elif agreed < MIN_AGREEMENT * compared:
            reason = f"top-1 agreed with fp32 on {agreed} of {compared} frames"
        else:
            reason = ""
        timings.append(EngineTiming(name, labels.get(name, name), None, load_ms[name], agreed,
                                    compared, not reason, reason))
        if not reason:
            opened[name] = runner
    if stop is not None and stop.is_set():
        raise MeasurementStoppedError
    one = batch[:1]
    # the timed rounds share the budget: 3 rounds of `runs` calls of every usable engine
    per_round_ms = sum(estimates[name] for name in opened)
    runs = max(3, min(200, int(budget_s * 1e3 / 3 / max(per_round_ms, 0.05))))
    calls: dict[str, Callable[[], object]] = {name: partial(runner.infer, one)
                                              for name, runner in opened.items()}
    measured = interleave(calls, rounds=3, block=runs, warmup=3)
    reference_timing = EngineTiming(CPU_ENGINE.name, labels.get(CPU_ENGINE.name, "CPU"),
                                    measured[CPU_ENGINE.name].p50, None, int(decided.sum()),
                                    int(decided.sum()), True, "")
    timings = [reference_timing, *(replace(t, ms=measured[t.engine].p50) if t.engine in measured
                                   else t for t in timings)]
    best = min((t for t in timings if t.usable and t.ms is not None), key=lambda t: t.ms or 0)
    cpu_ms = measured[CPU_ENGINE.name].p50
    if best.engine == CPU_ENGINE.name:
        others = [t for t in timings if t.engine != CPU_ENGINE.name]
        why = (f"{best.label} {cpu_ms:.2f} ms was the fastest" if others
               else f"{best.label} is the only engine here")
    else:
        why = (f"{best.label} {best.ms:.2f} ms against {reference_timing.label} {cpu_ms:.2f} ms, "
               f"same top-1 on {best.agreed} of {best.compared} frames")
    return EngineChoice(best.engine, why, tuple(timings))


def choose_engine(model: Classifier, budget_s: float = 0.6, engines: list[Engine] | None = None,
                  stop: threading.Event | None = None) -> EngineChoice:
    """Measure every available engine on `model` (opened again on each; the fp32 CPU reference
    with the model's own settings), remember and return the choice (nothing is kept when it
    raises MeasurementStoppedError)."""
    settings = model.settings
    engines = engines if engines is not None else available_engines()
    reference = Classifier.load(model.spec.path, replace(settings, provider=CPU_ENGINE.name))

    def opener(engine: Engine) -> Callable[[], Runner]:
        return lambda: Classifier.load(model.spec.path, replace(settings, provider=engine.name))

    labels = {engine.name: engine.label for engine in engines}
    choice = compare(reference, {engine.name: opener(engine) for engine in engines}, labels,
                     budget_s=budget_s, stop=stop)
    store_choice(model.spec.sha256, choice)
    logger.info("engine for %s: %s (%s)", model.spec.name, choice.engine, choice.why)
    return choice
