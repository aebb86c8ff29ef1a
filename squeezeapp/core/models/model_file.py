"""Reading an .onnx file within bounds: a regular file (a FIFO or a link to /dev/zero is named as
such instead of "not found" or a hang), no larger than the memory budget, with the start of an
ONNX model, checked before a byte more is read. A 2 GB file was read whole (2.1 GB RSS) by
`classify`, `info` and `models list` before protobuf said "Wire format was corrupt".
"""

from __future__ import annotations

import errno
import os
from pathlib import Path
from typing import TYPE_CHECKING

from squeezeapp.core.common.errors import ModelError
from squeezeapp.core.common.files import SourceChangedError, open_regular_source, short_path
from squeezeapp.core.common.limits import IMAGE_BUDGET, MEMORY_BUDGET_ENV

if TYPE_CHECKING:  # onnx only where a model is parsed: a prediction reads bytes (prepared_cache)
    import onnx

_MB = 1 << 20
# The first bytes of a serialised ModelProto: the tag of one of its fields (protobuf writes
# ir_version, field 1, first; others are accepted for files written by other tools).
_ONE_BYTE_TAGS = frozenset({0x08, 0x12, 0x1A, 0x22, 0x28, 0x32, 0x3A, 0x42, 0x72})
_TWO_BYTE_TAGS = frozenset({b"\xa2\x01", b"\xca\x01", b"\xd2\x01"})  # fields 20, 25, 26


def max_model_bytes() -> int:
    """The largest model file read: the memory budget that also bounds images."""
    return IMAGE_BUDGET.capacity


def looks_like_onnx(head: bytes) -> bool:
    return bool(head) and (head[0] in _ONE_BYTE_TAGS or head[:2] in _TWO_BYTE_TAGS)


def read_model_bytes(path: Path) -> bytes:
    """The whole file, once it has passed the checks above; raises ModelError with one line."""
    name = short_path(path.name)  # as the other model errors: the name, the path is known
    try:
        stream, size = open_regular_source(path)
    except SourceChangedError as error:  # a FIFO, a device, a folder
        raise ModelError(f"{name}: {error.strerror}, not a model file") from None
    except OSError as error:
        if error.errno in (errno.ENOENT, errno.ENOTDIR):
            raise ModelError(f"model file not found: {short_path(path)}") from None
        raise ModelError(f"{name}: cannot read it ({error.strerror or error})") from None
    with stream:
        limit = max_model_bytes()
        if size > limit:
            raise ModelError(f"{name}: the file is {size / _MB:,.0f} MB, above the "
                             f"{limit / _MB:,.0f} MB memory budget for a model (set "
                             f"{MEMORY_BUDGET_ENV} to allow more)")
        if size == 0:
            raise ModelError(f"{name}: the file is empty")
        head = stream.read(2)
        if not looks_like_onnx(head):
            raise ModelError(f"{name}: not a usable ONNX model (the file does not start like one)")
        # one read of the size checked above (a file that grew meanwhile is cut there; one
        # that shrank fails later as a damaged model): chunks and a bytearray cost 4-5 ms more
        # for SqueezeNet's 5 MB, on the way to every prediction
        return head + stream.read(size - len(head))


def load_model_proto(path: Path, *, load_external_data: bool = True) -> onnx.ModelProto:
    """`onnx.load` behind `read_model_bytes`; every failure is one ModelError line."""
    import onnx

    data = read_model_bytes(path)
    try:
        proto = onnx.load_model_from_string(data)
        if load_external_data and _uses_external_data(proto):
            from onnx.external_data_helper import load_external_data_for_model

            load_external_data_for_model(proto, os.fspath(path.parent))
    except Exception as error:  # protobuf and onnx raise several unrelated exception types
        first_line = str(error).strip().splitlines()[0] if str(error).strip() else type(error)
        raise ModelError(f"{short_path(path.name)}: not a usable ONNX model ({first_line})"
                         ) from None
    return proto


def _uses_external_data(proto: onnx.ModelProto) -> bool:
    import onnx

    return any(tensor.data_location == onnx.TensorProto.EXTERNAL
               for tensor in proto.graph.initializer)
