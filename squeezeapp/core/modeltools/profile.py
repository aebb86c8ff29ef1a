"""What a user choosing a model wants to know: how fast it is and how accurate, side by side.

`model_profile(path)` reads what the model's metadata states (the fast int8 model carries its
held-out accuracy and its speed-up over float, measured when it was built: see
quantize.build_fast_model) and, with `measure=True`, times it on this machine.
`side_by_side(paths)` profiles several models and gives a float model the held-out figures its
int8 copy measured for it (matched by the copy's `source_sha256`), so both rows can be compared.
The Model menu shows `ModelProfile.menu_label` (and `summary` as the tooltip); `squeezeapp
models list` shows `display_name` and `summary`. Names follow core.model_names' one rule.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from squeezeapp.core.common.errors import ModelError
from squeezeapp.core.common.hashing import file_sha256
from squeezeapp.core.measure.timing import interleave
from squeezeapp.core.models.lookup import local_model_paths, read_sidecar
from squeezeapp.core.models.names import MODEL_NAME_KEY, display_name
from squeezeapp.core.models.onnx_header import HeaderError, read_header

logger = logging.getLogger(__name__)

# Metadata keys build_fast_model writes (here, not in quantize.py, so that reading a profile
# never imports onnxruntime's quantisation tooling: the GUI and the frozen app read profiles).
ACCURACY_KEY = "accuracy"  # held-out evaluation (JSON)
SPEED_KEY = "speed"  # speed-up over the float source, measured at build time (JSON)
SOURCE_SHA256_KEY = "source_sha256"  # the float model a quantised copy was made from


@dataclass(frozen=True)
class ModelProfile:
    name: str  # the model's identifier (`model_name`, else the file's stem)
    display_name: str  # what people read (core.model_names)
    path: Path
    precision: str  # "int8" or "float32"
    top1: float | None = None  # held-out photos, as stated in the metadata
    top5: float | None = None
    float_top1: float | None = None  # its float source on the same photos
    float_top5: float | None = None
    held_out_photos: int | None = None
    speedup: float | None = None  # over its float source, 1 thread, measured at build time
    ms_per_image: float | None = None  # measured here (measure=True): 1-thread classify p50
    error: str | None = None  # why the model cannot be used
    source_sha256: str | None = None  # a quantised copy: the float model it was made from

    @property
    def menu_label(self) -> str:
        """Short, for a menu item: 'SqueezeNet 1.1 (fast, int8) — 66 % top-1 held-out · 1.5×
        faster'; a float model measured through its int8 copy says 'reference speed'."""
        if self.error:
            return f"{self.display_name} — unusable"
        parts = []
        if self.top1 is not None:
            parts.append(f"{_percent(self.top1)} top-1 held-out")
        elif self.ms_per_image is not None:  # timed here: say that accuracy is not known
            parts.append("accuracy not stated")
        if self.speedup is not None:
            parts.append("reference speed" if self.speedup == 1.0
                         else f"{speedup_text(self.speedup)} faster")
        if self.ms_per_image is not None:
            parts.append(f"{self.ms_per_image:.1f} ms/image here")
        return f"{self.display_name} — {' · '.join(parts)}" if parts else self.display_name

    @property
    def summary(self) -> str:
        """One line for a listing or a tooltip, e.g. 'int8; 1.9× the float model's speed (1
        thread, at build); top-1 66 %, top-5 90 % on 50 held-out photos (float: top-1 66 %);
        1.71 ms/image on 1 thread here'."""
        if self.error:
            return f"unusable: {self.error}"
        parts = [self.precision]
        if self.speedup == 1.0:
            parts.append("reference speed")
        elif self.speedup is not None:
            parts.append(f"{speedup_text(self.speedup)} the float model's speed (1 thread, "
                         "at build)")
        if self.top1 is not None:
            accuracy = f"top-1 {_percent(self.top1)}"
            if self.top5 is not None:
                accuracy += f", top-5 {_percent(self.top5)}"
            accuracy += f" on {self.held_out_photos} held-out photos"
            if self.float_top1 is not None:
                accuracy += f" (float: top-1 {_percent(self.float_top1)})"
            parts.append(accuracy)
        if self.ms_per_image is not None:
            parts.append(f"{self.ms_per_image:.2f} ms/image on 1 thread here")
        return "; ".join(parts)


def model_profile(path: Path, measure: bool = False) -> ModelProfile:
    """A model's profile from its metadata; `measure` also times it here (about 0.3 s).
    Read without `onnx` (onnx_header): the window lists models while its first one loads."""
    try:
        header = read_header(path)
    except (ModelError, HeaderError) as error:  # size, kind and start checked (model_file)
        return ModelProfile(path.stem, display_name(path), path, "?",
                            error=f"not readable ({error})")
    meta = header.metadata
    int8 = bool(header.op_types & {"QuantizeLinear", "QLinearConv", "ConvInteger"})
    try:
        sidecar = read_sidecar(path)
    except ModelError:  # loading the model says what is wrong with it
        sidecar = {}
    name = meta.get(MODEL_NAME_KEY) or path.stem
    accuracy = _json(meta.get(ACCURACY_KEY))
    speed = _json(meta.get(SPEED_KEY))
    profile = ModelProfile(
        name=name, display_name=display_name(path, meta, sidecar), path=path,
        precision="int8" if int8 else "float32",
        top1=accuracy.get("top1"), top5=accuracy.get("top5"),
        float_top1=accuracy.get("float_top1"), float_top5=accuracy.get("float_top5"),
        held_out_photos=accuracy.get("held_out_photos"),
        speedup=speed.get("speedup_1thread"), source_sha256=meta.get(SOURCE_SHA256_KEY),
    )
    if not measure:
        return profile
    try:
        ms = _time_one_thread(path)
    except ModelError as error:
        return dataclasses.replace(profile, error=str(error))
    return dataclasses.replace(profile, ms_per_image=ms)


def side_by_side(paths: list[Path], measure: bool = False,
                 cache: ProfileCache | None = None,
                 stop: threading.Event | None = None) -> list[ModelProfile]:
    """Profiles of `paths`, in order; a float model that an int8 copy among them was made from
    gets that copy's held-out figures for the float model (`float_top1`, same photos) and
    speed-up 1.0, so a menu or listing compares the two on the same terms (each keeps its own
    name: the one rule). A `cache` reads only changed files (and does not measure)."""
    def timing() -> bool:  # a window that is closing stops timing (profiles stay quick)
        return measure and not (stop is not None and stop.is_set())

    profiles = [(cache.measured(path) if timing() else cache(path)) if cache
                else model_profile(path, timing()) for path in paths]
    copies = {p.source_sha256: p for p in profiles if p.source_sha256 and p.top1 is not None}
    if not copies:
        return profiles
    digest = cache.sha256 if cache else file_sha256
    return [_with_copy_figures(profile, copies, digest) for profile in profiles]


def local_profiles(cache: ProfileCache | None = None, measure: bool = False,
                   stop: threading.Event | None = None) -> list[ModelProfile]:
    """Every local model (the Model menu's list), side by side; `measure` also times each
    here (once per file with a cache). Reads files: not on a GUI thread."""
    return side_by_side(local_model_paths(), measure=measure, cache=cache, stop=stop)


class ProfileCache:
    """`model_profile` and the file's SHA-256, read again only when the file's size or time
    changes: the Model menu lists the models each time it opens. One thread at a time."""

    def __init__(self) -> None:
        self._known: dict[Path, tuple[tuple[int, int], ModelProfile]] = {}
        self._timed: dict[Path, tuple[tuple[int, int], ModelProfile]] = {}
        self._digests: dict[Path, tuple[tuple[int, int], str]] = {}

    def __call__(self, path: Path) -> ModelProfile:
        return self._get(self._known, path, model_profile)

    def measured(self, path: Path) -> ModelProfile:
        """The profile with the time per image measured here (about 0.3 s, once per file)."""
        return self._get(self._timed, path, lambda p: model_profile(p, measure=True))

    def sha256(self, path: Path) -> str:
        return self._get(self._digests, path, file_sha256)

    @staticmethod
    def _get(memo: dict, path: Path, compute: Callable[[Path], Any]) -> Any:
        try:
            info = path.stat()
        except OSError:  # gone or unreadable: model_profile says so, file_sha256 raises
            return compute(path)
        stamp = (info.st_size, info.st_mtime_ns)
        known = memo.get(path)
        if known is not None and known[0] == stamp:
            return known[1]
        value = compute(path)
        memo[path] = (stamp, value)
        return value


def _with_copy_figures(profile: ModelProfile, copies: dict[str, ModelProfile],
                       digest: Callable[[Path], str]) -> ModelProfile:
    if profile.error or profile.precision != "float32" or profile.top1 is not None:
        return profile
    try:
        copy = copies.get(digest(profile.path))
    except OSError:
        return profile
    if copy is None:
        return profile
    return dataclasses.replace(profile, top1=copy.float_top1, top5=copy.float_top5, speedup=1.0,
                               held_out_photos=copy.held_out_photos)


def speedup_text(speedup: float) -> str:
    """A speed-up as the Model menu and `squeezeapp models list` both write it: '2.0×'."""
    return f"{speedup:.1f}×"


def _percent(share: float) -> str:
    return f"{share * 100:.0f} %"


def _json(raw: str | None) -> dict:
    try:
        value = json.loads(raw) if raw else {}
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _time_one_thread(path: Path) -> float:
    from squeezeapp.core.inference.classifier import Classifier, SessionSettings

    classifier = Classifier.load(path, SessionSettings(threads=1, provider="cpu"))
    frame = np.full((480, 640, 3), 128, np.uint8)
    timed = interleave({"classify": lambda: classifier.classify(frame)}, rounds=3, block=15,
                       warmup=5)
    return timed["classify"].p50
