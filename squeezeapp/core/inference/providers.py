"""Choosing onnxruntime execution providers: the best available, or the one the user forces."""

from __future__ import annotations

import logging

import onnxruntime as ort

from squeezeapp.core.common.errors import ModelError

logger = logging.getLogger(__name__)

CPU = "CPUExecutionProvider"
# Preference order for "auto": accelerators first, CPU last. Azure is a remote-call provider.
PREFERRED = (
    "TensorrtExecutionProvider",
    "CUDAExecutionProvider",
    "DmlExecutionProvider",
    "CoreMLExecutionProvider",
    "OpenVINOExecutionProvider",
    CPU,
)
_ALIASES = {
    "cpu": CPU,
    "cuda": "CUDAExecutionProvider",
    "tensorrt": "TensorrtExecutionProvider",
    "dml": "DmlExecutionProvider",
    "directml": "DmlExecutionProvider",
    "coreml": "CoreMLExecutionProvider",
    "openvino": "OpenVINOExecutionProvider",
}


def available_providers() -> list[str]:
    return list(ort.get_available_providers())


def short_name(provider: str) -> str:
    return provider.removesuffix("ExecutionProvider")


def provider_choices() -> list[str]:
    """Names accepted by --provider: 'auto' plus short names of the installed providers."""
    installed = set(available_providers())
    return ["auto"] + [alias for alias, full in _ALIASES.items()
                       if full in installed and alias not in ("directml",)]


def resolve_providers(requested: str | None) -> list[str]:
    """Providers to hand to InferenceSession, best first, always ending with CPU."""
    installed = available_providers()
    if requested in (None, "", "auto"):
        chosen = [p for p in PREFERRED if p in installed]
        return chosen or [CPU]
    full = _ALIASES.get(requested.lower(), requested)
    if full not in installed:
        names = ", ".join(short_name(p) for p in installed)
        raise ModelError(f"execution provider '{requested}' is not available (installed: {names})")
    return [full] if full == CPU else [full, CPU]
