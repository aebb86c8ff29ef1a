"""Rewritten models kept in the user cache, so that a prediction never waits for `import onnx`.

Rewriting a graph (graph_rewrite) needs the `onnx` package, whose import alone costs more than
half a second (its ml_dtypes extension). The rewritten model depends only on the model file, the
onnxruntime version that will run it and the rewrite recipe, so it is built once and kept in
`<user cache>/prepared/`, with what the classifier needs to know about it (the file's metadata
and interface, the rewrite's facts). Later loads read that entry and hand the bytes to
onnxruntime: no `onnx` import.

An entry is one file: a magic line, the length of a JSON header, the header, the model bytes.
The header repeats the key's parts and the model bytes' SHA-256, checked on every load; an entry
that is truncated, garbage, or made for another file, onnxruntime or recipe is ignored (and
replaced by the rebuild). Entries are written atomically (core.common.files) and the folder is
bounded (oldest entries removed past `MAX_ENTRIES` or `MAX_TOTAL_BYTES`).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import onnxruntime as ort

from squeezeapp.core.common.files import atomic_writer, remove_stale_parts
from squeezeapp.core.inference.graph_facts import GraphFacts
from squeezeapp.core.models.paths import prepared_models_dir

logger = logging.getLogger(__name__)

# Bump when graph_rewrite changes what it produces (the source's own hash is added where the
# source file exists, so a change in a source tree is never missed; bundles rely on the number).
RECIPE_VERSION = 2  # 2: pooled-feature outputs (teach)
MAGIC = b"squeezeapp prepared model 1\n"
SUFFIX = ".prepared"
MAX_HEADER_BYTES = 1 << 20  # metadata with 1000 labels and wnids takes about 40 KB
MAX_ENTRY_BYTES = 256 << 20  # far above SqueezeNet's 5 MB; a larger model is simply not cached
MAX_ENTRIES = 16
MAX_TOTAL_BYTES = 512 << 20
_HEADER_LENGTH = struct.Struct("<I")

Shape = list[int | str | None]


@dataclass(frozen=True)
class ModelRecord:
    """What the model file says about itself: its custom metadata and its interface."""

    metadata: dict[str, str]
    inputs: list[tuple[str, Shape]]
    outputs: list[tuple[str, Shape]]
    activation_bytes: int | None = None  # check.activation_bytes: checked against the budget

    def as_dict(self) -> dict[str, Any]:
        return {"metadata": self.metadata, "inputs": self.inputs, "outputs": self.outputs,
                "activation_bytes": self.activation_bytes}

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> ModelRecord:
        metadata = raw["metadata"]
        if not isinstance(metadata, dict) or not all(
                isinstance(k, str) and isinstance(v, str) for k, v in metadata.items()):
            raise ValueError("metadata")
        needed = raw.get("activation_bytes")
        if needed is not None and (isinstance(needed, bool) or not isinstance(needed, int)):
            raise ValueError("activation_bytes")
        return cls(metadata, _interface(raw["inputs"]), _interface(raw["outputs"]), needed)


def _interface(raw: Any) -> list[tuple[str, Shape]]:
    if not isinstance(raw, list):
        raise ValueError("interface")
    result = []
    for name, shape in raw:
        if not isinstance(name, str) or not isinstance(shape, list) or not all(
                d is None or isinstance(d, (int, str)) for d in shape):
            raise ValueError("interface")
        result.append((name, list(shape)))
    return result


@dataclass(frozen=True)
class PreparedModel:
    """A rewritten model ready for onnxruntime, and everything needed to use it."""

    record: ModelRecord
    facts: GraphFacts
    preprocess: dict[str, Any]  # the PreprocessSpec it was folded with (as_dict)
    model: bytes


def recipe() -> str:
    """The rewrite recipe's identity: RECIPE_VERSION plus, in a source tree, graph_rewrite.py's
    own hash (read as bytes: importing it would import onnx)."""
    source = Path(__file__).with_name("graph_rewrite.py")
    try:
        digest = hashlib.sha256(source.read_bytes()).hexdigest()[:16]
    except OSError:  # a frozen bundle carries no sources
        digest = "frozen"
    return f"{RECIPE_VERSION}-{digest}"


def key_fields(model_sha256: str, uint8_input: bool, cam_output: bool = True) -> dict[str, Any]:
    """Everything the rewritten model depends on."""
    return {"model_sha256": model_sha256, "onnxruntime": ort.__version__, "recipe": recipe(),
            "uint8_input": uint8_input, "cam_output": cam_output}


def entry_path(fields: dict[str, Any]) -> Path:
    digest = hashlib.sha256(json.dumps(fields, sort_keys=True).encode()).hexdigest()[:32]
    return prepared_models_dir() / f"{digest}{SUFFIX}"


def load(fields: dict[str, Any]) -> PreparedModel | None:
    """The cached entry for `fields`, or None when there is none or it cannot be trusted."""
    path = entry_path(fields)
    try:
        with path.open("rb") as stream:
            size = path.stat().st_size
            if size > MAX_ENTRY_BYTES:
                raise ValueError(f"{size} bytes is over the {MAX_ENTRY_BYTES} limit")
            data = stream.read(MAX_ENTRY_BYTES + 1)
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as error:
        logger.info("prepared model %s not usable (%s); rebuilding it", path.name, error)
        return None
    try:
        prepared = _parse(data, fields)
    except (ValueError, KeyError, TypeError, struct.error, UnicodeDecodeError) as error:
        logger.info("prepared model %s is damaged or stale (%s); rebuilding it", path.name,
                    error or type(error).__name__)
        return None
    with contextlib.suppress(OSError):
        path.touch()  # most recently used: pruned last
    return prepared


def _parse(data: bytes, fields: dict[str, Any]) -> PreparedModel:
    if not data.startswith(MAGIC):
        raise ValueError("not a prepared model")
    offset = len(MAGIC)
    (header_length,) = _HEADER_LENGTH.unpack_from(data, offset)
    offset += _HEADER_LENGTH.size
    if header_length > MAX_HEADER_BYTES or offset + header_length > len(data):
        raise ValueError("truncated header")
    header = json.loads(data[offset:offset + header_length].decode())
    model = data[offset + header_length:]
    if header["key"] != fields:
        raise ValueError("made for another model file, onnxruntime or recipe")
    if header["model_size"] != len(model):
        raise ValueError("truncated model")
    if hashlib.sha256(model).hexdigest() != header["model_sha256"]:
        raise ValueError("model bytes do not match their checksum")
    preprocess = header["preprocess"]
    if not isinstance(preprocess, dict):
        raise ValueError("preprocess")
    return PreparedModel(ModelRecord.from_dict(header["record"]),
                         GraphFacts.from_dict(header["facts"]), preprocess, model)


def store(fields: dict[str, Any], prepared: PreparedModel) -> Path | None:
    """Write the entry (atomically, replacing any old one) and bound the folder; None (and a
    log line) when it could not be written: the model is used all the same."""
    header = json.dumps({
        "key": fields,
        "model_size": len(prepared.model),
        "model_sha256": hashlib.sha256(prepared.model).hexdigest(),
        "record": prepared.record.as_dict(),
        "facts": prepared.facts.as_dict(),
        "preprocess": prepared.preprocess,
    }).encode()
    total = len(MAGIC) + _HEADER_LENGTH.size + len(header) + len(prepared.model)
    if len(header) > MAX_HEADER_BYTES or total > MAX_ENTRY_BYTES:
        logger.info("model too large to keep prepared (%d bytes); it is rewritten each time",
                    total)
        return None
    path = entry_path(fields)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with atomic_writer(path, overwrite=True) as pending:
            pending.stream.write(MAGIC + _HEADER_LENGTH.pack(len(header)) + header)
            pending.stream.write(prepared.model)
    except OSError as error:
        logger.warning("could not keep the prepared model in %s: %s", path.parent,
                       error.strerror or error)
        return None
    prune(path.parent, keep=path)
    return path


def prune(folder: Path, keep: Path | None = None) -> int:
    """Remove the least recently used entries beyond MAX_ENTRIES / MAX_TOTAL_BYTES (never
    `keep`); returns how many were removed."""
    remove_stale_parts(folder)
    entries = []
    with contextlib.suppress(OSError):
        for path in folder.glob(f"*{SUFFIX}"):
            with contextlib.suppress(OSError):
                stat = path.stat()
                entries.append((stat.st_mtime, stat.st_size, path))
    entries.sort(key=lambda entry: (entry[2] != keep, -entry[0]))  # keep first, then newest
    removed, total = 0, 0
    for count, (_, size, path) in enumerate(entries, start=1):
        total += size
        if count > MAX_ENTRIES or (total > MAX_TOTAL_BYTES and path != keep):
            with contextlib.suppress(OSError):
                path.unlink()
                removed += 1
    return removed
