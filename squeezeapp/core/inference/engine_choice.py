"""Provider "auto": the engine measured fastest for a model on this machine, remembered.

core.inference.auto_engine measures every engine on a model (latency on a built-in set of
frames, and whether its answers agree with onnxruntime's fp32 CPU answers) and records the
result here, per (machine, model file, onnxruntime and plugin versions), in
`<user cache>/prepared/engine-choices.json` (written atomically, at most MAX_CHOICES entries).
Loading a model with provider "auto" reads that record: no measurement, no plugin loading
unless the chosen engine needs it. Without a record, "auto" means what it meant before any
measurement: the first accelerator provider built into onnxruntime, else its CPU provider.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import platform
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import onnxruntime as ort

from squeezeapp.core.common.errors import ModelError
from squeezeapp.core.common.files import write_atomic
from squeezeapp.core.common.limits import MAX_JSON_BYTES
from squeezeapp.core.inference import engines
from squeezeapp.core.inference.engines import CPU_ENGINE, Engine
from squeezeapp.core.inference.providers import resolve_providers
from squeezeapp.core.models.paths import prepared_models_dir

logger = logging.getLogger(__name__)

CHOICE_VERSION = 1  # bump when the measurement or the rule changes
MAX_CHOICES = 64
CHOICES_FILE = "engine-choices.json"


@dataclass(frozen=True)
class EngineTiming:
    """One engine measured on one model."""

    engine: str
    label: str
    ms: float | None  # p50 latency of one frame (None: it failed)
    load_ms: float | None  # opening the session (compiling, for OpenVINO)
    agreed: int  # frames whose top-1 matched fp32 CPU
    compared: int  # frames compared (those where fp32 itself is decided)
    usable: bool
    reason: str  # why not usable, or "" when it is

    @property
    def agreement(self) -> float:
        return self.agreed / self.compared if self.compared else 0.0


@dataclass(frozen=True)
class EngineChoice:
    """What "auto" uses for a model on this machine, why, and every engine's figures."""

    engine: str
    why: str
    timings: tuple[EngineTiming, ...]

    def timing(self, name: str) -> EngineTiming | None:
        return next((t for t in self.timings if t.engine == name), None)

    def as_dict(self) -> dict[str, Any]:
        return {"engine": self.engine, "why": self.why,
                "timings": [asdict(timing) for timing in self.timings]}

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> EngineChoice:
        timings = tuple(EngineTiming(**timing) for timing in raw["timings"])
        if not isinstance(raw["engine"], str) or not isinstance(raw["why"], str):
            raise ValueError("choice")
        return cls(raw["engine"], raw["why"], timings)


def machine_id() -> str:
    """This machine as far as speed goes: the CPU's name and instruction-set flags, core count
    and platform (a new CPU, a VM moved to another host, or an OS change measures again)."""
    parts = [platform.system(), platform.machine(), str(os.cpu_count())]
    with contextlib.suppress(OSError), \
            Path("/proc/cpuinfo").open(encoding="utf-8", errors="replace") as cpuinfo:
        for line in cpuinfo:
            if line.startswith(("model name", "flags")):
                parts.append(line.split(":", 1)[-1].strip())
            if len(parts) >= 5:
                break
    if len(parts) < 5:
        parts.append(platform.processor())
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:16]


def choice_key(model_sha256: str) -> str:
    """Measured with the model's default threads; the choice holds for 1-thread sessions too
    (the folder pipeline's), the engines' order being the same."""
    fields = [str(CHOICE_VERSION), machine_id(), model_sha256, ort.__version__,
              engines.openvino_identity()]
    return hashlib.sha256("|".join(fields).encode()).hexdigest()[:32]


def _choices_path() -> Path:
    return prepared_models_dir() / CHOICES_FILE


def _read_all() -> dict[str, Any]:
    path = _choices_path()
    try:
        if path.stat().st_size > MAX_JSON_BYTES:
            return {}
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def cached_choice(model_sha256: str) -> EngineChoice | None:
    """The remembered choice for this model here, or None (never measured, or damaged)."""
    raw = _read_all().get(choice_key(model_sha256))
    if not isinstance(raw, dict):
        return None
    try:
        return EngineChoice.from_dict(raw)
    except (KeyError, TypeError, ValueError):
        return None


def store_choice(model_sha256: str, choice: EngineChoice) -> None:
    """Remember `choice` (the oldest entries dropped past MAX_CHOICES); a failure is logged."""
    choices = _read_all()
    choices.pop(choice_key(model_sha256), None)
    choices[choice_key(model_sha256)] = choice.as_dict()
    while len(choices) > MAX_CHOICES:
        choices.pop(next(iter(choices)))
    try:
        _choices_path().parent.mkdir(parents=True, exist_ok=True)
        write_atomic(_choices_path(), json.dumps(choices, indent=1), overwrite=True)
    except OSError as error:
        logger.warning("could not remember the engine choice: %s", error.strerror or error)


def pays_off(choice: EngineChoice, expected_images: int | None) -> bool:
    """Whether the chosen engine's start (session opening: OpenVINO compiles the model) is
    won back over `expected_images` images (None: a long run, always) against onnxruntime CPU."""
    chosen, cpu = choice.timing(choice.engine), choice.timing(CPU_ENGINE.name)
    if expected_images is None or chosen is None or cpu is None or cpu.ms is None \
            or chosen.ms is None or chosen.load_ms is None:
        return True
    return expected_images * (cpu.ms - chosen.ms) > chosen.load_ms


def resolve_engine(requested: str | None, model_sha256: str,
                   expected_images: int | None = None) -> Engine:
    """The engine to open a model on: the one asked for, or for "auto" the measured choice
    (when there is one, it is still available and it pays off for `expected_images`), else the
    classic rule."""
    if requested not in (None, "", "auto"):
        return engines.find_engine(requested)
    choice = cached_choice(model_sha256)
    if choice is not None and not pays_off(choice, expected_images):
        logger.info("auto: %s, not %s: its start would not pay off over %s images",
                    CPU_ENGINE.name, choice.engine, expected_images)
        return CPU_ENGINE
    if choice is not None and choice.engine != CPU_ENGINE.name:
        try:
            return engines.find_engine(choice.engine)
        except ModelError:
            logger.info("the engine measured fastest (%s) is gone; choosing again", choice.engine)
    elif choice is not None:
        return CPU_ENGINE
    provider = resolve_providers("auto")[0]
    return next((e for e in engines.available_engines(with_plugins=False)
                 if e.provider == provider), CPU_ENGINE)
