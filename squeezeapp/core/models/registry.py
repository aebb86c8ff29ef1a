"""Models we know by checksum: where to download them and how to use them without metadata.

The ONNX Model Zoo file carries no labels or pre-processing metadata, so the facts live here.
Figures are from ../shared/models/README.md.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from squeezeapp.core.models.spec import OutputKind, PreprocessSpec, ResizeMode

BASE_URL_ENV = "SQUEEZEAPP_MODEL_BASE_URL"

TORCHVISION_PREPROCESS = PreprocessSpec(
    size=224,
    resize=256,
    color="RGB",
    scale=1 / 255,
    mean=(0.485, 0.456, 0.406),
    std=(0.229, 0.224, 0.225),
)
# Caffe's ImageNet recipe squashed every picture to 256×256 before cropping 227: fed that way
# the Caffe weights score 69 % top-1 on the shared photos, against 64 % resizing the shorter side
CAFFE_PREPROCESS = PreprocessSpec(
    size=227, resize=256, color="BGR", scale=1.0, mean=(104.0, 117.0, 123.0), std=(1.0, 1.0, 1.0),
    resize_mode=ResizeMode.SQUASH,
)


@dataclass(frozen=True)
class RemoteFile:
    """A file to download: its canonical URL, expected size and SHA-256."""

    url: str
    size: int | None  # None where the publisher does not state it; the checksum still binds
    sha256: str

    @property
    def filename(self) -> str:
        return self.url.rsplit("/", 1)[-1]

    def resolved_url(self) -> str:
        """The URL to fetch: `$SQUEEZEAPP_MODEL_BASE_URL/<filename>` when a mirror is set."""
        mirror = os.environ.get(BASE_URL_ENV, "").strip()
        return f"{mirror.rstrip('/')}/{self.filename}" if mirror else self.url


@dataclass(frozen=True)
class KnownModel:
    """A model recognised by the SHA-256 of its file; downloadable when `model` is set."""

    name: str
    description: str
    sha256: str
    preprocess: PreprocessSpec
    output_kind: OutputKind | None
    licence: str
    model: RemoteFile | None = None
    labels: RemoteFile | None = None
    extra_sha256: tuple[str, ...] = field(default=())

    @property
    def downloadable(self) -> bool:
        return self.model is not None


ZOO_MODEL = KnownModel(
    name="squeezenet1.1-zoo",
    description="ONNX Model Zoo SqueezeNet 1.1 (MXNet Gluon weights, top-1 56.3 %)",
    sha256="1eeff551a67ae8d565ca33b572fc4b66e3ef357b0eb2863bb9ff47a918cc4088",
    preprocess=TORCHVISION_PREPROCESS,
    output_kind=None,  # zoo files differ: logits or softmax probabilities
    licence="Apache-2.0",
    model=RemoteFile(
        url="https://github.com/onnx/models/raw/main/validated/vision/classification/"
        "squeezenet/model/squeezenet1.1-7.onnx",
        size=4956208,
        sha256="1eeff551a67ae8d565ca33b572fc4b66e3ef357b0eb2863bb9ff47a918cc4088",
    ),
    labels=RemoteFile(
        url="https://github.com/onnx/models/raw/main/validated/vision/classification/synset.txt",
        size=None,
        sha256="acf75ef0abe89694b19056e0796401068b459c457baa30335f240c7692857355",
    ),
)

KNOWN_MODELS: tuple[KnownModel, ...] = (
    ZOO_MODEL,
    KnownModel(
        name="squeezenet1.1",
        description="torchvision squeezenet1_1 ImageNet weights",
        sha256="8482f46dbae3fb0d8bd02a8e56de99b2ee69edab7b65e04186d04ff224826d6e",
        preprocess=TORCHVISION_PREPROCESS,
        output_kind="logits",
        licence="BSD-3-Clause",
    ),
    KnownModel(
        name="squeezenet1.1-caffe",
        description="DeepScale SqueezeNet v1.1 Caffe weights",
        sha256="34001d1ac2b9104c7bddbb9417bc15381d12116d52646a570a73eb10543aca0a",
        preprocess=CAFFE_PREPROCESS,
        output_kind="logits",
        licence="BSD-2-Clause",
    ),
)


def known_by_sha256(sha256: str) -> KnownModel | None:
    return next((m for m in KNOWN_MODELS if sha256 in (m.sha256, *m.extra_sha256)), None)


def downloadable_models() -> tuple[KnownModel, ...]:
    return tuple(m for m in KNOWN_MODELS if m.downloadable)


def known_by_name(name: str) -> KnownModel | None:
    return next((m for m in KNOWN_MODELS if m.name == name), None)
