"""An ONNX file's metadata and operator types, read from its protobuf bytes without `onnx`.

The Model menu lists every local model with what its metadata states, and whether it is an int8
copy, while the first model loads: importing `onnx` for that costs 0.5 s or more of CPU (its
ml_dtypes extension) at the very moment the window starts. The few fields needed are read here
straight from the protobuf wire format: ModelProto.metadata_props (14) and graph (7), whose
nodes (1) carry op_type (4). Everything else (the weights) is skipped by its length.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from squeezeapp.core.models.model_file import read_model_bytes

_VARINT, _FIXED64, _LENGTH, _FIXED32 = 0, 1, 2, 5
_MODEL_GRAPH, _MODEL_METADATA = 7, 14
_GRAPH_NODE = 1
_NODE_OP_TYPE = 4
_ENTRY_KEY, _ENTRY_VALUE = 1, 2


class HeaderError(ValueError):
    """The bytes are not a well-formed ONNX model (as far as these fields go)."""


@dataclass(frozen=True)
class OnnxHeader:
    metadata: dict[str, str]
    op_types: frozenset[str]


def read_header(path: Path) -> OnnxHeader:
    """The metadata and op types of an ONNX file, read within model_file's bounds (size, kind,
    start); ModelError from those, HeaderError when the bytes are malformed."""
    return parse_header(read_model_bytes(path))


def parse_header(data: bytes) -> OnnxHeader:
    view = memoryview(data)
    metadata: dict[str, str] = {}
    op_types: set[str] = set()
    for field, value in _fields(view):
        if field == _MODEL_METADATA:
            entry = {number: bytes(part) for number, part in _fields(value)}
            try:
                metadata[entry.get(_ENTRY_KEY, b"").decode()] = \
                    entry.get(_ENTRY_VALUE, b"").decode()
            except UnicodeDecodeError:
                raise HeaderError("metadata is not valid UTF-8") from None
        elif field == _MODEL_GRAPH:
            for graph_field, node in _fields(value):
                if graph_field == _GRAPH_NODE:
                    for node_field, text in _fields(node):
                        if node_field == _NODE_OP_TYPE:
                            op_types.add(bytes(text).decode(errors="replace"))
    return OnnxHeader(metadata, frozenset(op_types))


def _fields(data: memoryview) -> Iterator[tuple[int, memoryview]]:
    """(field number, bytes) of each length-delimited field; other wire types are skipped."""
    position, end = 0, len(data)
    while position < end:
        key, position = _varint(data, position)
        field, wire = key >> 3, key & 7
        if wire == _VARINT:
            _, position = _varint(data, position)
        elif wire == _FIXED64:
            position += 8
        elif wire == _FIXED32:
            position += 4
        elif wire == _LENGTH:
            length, position = _varint(data, position)
            if position + length > end:
                raise HeaderError("truncated")
            yield field, data[position:position + length]
            position += length
        else:
            raise HeaderError(f"unexpected wire type {wire}")
        if field == 0 or position > end:
            raise HeaderError("malformed")


def _varint(data: memoryview, position: int) -> tuple[int, int]:
    result = shift = 0
    while True:
        if position >= len(data) or shift > 63:
            raise HeaderError("malformed varint")
        byte = data[position]
        position += 1
        result |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return result, position
        shift += 7
