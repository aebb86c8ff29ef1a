"""`bench`'s engine section: every engine on the same model, in one interleaved run.

Per engine: classify latency on one 640×480 frame, and with --images the folder throughput of
`classify_files` on that engine. The folder figures come with two ceilings measured in the same
run: the decode ceiling (cores × 1000 / the per-image ms of decode + crop + post, i.e. inference
for free: no engine can pass it) and the 1-thread stage bound of the engine the report ran on. The
auto choice is measured again here (auto_engine) and reported with its reason.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path

import numpy as np

from squeezeapp.core.batch.pipeline import classify_files, pipeline_session
from squeezeapp.core.inference.auto_engine import choose_engine
from squeezeapp.core.inference.classifier import Classifier, SessionSettings
from squeezeapp.core.inference.engine_choice import EngineChoice
from squeezeapp.core.inference.engines import Engine, available_engines
from squeezeapp.core.measure.timing import Measure, interleave


@dataclass(frozen=True)
class EngineRow:
    engine: str
    label: str
    latency: Measure | None  # classify ms, one frame (None: the engine failed)
    folder: Measure | None  # images/s over the folder (None without --images)
    error: str = ""


@dataclass(frozen=True)
class EngineBench:
    rows: tuple[EngineRow, ...]
    choice: EngineChoice
    decode_ceiling: float | None  # images/s with inference free (None without --images)
    cores: int


def bench_engines(model: str | None, settings: SessionSettings, frame: np.ndarray,
                  paths: list[Path], stage_ms: dict[str, float] | None, rounds: int,
                  block: int, folder_rounds: int) -> EngineBench:
    """Every available engine on `model`, interleaved; folder passes when `paths` is given."""
    engines: list[Engine] = available_engines()
    loaded: dict[str, Classifier] = {}
    errors: dict[str, str] = {}
    for engine in engines:
        try:
            loaded[engine.name] = Classifier.load(model, replace(settings, provider=engine.name))
        except Exception as error:  # an engine that does not open is reported, not fatal
            errors[engine.name] = str(error).splitlines()[0][:160]
    calls: dict[str, Callable[[], object]] = {name: partial(c.classify, frame)
                                              for name, c in loaded.items()}
    latency = interleave(calls, rounds, block, warmup=10)
    folder: dict[str, Measure] = {}
    if paths:
        pipelines = {}
        for name in loaded:
            try:
                pipelines[name] = Classifier.load(model, pipeline_session(
                    replace(settings, provider=name)))
            except Exception as error:
                errors[name] = str(error).splitlines()[0][:160]

        def run(classifier: Classifier) -> None:
            for _ in classify_files(paths, classifier):
                pass

        passes = interleave({name: partial(run, c) for name, c in pipelines.items()},
                            max(1, folder_rounds), block=1, warmup=1, settle=False)
        folder = {name: _per_second(measure, len(paths)) for name, measure in passes.items()}
    cores = os.cpu_count() or 1
    ceiling = None
    if paths and stage_ms:
        free = stage_ms["decode"] + stage_ms["crop"] + stage_ms["post"]
        ceiling = cores * 1e3 / free if free > 0 else None
    choice = choose_engine(loaded.get("cpu") or next(iter(loaded.values())))
    rows = tuple(EngineRow(engine.name, engine.label, latency.get(engine.name),
                           folder.get(engine.name), errors.get(engine.name, ""))
                 for engine in engines)
    return EngineBench(rows, choice, ceiling, cores)


def _per_second(measure: Measure, count: int) -> Measure:
    return Measure(count * 1e3 / measure.p50, count * 1e3 / measure.p95,
                   tuple(count * 1e3 / t for t in measure.rounds))


def engine_lines(bench: EngineBench, stage_bound: float | None, provider: str) -> list[str]:
    """The table's engine section; `stage_bound` is the folder section's 1-thread stage bound,
    measured on `provider` (the engine the rest of the report ran on)."""
    lines = ["engines on this model, interleaved (classify 640x480 latency; folder images/s):",
             f"  {'engine':<22} {'p50 ms':>8} {'p95 ms':>8} {'folder img/s':>13}"]
    for row in bench.rows:
        if row.latency is None:
            lines.append(f"  {row.label:<22} unavailable: {row.error}")
            continue
        rate = f"{row.folder.p50:>13.1f}" if row.folder is not None else f"{'-':>13}"
        lines.append(f"  {row.label:<22} {row.latency.p50:>8.3f} {row.latency.p95:>8.3f} {rate}")
    if bench.decode_ceiling is not None:
        lines.append(f"  decode ceiling ({bench.cores} cores / decode+crop+post, inference "
                     f"free): {bench.decode_ceiling:.1f} img/s"
                     + (f"; {provider} 1-thread stage bound {stage_bound:.1f} img/s"
                        if stage_bound else ""))
    lines.append(f"  auto: {bench.choice.engine} (its own timing, on its built-in test frames: "
                 f"{bench.choice.why})")
    for timing in bench.choice.timings:
        if not timing.usable:
            lines.append(f"    {timing.label} not used: {timing.reason}")
    return lines


def engine_dict(bench: EngineBench) -> dict[str, object]:
    return {
        "engines": {row.engine: {
            "label": row.label,
            "classify_ms_p50": round(row.latency.p50, 3) if row.latency else None,
            "classify_ms_p95": round(row.latency.p95, 3) if row.latency else None,
            "folder_images_per_s": round(row.folder.p50, 1) if row.folder else None,
            "error": row.error or None} for row in bench.rows},
        "decode_ceiling_images_per_s": (round(bench.decode_ceiling, 1)
                                        if bench.decode_ceiling else None),
        "auto_engine": bench.choice.engine,
        "auto_why": bench.choice.why,
    }
