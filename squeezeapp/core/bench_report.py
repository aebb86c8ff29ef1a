"""Rendering benchmark results: a table for people, JSON with stable keys for tracking."""

from __future__ import annotations

import json

from squeezeapp.core.bench import BenchResult


def as_dict(result: BenchResult) -> dict[str, object]:
    def r(value: float | None, digits: int = 3) -> float | None:
        return None if value is None else round(value, digits)

    return {
        "model": result.model,
        "provider": result.provider,
        "threads": result.threads,
        "warmup": result.warmup,
        "repeat": result.repeat,
        "raw_ms_p50": r(result.raw_all_threads.p50),
        "raw_ms_p95": r(result.raw_all_threads.p95),
        "raw_1thread_ms_p50": r(result.raw_1_thread.p50),
        "raw_1thread_ms_p95": r(result.raw_1_thread.p95),
        "classify_ms_p50": r(result.classify.p50),
        "classify_ms_p95": r(result.classify.p95),
        "classify_vs_raw": r(result.classify_vs_raw),
        "preprocess_ms_p50": {k: r(v.p50) for k, v in result.preprocess.items()},
        "preprocess_ms_p95": {k: r(v.p95) for k, v in result.preprocess.items()},
        "naive_preprocess_ms_p50": {k: r(v.p50) for k, v in result.naive_preprocess.items()},
        "folder_images": result.folder_images,
        "folder_images_per_s": r(result.folder_images_per_s, 1),
        "naive_images_per_s": r(result.naive_images_per_s, 1),
        "sequential_images_per_s": r(result.sequential_images_per_s, 1),
        "folder_speedup": r(result.folder_speedup, 2),
        "pipeline_speedup": r(result.pipeline_speedup, 2),
    }


def render_json(result: BenchResult) -> str:
    return json.dumps(as_dict(result), indent=2)


def render_table(result: BenchResult) -> str:
    lines = [
        f"model {result.model} on {result.provider}, {result.threads} threads; "
        f"p50 / p95 over {result.repeat} runs after {result.warmup} warm-up runs (excluded)",
        "",
        f"  {'stage':<42} {'p50 ms':>9} {'p95 ms':>9}",
        f"  {'raw session.run, 1 thread':<42} {result.raw_1_thread.p50:>9.3f} "
        f"{result.raw_1_thread.p95:>9.3f}",
        f"  {f'raw session.run, {result.threads} threads':<42} {result.raw_all_threads.p50:>9.3f} "
        f"{result.raw_all_threads.p95:>9.3f}",
        f"  {'classify (pre + run + post), 640x480':<42} {result.classify.p50:>9.3f} "
        f"{result.classify.p95:>9.3f}",
    ]
    for size, timing in result.preprocess.items():
        lines.append(f"  {f'pre-processing {size}':<42} {timing.p50:>9.3f} {timing.p95:>9.3f}")
    for size, timing in result.naive_preprocess.items():
        lines.append(f"  {f'textbook pre-processing {size}':<42} {timing.p50:>9.3f} "
                     f"{timing.p95:>9.3f}")
    lines.append("")
    lines.append(f"  classify path throughput vs raw: {result.classify_vs_raw:.3f}x")
    if result.folder_speedup is not None:
        lines.append(f"  folder of {result.folder_images} images, img/s: classify "
                     f"{result.folder_images_per_s:.1f}; naive loop "
                     f"{result.naive_images_per_s:.1f} ({result.folder_speedup:.2f}x); "
                     f"app steps one by one {result.sequential_images_per_s:.1f} "
                     f"({result.pipeline_speedup:.2f}x)")
    return "\n".join(lines)
