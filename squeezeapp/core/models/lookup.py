"""Finding model files by name or path, and working out their labels and pre-processing.

Lookup order for a NAME: $SQUEEZEAPP_MODEL_DIR, the bundled resources/models/, the user cache.
When the default model is nowhere, a registry model already in the user cache stands in for it
(one the user downloaded), so that a download is used without naming it each time.
Facts about a model come, in order, from its ONNX metadata, a sidecar `<stem>.json` (plus an
optional `<stem>.labels.txt` or `synset.txt`), or the registry entry of its SHA-256.
"""

from __future__ import annotations

import logging
import os
import stat
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from squeezeapp.core.common.errors import ModelError
from squeezeapp.core.common.files import short_path
from squeezeapp.core.common.hashing import file_sha256
from squeezeapp.core.common.limits import MAX_JSON_BYTES, load_bounded_json
from squeezeapp.core.models.labels import read_labels_file
from squeezeapp.core.models.names import MODEL_NAME_KEY, display_name
from squeezeapp.core.models.paths import (
    DEFAULT_MODEL_ENV,
    bundled_models_dir,
    model_search_dirs,
    user_models_dir,
)
from squeezeapp.core.models.registry import KNOWN_MODELS, known_by_sha256
from squeezeapp.core.models.spec import (
    MAX_CLASSES,
    MIN_CLASSES,
    ModelSpec,
    OutputKind,
    PreprocessSpec,
)

logger = logging.getLogger(__name__)

DEFAULT_MODEL_NAME = "squeezenet1.1"
MODEL_SUFFIX = ".onnx"
FAST_SUFFIX = "-int8"  # a quantised copy: <float model's stem>-int8.onnx
_LABEL_FILES = ("{stem}.labels.txt", "{stem}.synset.txt", "synset.txt", "labels.txt")


@dataclass(frozen=True)
class LocalModel:
    """A model file found on this machine."""

    name: str
    path: Path
    size: int
    sha256: str
    error: str | None = None  # why the file could not be read; the listing goes on

# what a "not found" error adds for the command line (the window offers buttons instead)
COMMAND_LINE_ADVICE = ("; pass --model PATH, set SQUEEZEAPP_MODEL_DIR, or run "
                       "'squeezeapp models download squeezenet1.1-zoo'")


def default_model_request() -> str:
    return os.environ.get(DEFAULT_MODEL_ENV) or DEFAULT_MODEL_NAME


@dataclass(frozen=True)
class ModelLookup:
    """Where a model request led: the file, and the default name it stands in for when the
    default model was not found and a cached registry model is used instead (else None)."""

    path: Path
    stands_in_for: str | None = None


def resolve_model_path(name_or_path: str | os.PathLike[str] | None = None) -> Path:
    """The model file for a name (looked up in the search folders) or a path."""
    return find_model(name_or_path).path


def find_model(name_or_path: str | os.PathLike[str] | None = None) -> ModelLookup:
    """`resolve_model_path`, saying whether a cached model stands in for the default one."""
    request = os.fspath(name_or_path) if name_or_path else default_model_request()
    candidate = Path(request).expanduser()
    if candidate.is_file():
        return ModelLookup(candidate)
    looks_like_path = (candidate.suffix.lower() == MODEL_SUFFIX
                       or "/" in request or os.sep in request)
    # a bare name is looked up in the model folders even where a folder of that name is here
    if looks_like_path or (candidate.exists() and not candidate.is_dir()):
        if candidate.exists():  # a FIFO, a device (a link to /dev/zero), a folder
            raise ModelError(f"{short_path(candidate)}: {_kind(candidate)}, not a model file")
        raise ModelError(f"model file not found: {short_path(candidate)}")
    for folder in model_search_dirs():
        path = folder / f"{request}{MODEL_SUFFIX}"
        if path.is_file():
            return ModelLookup(path)
    if not name_or_path and request == DEFAULT_MODEL_NAME:
        # a bundle built without the shared models carries the zoo file (and its int8 copy)
        shipped = sorted(bundled_models_dir().glob(f"*{MODEL_SUFFIX}"),
                         key=lambda path: (path.stem.endswith(FAST_SUFFIX), path.name))
        if shipped:
            return ModelLookup(shipped[0])
        cached = cached_registry_model()
        if cached is not None:
            logger.info("model '%s' not found; using %s from the user cache (%s)",
                        request, cached.stem, cached)
            return ModelLookup(cached, request)
    searched = ", ".join(str(d) for d in model_search_dirs())
    raise ModelError(f"model '{request}' not found (searched {searched}){COMMAND_LINE_ADVICE}")


def _kind(path: Path) -> str:
    """What a path that exists but is not a regular file is, in words."""
    try:
        mode = path.stat().st_mode
    except OSError as error:
        return f"cannot be read ({error.strerror or error})"
    kinds = ((stat.S_ISDIR, "a folder"), (stat.S_ISFIFO, "a FIFO"),
             (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
             (stat.S_ISSOCK, "a socket"))
    return next((name for test, name in kinds if test(mode)), "a special file")


def cached_registry_model() -> Path | None:
    """A registry model already in the user cache (a download): the default one first, then
    in registry order; None when there is none. A model asked for by name never comes here."""
    names = sorted((known.name for known in KNOWN_MODELS), key=lambda n: n != DEFAULT_MODEL_NAME)
    folder = user_models_dir()
    return next((path for name in names
                 if (path := folder / f"{name}{MODEL_SUFFIX}").is_file()), None)


def local_model_paths() -> list[Path]:
    """Every .onnx file in the search folders; a name found twice is listed where it wins."""
    found: dict[str, Path] = {}
    for folder in model_search_dirs():
        try:
            candidates = sorted(folder.glob(f"*{MODEL_SUFFIX}")) if folder.is_dir() else []
        except OSError as error:  # an unreadable folder hides nothing else
            logger.warning("cannot list models in %s: %s", folder, error.strerror or error)
            continue
        for path in candidates:
            if path.is_file():
                found.setdefault(path.stem, path)
    return list(found.values())


def list_local_models() -> list[LocalModel]:
    """`local_model_paths()` with sizes and checksums (reads every file); a file that cannot
    be read is listed with its error instead of ending the listing."""
    return [_local_model(path) for path in local_model_paths()]


def _local_model(path: Path) -> LocalModel:
    try:
        return LocalModel(path.stem, path, path.stat().st_size, file_sha256(path))
    except OSError as error:
        return LocalModel(path.stem, path, 0, "", f"cannot read ({error.strerror or error})")


def model_metadata(model: Any, path: Path) -> dict[str, str]:
    """The custom metadata of an ONNX ModelProto; bytes that are not UTF-8 (a damaged file) make
    it a ModelError (protobuf hands such proto2 strings back as bytes, or raises)."""
    try:
        metadata = {entry.key: entry.value for entry in model.metadata_props}
    except UnicodeDecodeError:
        metadata = {"": b""}
    if not all(isinstance(text, str) for item in metadata.items() for text in item):
        raise ModelError(f"{path.name}: its metadata is not valid UTF-8 (damaged file?)")
    return metadata


def build_spec(
    path: Path,
    metadata: dict[str, str],
    inputs: list[tuple[str, list[Any]]],
    outputs: list[tuple[str, list[Any]]],
    sha256: str | None = None,
) -> ModelSpec:
    """Validate a model's interface and gather its labels and pre-processing (`sha256`: the
    file's, when the caller has just computed it)."""
    sha256 = sha256 or file_sha256(path)
    sidecar = read_sidecar(path)
    known = known_by_sha256(sha256)
    if len(inputs) != 1:
        raise ModelError(f"{path.name}: expected one image input, found {len(inputs)}")
    if not outputs:
        raise ModelError(f"{path.name}: the model has no output")
    input_name, input_shape = inputs[0]
    output_name, output_shape = outputs[0]

    preprocess, source = _preprocess(path, metadata, sidecar, known)
    _check_input_shape(path, input_shape, preprocess)
    labels, wnids = _labels(path, metadata, sidecar)
    if not MIN_CLASSES <= len(labels) <= MAX_CLASSES:
        raise ModelError(f"{path.name}: {len(labels)} labels found; a classifier needs "
                         f"{MIN_CLASSES}…{MAX_CLASSES:,}")
    _check_output_shape(path, output_shape, len(labels))
    if len(wnids) != len(labels):
        wnids = ("",) * len(labels)
    name = metadata.get(MODEL_NAME_KEY) or sidecar.get(MODEL_NAME_KEY) or path.stem
    return ModelSpec(
        name=str(name),
        display_name=display_name(path, metadata, sidecar),
        path=path,
        sha256=sha256,
        labels=labels,
        wnids=wnids,
        preprocess=preprocess,
        output_kind=_output_kind(metadata, sidecar, known, output_name),
        input_name=input_name,
        output_name=output_name,
        input_shape=tuple(input_shape),
        source=source,
    )


def read_sidecar(path: Path) -> dict[str, Any]:
    """The facts a `<stem>.json` beside the model states ({} without one); ModelError when it
    cannot be read or is not a JSON object."""
    sidecar = path.with_suffix(".json")
    if not sidecar.is_file():
        return {}
    try:
        if sidecar.stat().st_size > MAX_JSON_BYTES:
            raise ModelError(f"{sidecar}: larger than the {MAX_JSON_BYTES:,}-byte limit")
        text = sidecar.read_text(encoding="utf-8")
    except (OSError, ValueError) as error:
        raise ModelError(f"{sidecar}: not readable ({error})") from None
    data = load_bounded_json(text, str(sidecar))
    if not isinstance(data, dict):
        raise ModelError(f"{sidecar}: expected a JSON object")
    return data


def _json_field(path: Path, metadata: dict[str, str], key: str) -> Any:
    raw = metadata.get(key)
    if raw is None:
        return None
    return load_bounded_json(raw, f"{path.name}: metadata '{key}'")


def _preprocess(path, metadata, sidecar, known) -> tuple[PreprocessSpec, str]:
    from_metadata = _json_field(path, metadata, "preprocess")
    if isinstance(from_metadata, dict):
        spec = PreprocessSpec.from_mapping(from_metadata, f"{path.name} metadata")
        return _known_resize_mode(spec, from_metadata, known), "metadata"
    if isinstance(sidecar.get("preprocess"), dict):
        spec = PreprocessSpec.from_mapping(sidecar["preprocess"], f"{path.stem}.json")
        return _known_resize_mode(spec, sidecar["preprocess"], known), "sidecar"
    if known is not None:
        return known.preprocess, "registry"
    raise ModelError(
        f"{path.name}: no pre-processing known: add 'preprocess' to its ONNX metadata or to a "
        f"sidecar {path.stem}.json (keys size, resize, color, scale, mean, std)"
    )


def _known_resize_mode(spec: PreprocessSpec, declared: dict[str, Any], known) -> PreprocessSpec:
    """A file's own `preprocess` that does not state a resize mode takes its registry entry's
    (the shared Caffe file predates the key; the registry knows it squashes by its sha256)."""
    if "resize_mode" in declared or known is None:
        return spec
    return replace(spec, resize_mode=known.preprocess.resize_mode)


def _labels(path, metadata, sidecar) -> tuple[tuple[str, ...], tuple[str, ...]]:
    labels = _json_field(path, metadata, "labels")
    wnids = _json_field(path, metadata, "wnids")
    if not isinstance(labels, list):
        labels, wnids = sidecar.get("labels"), sidecar.get("wnids")
    if isinstance(labels, list):
        return tuple(map(str, labels)), tuple(map(str, wnids)) if isinstance(wnids, list) else ()
    for pattern in _LABEL_FILES:
        candidate = path.with_name(pattern.format(stem=path.stem))
        if candidate.is_file():
            return read_labels_file(candidate)
    raise ModelError(
        f"{path.name}: no class labels: add 'labels' to its ONNX metadata or sidecar "
        f"{path.stem}.json, or put {path.stem}.labels.txt (one label or '<wnid> <label>' a line) "
        "beside it"
    )


def _output_kind(metadata, sidecar, known, output_name: str) -> OutputKind | None:
    declared = metadata.get("output") or sidecar.get("output")
    if declared in ("logits", "probabilities"):
        return declared
    if known is not None and known.output_kind:
        return known.output_kind
    if "softmax" in output_name.lower() or "prob" in output_name.lower():
        return "probabilities"
    return None


def _check_input_shape(path: Path, shape: list[Any], preprocess: PreprocessSpec) -> None:
    expected = f"[N,3,{preprocess.size},{preprocess.size}]"
    if len(shape) != 4:
        raise ModelError(f"{path.name}: input shape {shape} is not an image batch {expected}")
    if isinstance(shape[0], int) and shape[0] > 1:
        raise ModelError(f"{path.name}: input batch size is fixed at {shape[0]}; squeezeapp "
                         "feeds one image at a time or batches of any size (N or 1)")
    fixed = [(axis, dim) for axis, dim in enumerate(shape) if isinstance(dim, int) and dim > 0]
    wanted = {1: 3, 2: preprocess.size, 3: preprocess.size}
    for axis, dim in fixed:
        if axis in wanted and dim != wanted[axis]:
            raise ModelError(f"{path.name}: input shape {shape} does not match {expected}")


def _check_output_shape(path: Path, shape: list[Any], classes: int) -> None:
    """The output must hold one score per label (where its shape says; else checked on the
    first inference)."""
    per_image = shape[1:]
    if not per_image:
        raise ModelError(f"{path.name}: output shape {shape} is not [N,{classes}]")
    if all(isinstance(d, int) and d > 0 for d in per_image):
        count = 1
        for dim in per_image:
            count *= dim
        if count != classes:
            raise ModelError(
                f"{path.name}: output shape {shape} has {count} classes but there are "
                f"{classes} labels"
            )
