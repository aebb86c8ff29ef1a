"""Rendering benchmark results: a table for people, JSON with stable keys for tracking."""

from __future__ import annotations

import json

from squeezeapp.core.bench.engines import engine_dict, engine_lines
from squeezeapp.core.bench.runner import BenchResult, Measure, Ratio
from squeezeapp.core.measure.cpu_share import CpuShare


def _r(value: float | None, digits: int = 3) -> float | None:
    return None if value is None else round(value, digits)


def _ratio_dict(ratio: Ratio) -> dict[str, float | int | None]:
    return {"median": _r(ratio.median), "iqr_low": _r(ratio.low), "iqr_high": _r(ratio.high),
            "rounds": ratio.rounds}


def _measure_dict(measure: Measure, digits: int = 3) -> dict[str, float | None]:
    low, high = measure.spread
    return {"p50": _r(measure.p50, digits), "p95": _r(measure.p95, digits),
            "round_min": _r(low, digits), "round_max": _r(high, digits)}


def as_dict(result: BenchResult) -> dict[str, object]:
    latency = result.latency
    data: dict[str, object] = {
        "model": result.model,
        "provider": result.provider,
        "threads": result.threads,
        "warmup": result.warmup,
        "repeat": result.repeat,
        "rounds": result.rounds,
        "normalisation": result.normalisation,
        "raw_ms_p50": _r(result.raw_all_threads.p50),
        "raw_ms_p95": _r(result.raw_all_threads.p95),
        "raw_1thread_ms_p50": _r(result.raw_1_thread.p50),
        "raw_1thread_ms_p95": _r(result.raw_1_thread.p95),
        "classify_ms_p50": _r(latency["classify"].p50),
        "classify_ms_p95": _r(latency["classify"].p95),
        "classify_vs_raw": _r(result.classify_vs_raw),
        "cam_overhead": _r(result.cam_overhead) if "cam_vs_classify" in result.ratios else None,
        "latency_ms": {name: _measure_dict(m) for name, m in latency.items()},
        "ratios": {name: _ratio_dict(ratio) for name, ratio in result.ratios.items()},
        "preprocess_ms_p50": {k: _r(v.p50) for k, v in result.preprocess.items()},
        "preprocess_ms_p95": {k: _r(v.p95) for k, v in result.preprocess.items()},
        "naive_preprocess_ms_p50": {k: _r(v.p50) for k, v in result.naive_preprocess.items()},
    }
    if result.engines is not None:
        data.update(engine_dict(result.engines))
    folder = result.folder
    folder_keys = ("folder_images_per_s", "naive_images_per_s", "sequential_images_per_s",
                   "folder_speedup", "pipeline_speedup", "folder_schedule", "folder_cores",
                   "folder_rates", "folder_ratios", "stage_ms", "bound_images_per_s",
                   "bound_fraction", "busy_stage_ms", "busy_bound_images_per_s",
                   "busy_bound_fraction", "classify_cpu_cores")
    data.update(dict.fromkeys(folder_keys))  # the same keys with or without --images
    data.update({"folder_images": folder.images if folder else 0,
                 "folder_unreadable": folder.unreadable if folder else 0})
    if folder is not None:
        data.update({
            "folder_images_per_s": _r(folder.rates["classify"].p50, 1),
            "naive_images_per_s": _r(folder.rates["naive"].p50, 1),
            "sequential_images_per_s": _r(folder.rates["sequential"].p50, 1),
            "folder_speedup": _r(folder.ratios["classify_vs_naive"].median, 2),
            "pipeline_speedup": _r(folder.ratios["classify_vs_sequential"].median, 2),
            "folder_schedule": folder.schedule,
            "folder_cores": folder.cores,
            "folder_rates": {name: _measure_dict(m, 1) for name, m in folder.rates.items()},
            "folder_ratios": {name: _ratio_dict(r) for name, r in folder.ratios.items()},
            "stage_ms": {name: _r(ms) for name, ms in folder.stage_ms.items()},
            "bound_images_per_s": _r(folder.bound_images_per_s, 1),
            "bound_fraction": _r(folder.bound_fraction),
            "busy_stage_ms": {name: _r(ms) for name, ms in folder.busy_stage_ms.items()},
            "busy_bound_images_per_s": _r(folder.busy_bound_images_per_s, 1),
            "busy_bound_fraction": _r(folder.busy_bound_fraction),
            "classify_cpu_cores": {"ours": _r(folder.cpu.ours, 2),
                                   "other_processes": _r(folder.cpu.others, 2),
                                   "steal": _r(folder.cpu.steal, 2)},
        })
    return data


def render_json(result: BenchResult) -> str:
    return json.dumps(as_dict(result), indent=2)


def _ratio_text(ratio: Ratio) -> str:
    rounds = "1 round" if ratio.rounds == 1 else f"{ratio.rounds} rounds"
    return f"{ratio.median:.3f}x (IQR {ratio.low:.3f}-{ratio.high:.3f} over {rounds})"


def render_table(result: BenchResult) -> str:
    raw, raw1 = result.raw_all_threads, result.raw_1_thread
    speed = (f"[this machine now: raw session.run {raw.p50:.3f} ms on {result.threads} threads, "
             f"{raw1.p50:.3f} ms on 1]")
    names = {
        "raw": f"raw session.run, {result.threads} threads (file as is)",
        "raw_1thread": "raw session.run, 1 thread (file as is)",
        "classify": "classify 640x480 (crop + run + post)",
        "classify_cam": "classify 640x480 with class maps",
        "classify_float_input": "classify 640x480, float input (no rewrite)",
        "classify_1thread": "classify 640x480, 1 thread",
        "classify_graph_crop": "classify 640x480, crop inside the graph",
    }
    lines = [
        f"model {result.model} on {result.provider}, {result.threads} threads; normalisation "
        f"{result.normalisation}",
        f"contenders interleaved: {result.rounds} rounds x {result.repeat // result.rounds} runs "
        f"each, after {result.warmup} warm-up runs (excluded); spread = lowest..highest round "
        "median",
        "",
        f"  {'stage':<46} {'p50 ms':>8} {'p95 ms':>8}  {'spread':>15}",
    ]

    def row(label: str, measure: Measure) -> str:
        low, high = measure.spread
        return (f"  {label:<46} {measure.p50:>8.3f} {measure.p95:>8.3f}  "
                f"{low:>7.3f}..{high:<7.3f}")

    for name, measure in result.latency.items():
        lines.append(row(names.get(name, name), measure))
    for size, measure in result.preprocess.items():
        lines.append(row(f"crop (session input) {size}", measure))
    for size, measure in result.naive_preprocess.items():
        lines.append(row(f"textbook pre-processing {size}", measure))
    lines += ["", f"  {speed}"]
    labels = {"classify_vs_raw": "classify throughput / raw",
              "classify_float_input_vs_raw": "classify (float input) throughput / raw",
              "cam_vs_classify": "classify with class maps / classify (time)",
              "classify_1thread_vs_raw_1thread": "classify / raw throughput, both 1 thread",
              "graph_crop_vs_raw": "crop-in-graph classify throughput / raw"}
    for name, ratio in result.ratios.items():
        lines.append(f"  {labels.get(name, name):<44} {_ratio_text(ratio)}")
    if result.folder is not None:
        lines += ["", *_folder_lines(result, speed)]
    if result.engines is not None:
        bound = result.folder.bound_images_per_s if result.folder else None
        lines += ["", *engine_lines(result.engines, bound, result.provider)]
    return "\n".join(lines)


def _folder_lines(result: BenchResult, speed: str) -> list[str]:
    folder = result.folder
    assert folder is not None
    left_out = ""
    if folder.unreadable:
        files = "file" if folder.unreadable == 1 else "files"
        left_out = f" ({folder.unreadable} unreadable {files} left out)"
    lines = [f"folder of {folder.images} images{left_out}, {folder.cores} cores, classify uses "
             f"the '{folder.schedule}' schedule; images/s, passes interleaved:"]
    for name, measure in folder.rates.items():
        low, high = measure.spread
        lines.append(f"  {name:<30} {measure.p50:>8.1f}  spread {low:.1f}..{high:.1f}")
    stages = ", ".join(f"{name} {ms:.3f}" for name, ms in folder.stage_ms.items())
    lines.append(f"  per-image stage cost (ms on one core, median of rounds): {stages}")
    low, high = min(folder.bounds), max(folder.bounds)
    lines.append(f"  bound = {folder.cores} cores / sum of the stages, measured in each round: "
                 f"{folder.bound_images_per_s:.1f} img/s (spread {low:.1f}..{high:.1f}); "
                 f"classify reaches {folder.bound_fraction:.1%} of it")
    busy = ", ".join(f"{name} {ms:.3f}" for name, ms in folder.busy_stage_ms.items())
    lines.append(f"  the same with the other cores busy doing this work: {busy}")
    low, high = min(folder.busy_bounds), max(folder.busy_bounds)
    lines.append(f"  bound from those: {folder.busy_bound_images_per_s:.1f} img/s (spread "
                 f"{low:.1f}..{high:.1f}); classify reaches {folder.busy_bound_fraction:.1%} "
                 "of it")
    lines.append(_cpu_line(folder.cpu, folder.cores))
    lines.append("  (stages timed one by one keep their data in cache; one worker doing them "
                 "image by image is the pace a core reaches: classify_vs_cores_x_one_worker)")
    for name, ratio in folder.ratios.items():
        lines.append(f"  {name:<30} {_ratio_text(ratio)}")
    if len(folder.bounds) < 3:
        lines.append("  (fewer than 3 rounds: no spread to judge these by; quote figures from "
                     "--folder-rounds 5 or more)")
    lines.append(f"  {speed}")
    return lines


def _cpu_line(cpu: CpuShare, cores: int) -> str:
    """Whether the cores were ours during classify's passes: if not, the fraction is low."""
    text = f"  during classify's passes this process used {cpu.ours:.2f} of {cores} cores"
    if cpu.others is None or cpu.steal is None:
        return text + " (other processes: unknown on this system)"
    text += f"; other processes {cpu.others:.2f}, hypervisor steal {cpu.steal:.2f}"
    if cpu.others + cpu.steal > 0.1:
        text += (" (the machine was not quiet: the fractions above compare passes that shared"
                 " the cores with stages that mostly did not; run again)")
    return text
