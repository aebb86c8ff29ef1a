"""The engines a model can run on: onnxruntime's CPU provider, the accelerator providers built
into the installed onnxruntime, and the OpenVINO execution-provider plugin with each device it
finds (CPU, integrated GPU, NPU).

The OpenVINO plugin (`onnxruntime-ep-openvino`, the `openvino` extra) is a separate library that
onnxruntime loads with `register_execution_provider_library`. It is registered only when an
OpenVINO engine is asked for or measured, never on the way to a CPU prediction: loading it costs
tens of milliseconds of start-up.

Privacy: OpenVINO's telemetry is the `openvino-telemetry` Python package that its developer tools
(model conversion, NNCF, benchmark_app) use, opt-in by a consent file. The plugin wheel ships no
such package and its runtime libraries only carry the front-end hook that a host would have to
register a sender with; squeezeapp neither installs nor imports it (tests/cli/test_privacy.py
runs the plugin under strace and checks for connections, files and the module).
"""

from __future__ import annotations

import importlib.util
import json
import logging
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import onnxruntime as ort

from squeezeapp.core.common.errors import ModelError
from squeezeapp.core.inference.providers import CPU, PREFERRED, short_name

logger = logging.getLogger(__name__)

OPENVINO = "OpenVINOExecutionProvider"
OPENVINO_MODULE = "onnxruntime_ep_openvino"
_REGISTRATION_NAME = "squeezeapp-openvino"
_CLASSIC_ALIASES = {"TensorrtExecutionProvider": "tensorrt", "CUDAExecutionProvider": "cuda",
                    "DmlExecutionProvider": "dml", "CoreMLExecutionProvider": "coreml",
                    OPENVINO: "openvino", CPU: "cpu"}


@dataclass(frozen=True)
class Engine:
    """One way to run a model: an onnxruntime provider, and for a plugin, one of its devices."""

    name: str  # what --provider and the settings take: "cpu", "openvino-cpu", "cuda", ...
    label: str  # what people read: "onnxruntime CPU", "OpenVINO CPU"
    provider: str  # the onnxruntime execution provider
    device: str | None = None  # a plugin's device ("CPU", "GPU", "NPU"), else None

    @property
    def short_provider(self) -> str:
        return short_name(self.provider)

    @property
    def serial_runs(self) -> bool:
        """Whether a session runs one inference at a time (a plugin device's: one OpenVINO
        infer request), so that a second thread calling it only waits."""
        return self.device is not None

    @property
    def on_cpu(self) -> bool:
        """Whether it computes on the CPU cores (so that it competes with decoding for them)."""
        return self.provider == CPU or self.device == "CPU"


CPU_ENGINE = Engine("cpu", "onnxruntime CPU", CPU)

_lock = threading.Lock()
_openvino_state: dict[str, Any] = {}


def openvino_installed() -> bool:
    """Whether the OpenVINO plugin package is installed (without loading it)."""
    return importlib.util.find_spec(OPENVINO_MODULE) is not None


def register_openvino() -> bool:
    """Register the OpenVINO plugin with onnxruntime once per process; False (logged once) when
    it is not installed or does not load."""
    with _lock:
        if "registered" in _openvino_state:
            return bool(_openvino_state["registered"])
        registered = False
        if openvino_installed():
            try:
                plugin = importlib.import_module(OPENVINO_MODULE)
                ort.register_execution_provider_library(_REGISTRATION_NAME,
                                                        plugin.get_library_path())
                registered = True
                _openvino_state["version"] = _plugin_version()
            except Exception as error:  # a plugin built for another onnxruntime, a missing .so
                logger.warning("the OpenVINO plugin did not load: %s", error)
        _openvino_state["registered"] = registered
        return registered


def openvino_identity() -> str:
    """Which OpenVINO plugin is installed ("" for none), found without importing it or
    importlib.metadata: its library's size and time (a new version is a new file)."""
    spec = importlib.util.find_spec(OPENVINO_MODULE)
    if spec is None or not spec.origin:
        return ""
    try:
        folder = Path(spec.origin).parent
        library = next(iter(sorted(folder.glob("*providers_openvino_plugin*"))), None)
        info = (library or folder).stat()
    except OSError:
        return "unreadable"
    return f"{info.st_size}-{info.st_mtime_ns}"


def openvino_version() -> str | None:
    """The plugin's version once registered (else None)."""
    return _openvino_state.get("version")


def _plugin_version() -> str | None:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("onnxruntime-ep-openvino")
    except PackageNotFoundError:
        return None


def _openvino_devices() -> list[Any]:
    """OpenVINO's devices as onnxruntime lists them (the AUTO meta-device left out: squeezeapp
    measures and chooses itself)."""
    if not register_openvino():
        return []
    return [device for device in ort.get_ep_devices()
            if device.ep_name == OPENVINO and "ov_meta_device" not in device.ep_metadata]


def available_engines(with_plugins: bool = True) -> list[Engine]:
    """Every engine this machine can run, onnxruntime CPU first. `with_plugins=False` lists only
    what needs no plugin loading (cheap: for menus built at start-up)."""
    installed = ort.get_available_providers()
    engines = [CPU_ENGINE]
    for provider in PREFERRED:
        if provider in installed and provider not in (CPU, OPENVINO):
            engines.append(Engine(_CLASSIC_ALIASES[provider], short_name(provider), provider))
    if OPENVINO in installed and not _openvino_state.get("registered"):  # an OpenVINO build
        engines.append(Engine("openvino", "OpenVINO", OPENVINO))
    if with_plugins:
        for device in _openvino_devices():
            kind = str(device.ep_metadata.get("ov_device", "CPU"))
            engines.append(Engine(f"openvino-{kind.lower()}", f"OpenVINO {kind}", OPENVINO, kind))
    return engines


def engine_label(name: str) -> str:
    """An engine's label from its name alone (no plugin loading): for menus built at start."""
    if name == CPU_ENGINE.name:
        return CPU_ENGINE.label
    if name.startswith("openvino"):
        device = name.partition("-")[2].upper() or "CPU"
        return f"OpenVINO {device}"
    return short_name(next((p for p, alias in _CLASSIC_ALIASES.items() if alias == name), name))


def engine_names() -> list[str]:
    """What --provider accepts: 'auto' and every engine's name (plugins included when
    installed, listed by the devices OpenVINO usually has without loading it)."""
    names = ["auto", *(engine.name for engine in available_engines(with_plugins=False))]
    if openvino_installed():
        names += ["openvino", "openvino-cpu", "openvino-gpu", "openvino-npu"]
    return list(dict.fromkeys(names))


def find_engine(name: str) -> Engine:
    """The engine called `name` ("openvino" is OpenVINO's CPU device); ModelError when this
    machine has none by that name."""
    wanted = name.lower()
    if wanted in ("openvino", "openvino-cpu") and openvino_installed():
        wanted = "openvino-cpu"
    plugins = wanted.startswith("openvino-") or (wanted == "openvino" and openvino_installed())
    engines = available_engines(with_plugins=plugins)
    by_provider = {engine.provider.lower(): engine for engine in engines}
    engine = next((e for e in engines if e.name == wanted), None) or by_provider.get(wanted)
    if engine is None:
        names = ", ".join(e.name for e in available_engines(with_plugins=openvino_installed()))
        raise ModelError(f"execution provider '{name}' is not available (available: {names})")
    return engine


def configure(engine: Engine, options: ort.SessionOptions,
              threads: int | None = None) -> list[str] | None:
    """Set `options` up for `engine`: the providers list for InferenceSession, or None where the
    engine's device was added to the options (plugins). `threads` reaches OpenVINO's CPU device
    through its own load_config (it ignores onnxruntime's thread settings): the folder pipeline
    runs it on one unpinned thread beside the decoding (docs/performance.md)."""
    if engine.device is None:
        return [engine.provider] if engine.provider == CPU else [engine.provider, CPU]
    devices = [device for device in _openvino_devices()
               if str(device.ep_metadata.get("ov_device")) == engine.device]
    if not devices:
        raise ModelError(f"{engine.label} is not available on this machine")
    plugin_options: dict[str, str] = {}
    if engine.device == "CPU":
        # Pinned OpenVINO threads fight the app's own (decoding, capture, the GUI) for the same
        # cores: folder throughput 338 images/s pinned, 537–551 not (2 cores, 1 inference
        # thread, before the one-crop-at-a-time rule of the image workers).
        config = {"ENABLE_CPU_PINNING": "NO"}
        if threads:
            config |= {"INFERENCE_NUM_THREADS": str(threads), "NUM_STREAMS": "1"}
        plugin_options["load_config"] = json.dumps({"CPU": config})
    options.add_provider_for_devices(devices[:1], plugin_options)
    return None
