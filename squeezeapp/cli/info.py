"""`squeezeapp info`: versions, execution providers, and what the chosen model is made of."""

from __future__ import annotations

import json
import os
import platform
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from squeezeapp import __version__
from squeezeapp.core.common.errors import ModelError
from squeezeapp.core.imaging.sources import CameraInfo, list_cameras
from squeezeapp.core.inference.classifier import Classifier
from squeezeapp.core.models.model_file import load_model_proto
from squeezeapp.core.models.spec import short_label
from squeezeapp.core.modeltools.summary import ModelSummary, summarize


def qt_version() -> str:
    try:
        from PySide6 import QtCore
        from PySide6 import __version__ as pyside_version
    except ImportError as error:  # Qt libraries missing on a headless box
        return f"unavailable ({error})"
    return f"{QtCore.qVersion()} (PySide6 {pyside_version})"


def environment_lines() -> list[str]:
    import cv2
    import numpy
    import onnxruntime

    from squeezeapp.core.imaging import heif, raw
    from squeezeapp.core.imaging.formats import OPTIONAL_FORMATS, optional_extensions
    from squeezeapp.core.inference.engines import available_engines
    from squeezeapp.core.inference.providers import available_providers, short_name

    missing = sorted(set(OPTIONAL_FORMATS) - optional_extensions())

    return [
        f"squeezeapp     {__version__}",
        f"Python         {platform.python_version()} ({sys.executable})",
        f"platform       {platform.platform()}",
        f"onnxruntime    {onnxruntime.__version__}",
        f"OpenCV         {cv2.__version__}",
        f"HEIC/HEIF      {heif.version()}",
        f"camera RAW     {raw.version()}",
        *([f"not readable   {', '.join(missing)} (this OpenCV build lacks "
           f"{', '.join(OPTIONAL_FORMATS[ext] for ext in missing)})"] if missing else []),
        f"NumPy          {numpy.__version__}",
        f"Qt             {qt_version()}",
        f"providers      {', '.join(short_name(p) for p in available_providers())}",
        f"engines        {', '.join(f'{e.label} ({e.name})' for e in available_engines())}",
        f"CPU threads    {os.cpu_count()}",
    ]


def model_lines(classifier: Classifier, summary: ModelSummary) -> list[str]:
    spec = classifier.spec
    pre = spec.preprocess
    shape = ",".join(str(d) if isinstance(d, int) else "N" for d in spec.input_shape)
    return [
        f"model          {spec.display_name}",
        f"model name     {spec.name} (in classify's csv and jsonl)",
        f"path           {spec.path}",
        f"sha256         {spec.sha256}",
        f"provider       {classifier.provider}"
        + (f" ({classifier.engine.label})" if classifier.engine else ""),
        *engine_choice_lines(classifier),
        f"input          {spec.input_name} [{shape}] float32",
        f"output         {spec.output_name} ({spec.output_kind or 'detected at run time'})",
        f"preprocess     {pre.describe_resize()}, {pre.color},"
        f" x*{pre.scale:.6g}, mean {list(pre.mean)}, std {list(pre.std)}",
        f"labels         {len(spec.labels)} classes (from {spec.source}): "
        f"{_bounded_names(spec.labels)}",
        *teach_lines(spec.path),
        f"parameters     {summary.params:,}{_weight_note(summary)}",
        f"compute        {summary.gmacs:.3f} GMAC per image (opset {summary.opset})",
    ]


MAX_NAMES_SHOWN = 10  # class names on the labels line (ImageNet has 1,000)
MAX_NAME_CHARS = 40


def _bounded_names(labels: Sequence[str]) -> str:
    names = [_clip(short_label(label)) for label in labels[:MAX_NAMES_SHOWN]]
    more = len(labels) - len(names)
    return ", ".join(names) + (f", … {more:,} more" if more > 0 else "")


def _clip(text: str) -> str:
    return text if len(text) <= MAX_NAME_CHARS else text[:MAX_NAME_CHARS - 1] + "…"


def teach_lines(path: Path) -> list[str]:
    """What `teach` recorded in a taught model's metadata ("teach", core/teach/export.py):
    its base model, examples and cross-validated accuracy; none for other models."""
    try:
        model = load_model_proto(path, load_external_data=False)
        record = json.loads({p.key: p.value for p in model.metadata_props}.get("teach", "{}"))
    except (ModelError, ValueError):
        return []
    if not isinstance(record, dict) or not record:
        return []
    classes = [str(name) for name in _list(record.get("classes"))]
    examples = [n for n in _list(record.get("examples")) if isinstance(n, int)]
    base = _clip(str(record.get("base_model") or "?"))
    digest = str(record.get("base_sha256") or "")[:12]
    lines = [f"taught         on {base}" + (f" ({digest})" if digest else "")
             + (f", {sum(examples):,} examples" if examples else "")
             + (f", features: {_clip(str(record['features']))}"
                if record.get("features") else "")]
    accuracy = record.get("accuracy")
    if isinstance(accuracy, int | float):
        validation = _clip(str(record.get("validation") or "cross-validated"))
        per_class = [f"{_clip(name)} {_percent(value)}" for name, value
                     in zip(classes, _list(record.get("class_accuracy")), strict=False)
                     if isinstance(value, int | float)][:MAX_NAMES_SHOWN]
        lines.append(f"accuracy       {_percent(accuracy)} cross-validated ({validation})"
                     + (f"; {', '.join(per_class)}" if per_class else ""))
    else:
        lines.append("accuracy       not measured (too few examples to cross-validate)")
    return lines


def _list(value: object) -> list:
    return value if isinstance(value, list) else []


def _percent(value: float) -> str:
    return f"{value * 100:.0f} %"


def engine_choice_lines(classifier: Classifier) -> list[str]:
    """What provider "auto" uses for this model here and why, each engine's measured ms
    (measured now, about a second, when this machine never measured this model)."""
    from squeezeapp.core.inference.auto_engine import choose_engine
    from squeezeapp.core.inference.engine_choice import cached_choice

    cached = cached_choice(classifier.spec.sha256)
    choice = cached or choose_engine(classifier)
    lines = [f"auto engine    {choice.engine}: {choice.why}"]
    if cached is None and classifier.settings.provider in (None, "", "auto") \
            and classifier.engine is not None and classifier.engine.name != choice.engine:
        lines.append("               (measured just now: used from the next start on)")
    for timing in choice.timings:
        figure = f"{timing.ms:.2f} ms" if timing.ms is not None else "-"
        note = f" (not used: {timing.reason})" if not timing.usable else ""
        lines.append(f"               {timing.label}: {figure}{note}")
    return lines


def layer_lines(summary: ModelSummary) -> list[str]:
    """Plain layers one a row; each Fire module as squeeze 1×1 → expand 1×1 + 3×3."""
    header = f"  {'layer':<28} {'op':<18} {'kernel/channels':<24} {'output':<16} " \
             f"{'params':>9} {'MMAC':>8}"
    lines = [header, "  " + "-" * (len(header) - 2)]
    fire_of = {name: fire for fire in summary.fire_modules for name in fire.members}
    shown = set()
    for layer in summary.layers:
        fire = fire_of.get(layer.name)
        if fire is None:
            lines.append(f"  {layer.name[:28]:<28} {layer.op:<18} {layer.detail:<24} "
                         f"{_shape(layer.output_shape):<16} {layer.params:>9,} "
                         f"{layer.macs / 1e6:>8.1f}")
        elif fire.name not in shown:
            shown.add(fire.name)
            detail = f"{fire.in_channels}→{fire.squeeze}→{fire.expand1x1}+{fire.expand3x3}"
            lines.append(f"  {fire.name:<28} {'Fire':<18} {detail:<24} "
                         f"{_shape(fire.output_shape):<16} {fire.params:>9,} "
                         f"{fire.macs / 1e6:>8.1f}")
            lines.append(f"    squeeze 1×1 ({fire.squeeze}) → expand 1×1 ({fire.expand1x1}) "
                         f"+ 3×3 ({fire.expand3x3}) → concat {fire.out_channels}")
    lines.append(f"  {_count_line(summary)}")
    return lines


def _weight_note(summary: ModelSummary) -> str:
    return f" ({summary.weight_type} weights)" if summary.weight_type else ""


def _count_line(summary: ModelSummary) -> str:
    """What the table's rows are, and how many layers the graph has: a Fire row stands for its
    three convolutions, so the two counts differ and both are named."""
    in_fires = sum(len(fire.members) for fire in summary.fire_modules)
    others = len(summary.layers) - in_fires
    rows = len(summary.fire_modules) + others
    return (f"{rows} rows: {len(summary.fire_modules)} Fire modules ({in_fires} Conv layers)"
            f" + {others} other layers = {len(summary.layers)} layers")


def _shape(shape: tuple[int, ...]) -> str:
    return "×".join(str(d) for d in shape[1:]) if shape else "?"


def camera_lines(resolution: tuple[int, int] | None = None,
                 lister: Callable[..., list[CameraInfo]] = list_cameras) -> list[str]:
    """`info --cameras`: each camera that answers and what it agreed to deliver."""
    asked = f"{resolution[0]}×{resolution[1]}" if resolution else "its default size"
    cameras = lister(resolution=resolution)
    lines = [f"Cameras (asked for {asked})"]
    if not cameras:
        lines.append("  none answered")
    for camera in cameras:
        lines.append(f"  {camera.label}" + (f"  —  {camera.mode}" if camera.mode else ""))
    return lines


def info_report(classifier: Classifier | None, model_error: str | None) -> str:
    lines = ["Environment", *("  " + line for line in environment_lines()), ""]
    if classifier is None:
        lines.append(f"Model\n  unavailable: {model_error}")
        return "\n".join(lines)
    summary = summarize(classifier.spec.path)
    lines += ["Model", *("  " + line for line in model_lines(classifier, summary)), ""]
    lines += ["Layers", *layer_lines(summary)]
    return "\n".join(lines)
