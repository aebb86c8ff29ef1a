"""A deterministic corpus of hostile input: damaged images of every supported format, header
bombs, special files, awkward names, and malformed variants of the real model.

Everything is generated from fixed seeds into a temporary folder (never committed). Each case says
what the app must do with it: "ok" (classified), "error" (a per-file error record) or "either"
(a damaged file a decoder may still read) and, for errors, a fragment the message must contain.
"""

from __future__ import annotations

import json
import os
import struct
import zlib
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import onnx
from onnx import TensorProto, helper

from tests.images import _png_chunk, bomb_png, gradient_bgr

SEED = 12
FLIPS_PER_FILE = 6
TRUNCATIONS = (0.1, 0.5, 0.9)
FULL_SCALE_ONLY = "bomb-bytes.jpg"  # a bomb only where the JPEG is decoded at full scale


@dataclass(frozen=True)
class Case:
    """One input and the outcome it must get."""

    path: Path
    expect: str  # "ok", "error" or "either"
    fragment: str = ""  # for "error": part of the message

    @property
    def key(self) -> str:
        return os.fsdecode(self.path)


def _picture(height: int = 96, width: int = 128) -> np.ndarray:
    """Gradients plus deterministic texture, so that compressed files have varied content."""
    rng = np.random.default_rng(SEED)
    noise = rng.integers(0, 40, (height, width, 3), dtype=np.uint8)
    return cv2.add(gradient_bgr(height, width), noise)


def _encode(ext: str, image: np.ndarray, *params: int) -> bytes:
    ok, encoded = cv2.imencode(ext, image, list(params))
    assert ok, ext
    return encoded.tobytes()


def base_images() -> dict[str, bytes]:
    """One small valid file per supported format and sample layout."""
    bgr = _picture()
    grey = cv2.cvtColor(bgr, cv2.COLOR_BGR2GRAY)
    alpha = np.linspace(0, 255, bgr.shape[1], dtype=np.uint8)[None, :].repeat(bgr.shape[0], 0)
    bgra = np.dstack([bgr, alpha])
    deep = bgr.astype(np.uint16) * 257
    return {
        "jpeg.jpg": _encode(".jpg", bgr, cv2.IMWRITE_JPEG_QUALITY, 90),
        "png8.png": _encode(".png", bgr),
        "png16.png": _encode(".png", deep),
        "grey.png": _encode(".png", grey),
        "rgba.png": _encode(".png", bgra),
        "rgba16.png": _encode(".png", np.dstack([deep, alpha.astype(np.uint16) * 257])),
        "tiff.tiff": _encode(".tiff", bgr),
        "bmp.bmp": _encode(".bmp", bgr),
        "webp.webp": _encode(".webp", bgr, cv2.IMWRITE_WEBP_QUALITY, 80),
    }


def _flipped(data: bytes, rng: np.random.Generator, header: bool) -> bytes:
    mutable = bytearray(data)
    span = min(len(data), 64) if header else len(data)
    for _ in range(int(rng.integers(1, 9))):
        position = int(rng.integers(0, span))
        mutable[position] ^= 1 << int(rng.integers(0, 8))
    return bytes(mutable)


def damaged_images(folder: Path) -> list[Case]:
    """Each base image as it is, truncated at three points, and with bits flipped (half of the
    flips in the first 64 bytes, where the header is)."""
    rng = np.random.default_rng(SEED)
    cases: list[Case] = []
    for name, data in base_images().items():
        stem, ext = name.split(".")
        cases.append(_case(folder / name, data, "ok"))
        for fraction in TRUNCATIONS:
            cut = data[: int(len(data) * fraction)]
            cases.append(_case(folder / f"{stem}-cut{int(fraction * 100)}.{ext}", cut, "either"))
        for index in range(FLIPS_PER_FILE):
            flipped = _flipped(data, rng, header=index % 2 == 0)
            cases.append(_case(folder / f"{stem}-flip{index}.{ext}", flipped, "either"))
    return cases


def _case(path: Path, data: bytes, expect: str, fragment: str = "") -> Case:
    path.write_bytes(data)
    return Case(path, expect, fragment)


def png_header(width: int, height: int, depth: int, color: int) -> bytes:
    """A PNG whose header claims width×height, with a few rows of real data."""
    header = struct.pack(">IIBBBBB", width, height, depth, color, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", header)
            + _png_chunk(b"IDAT", zlib.compress(bytes(1024), 9)) + _png_chunk(b"IEND", b""))


def png_chunk_bomb() -> bytes:
    """A small valid PNG whose first IDAT chunk declares 2 GB: decoders that allocate what a
    chunk declares before reading it would take 2 GB for a 20 KB file."""
    data = bytearray(base_images()["png8.png"])
    position = data.index(b"IDAT") - 4
    data[position:position + 4] = struct.pack(">I", 0x7FFF_FFF0)
    return bytes(data)


def jpeg_header(width: int, height: int) -> bytes:
    """A real small JPEG with its frame header rewritten to claim width×height."""
    data = bytearray(_encode(".jpg", _picture(64, 64)))
    position = 2
    while data[position + 1] not in (0xC0, 0xC2):
        position += 2 + struct.unpack(">H", data[position + 2:position + 4])[0]
    data[position + 5:position + 9] = struct.pack(">HH", height, width)
    return bytes(data)


def bmp_header(width: int, height: int, bits: int = 32) -> bytes:
    info = struct.pack("<IiiHHIIiiII", 40, width, height, 1, bits, 0, 0, 2835, 2835, 0, 0)
    return b"BM" + struct.pack("<IHHI", 54 + 64, 0, 0, 54) + info + bytes(64)


def tiff_header(width: int, height: int, samples: int, bits: int) -> bytes:
    """A little-endian TIFF with one strip of 64 bytes, claiming width×height."""
    entries = [(256, 4, 1, width), (257, 4, 1, height), (258, 3, 1, bits), (259, 3, 1, 1),
               (262, 3, 1, 2 if samples >= 3 else 1), (273, 4, 1, 8), (277, 3, 1, samples),
               (278, 4, 1, height), (279, 4, 1, 64)]
    ifd = struct.pack("<H", len(entries)) + b"".join(
        struct.pack("<HHI", tag, kind, count) + (struct.pack("<HH", value, 0) if kind == 3
                                                 else struct.pack("<I", value))
        for tag, kind, count, value in entries) + struct.pack("<I", 0)
    return b"II*\x00" + struct.pack("<I", 8 + 64) + bytes(64) + ifd


def webp_header(width: int, height: int) -> bytes:
    """An extended (VP8X) WebP header claiming a width×height canvas."""
    vp8x = struct.pack("<I", 0) + (width - 1).to_bytes(3, "little") + (height - 1).to_bytes(
        3, "little")
    body = b"WEBP" + b"VP8X" + struct.pack("<I", len(vp8x)) + vp8x + b"VP8 " + struct.pack(
        "<I", 16) + bytes(16)
    return b"RIFF" + struct.pack("<I", len(body)) + body


def header_bombs(folder: Path) -> list[Case]:
    """Tiny files whose headers claim too many pixels, or few enough pixels but too many bytes
    (the 760 KB 10000×10000 16-bit RGBA PNG of the issue: 800 MB decoded)."""
    pixels, budget = "MP limit", "memory budget"
    bombs = [
        ("bomb-pixels.png", bomb_png(), pixels),
        ("bomb-bytes-rgba16.png", png_header(10_000, 10_000, 16, 6), budget),
        ("bomb-bytes-rgb16.png", png_header(9_000, 9_000, 16, 2), budget),
        ("bomb-pixels.jpg", jpeg_header(60_000, 60_000), pixels),
        ("bomb-bytes.jpg", jpeg_header(9_500, 9_500), budget),
        ("bomb-pixels.bmp", bmp_header(20_000, 20_000), pixels),
        ("bomb-bytes.bmp", bmp_header(9_000, 9_000), budget),
        ("bomb-pixels.tiff", tiff_header(30_000, 30_000, 1, 8), pixels),
        ("bomb-bytes.tiff", tiff_header(10_000, 10_000, 4, 16), budget),
        ("bomb-pixels.webp", webp_header(16_000, 16_000), pixels),
        ("bomb-bytes.webp", webp_header(9_000, 9_000), budget),
        ("bomb-chunk.png", png_chunk_bomb(), "past the end of the file"),
    ]
    # 9500² fits the pixel limit and needs 516 MB at full scale, but a 256-px model gets it
    # decoded at 1/8 scale (8 MB): then it is an ordinary (corrupt) file
    return [_case(folder / name, data, "either" if name == FULL_SCALE_ONLY else "error", fragment)
            for name, data, fragment in bombs]


def permissions_bind(folder: Path) -> bool:
    """Whether a file without read permission is unreadable here (not as root, unless root
    has lost CAP_DAC_OVERRIDE)."""
    probe = folder / ".permission-probe"
    probe.write_bytes(b"x")
    probe.chmod(0)
    try:
        probe.read_bytes()
    except PermissionError:
        return True
    finally:
        probe.chmod(0o600)
        probe.unlink()
    return False


def special_files(folder: Path) -> list[Case]:
    """A FIFO, a folder named like an image, a link loop, an over-long name, names that are not
    UTF-8 or carry terminal escapes, and, where permissions bind (not as root), files and
    folders that cannot be read."""
    good = base_images()["jpeg.jpg"]
    cases = []
    fifo = folder / "pipe.jpg"
    os.mkfifo(fifo)
    cases.append(Case(fifo, "error", "not a regular file (a FIFO)"))
    looped = folder / "loop.jpg"
    looped.symlink_to(looped.name)
    cases.append(Case(looped, "error", "symbolic links"))
    cases.append(Case(folder / ("long" * 80 + ".jpg"), "error", "file name too long"))
    cases.append(_case(folder / os.fsdecode(b"bad\xff name.jpg"), good, "ok"))
    cases.append(_case(folder / "\x1b[31mred\x1b[0m.jpg", good, "ok"))
    if permissions_bind(folder):
        locked = _case(folder / "locked.jpg", good, "error", "permission denied")
        locked.path.chmod(0)
        cases.append(locked)
    return cases


def folders(folder: Path) -> list[tuple[Path, list[Case]]]:
    """Folders given on the command line and the records each must produce: a folder named
    `album.jpg` is a folder; an unreadable folder is one error record, not silence."""
    album = folder / "album.jpg"
    album.mkdir()
    inside = _case(album / "inside.png", base_images()["png8.png"], "ok")
    result = [(album, [inside])]
    if permissions_bind(folder):
        closed = folder / "closed"
        closed.mkdir()
        (closed / "hidden.jpg").write_bytes(base_images()["jpeg.jpg"])
        closed.chmod(0)
        result.append((closed, [Case(closed, "error", "folder cannot be read")]))
    return result


# ---------------------------------------------------------------- models


@dataclass(frozen=True)
class ModelCase:
    path: Path
    fragment: str  # part of the one-line error; "" for a model that must load


def _metadata(model: onnx.ModelProto) -> dict[str, str]:
    return {p.key: p.value for p in model.metadata_props}


def _set_metadata(model: onnx.ModelProto, values: dict[str, str]) -> None:
    del model.metadata_props[:]
    for key, value in values.items():
        entry = model.metadata_props.add()
        entry.key, entry.value = key, value


def _with_preprocess(source: onnx.ModelProto, **changes: object) -> onnx.ModelProto:
    model = onnx.ModelProto()
    model.CopyFrom(source)
    values = _metadata(model)
    preprocess = json.loads(values["preprocess"])
    preprocess.update(changes)
    values["preprocess"] = json.dumps(preprocess)  # allow_nan: NaN and Infinity are written
    _set_metadata(model, values)
    return model


def _with_raw_metadata(source: onnx.ModelProto, key: str, raw: str) -> onnx.ModelProto:
    model = onnx.ModelProto()
    model.CopyFrom(source)
    values = _metadata(model)
    values[key] = raw
    _set_metadata(model, values)
    return model


def _with_input_type(source: onnx.ModelProto, elem_type: int) -> onnx.ModelProto:
    """The model behind a Cast, so that its input really takes `elem_type` and it still runs."""
    model = onnx.ModelProto()
    model.CopyFrom(source)
    graph = model.graph
    feed = graph.input[0]
    inner = feed.name + "_float"
    for node in graph.node:
        node.input[:] = [inner if name == feed.name else name for name in node.input]
    graph.node.insert(0, helper.make_node("Cast", [feed.name], [inner], to=TensorProto.FLOAT))
    feed.type.tensor_type.elem_type = elem_type
    return model


def _with_input_dims(source: onnx.ModelProto, dims: list[int | str]) -> onnx.ModelProto:
    model = onnx.ModelProto()
    model.CopyFrom(source)
    shape = model.graph.input[0].type.tensor_type.shape
    for dim, value in zip(shape.dim, dims, strict=True):
        dim.Clear()
        if isinstance(value, int):
            dim.dim_value = value
        else:
            dim.dim_param = value
    return model


def _with_output_op(source: onnx.ModelProto, kind: str) -> onnx.ModelProto:
    """'nan': logits times NaN (runs, non-finite); 'reshape': a Reshape that fails at run time."""
    model = onnx.ModelProto()
    model.CopyFrom(source)
    graph = model.graph
    logits = graph.output[0].name
    raw = logits + "_raw"
    for node in graph.node:
        node.output[:] = [raw if name == logits else name for name in node.output]
    if kind == "nan":
        graph.initializer.append(helper.make_tensor("nan", TensorProto.FLOAT, [1], [np.nan]))
        graph.node.append(helper.make_node("Mul", [raw, "nan"], [logits]))
    else:
        graph.initializer.append(helper.make_tensor("bad_shape", TensorProto.INT64, [2], [7, -1]))
        graph.node.append(helper.make_node("Reshape", [raw, "bad_shape"], [logits]))
    return model


def malformed_models(source: Path, folder: Path) -> list[ModelCase]:
    """Variants of the real model, written to `folder`, each with the error it must give."""
    original = onnx.load(str(source))
    deep = "[" * 50_000 + "]" * 50_000
    variants: list[tuple[str, onnx.ModelProto | bytes, str]] = [
        ("fixed-batch-1", _with_input_dims(original, [1, 3, 224, 224]), ""),
        ("name-escapes", _with_raw_metadata(original, "model_name", "\x1b[2Jevil\u202e"), ""),
        ("nested-labels", _with_raw_metadata(original, "labels", deep), "nested deeper"),
        ("nested-preprocess", _with_raw_metadata(original, "preprocess", deep), "nested deeper"),
        ("huge-labels", _with_raw_metadata(original, "labels", json.dumps(["x" * 4096] * 1000)),
         "above the"),
        ("bad-json", _with_raw_metadata(original, "preprocess", "{size: 224"), "not valid JSON"),
        ("input-uint8", _with_input_type(original, TensorProto.UINT8), "takes uint8"),
        ("input-float16", _with_input_type(original, TensorProto.FLOAT16), "takes float16"),
        ("batch-4", _with_input_dims(original, [4, 3, 224, 224]), "batch size is fixed at 4"),
        ("size-1e5", _with_input_dims(_with_preprocess(original, size=100_000, resize=100_000),
                                      ["N", 3, "H", "W"]), "size 100000 is outside"),
        ("size-8", _with_preprocess(original, size=8, resize=8), "size 8 is outside"),
        ("resize-1e400", _with_preprocess(original, resize=float("inf")), "invalid 'preprocess'"),
        ("resize-small", _with_preprocess(original, resize=100), "resize 100 is outside"),
        ("std-zero", _with_preprocess(original, std=[0, 0.2, 0.2]), "std"),
        ("std-nan", _with_preprocess(original, std=[float("nan")] * 3), "std"),
        ("std-tiny", _with_preprocess(original, std=[1e-45] * 3), "std"),
        ("mean-inf", _with_preprocess(original, mean=[float("inf"), 0, 0]), "mean"),
        ("scale-1e308", _with_preprocess(original, scale=1e308), "too large for float32"),
        ("color-xyz", _with_preprocess(original, color="XYZ"), "color must be"),
        ("layout-nhwc", _with_preprocess(original, layout="NHWC"), "layout must be"),
        ("labels-999", _with_raw_metadata(original, "labels",
                                          json.dumps(json.loads(_metadata(original)["labels"])
                                                     [:999])), "999 labels"),
        ("output-nan", _with_output_op(original, "nan"), "non-finite"),
        ("output-reshape", _with_output_op(original, "reshape"), "fails on a test frame"),
        ("truncated", source.read_bytes()[: source.stat().st_size // 2], "not a usable ONNX"),
        ("metadata-not-utf8", onnx.ModelProto.SerializeToString(
            _with_raw_metadata(original, "model_name", "MARK-name")).replace(
                b"MARK", b"\xff\xfe\xfd\xfc"), "not valid UTF-8"),
        ("not-onnx", b"this is not a model\n" * 100, "not a usable ONNX"),
    ]
    cases = []
    for name, model, fragment in variants:
        path = folder / f"{name}.onnx"
        if isinstance(model, bytes):
            path.write_bytes(model)
        else:
            onnx.save(model, str(path))
        cases.append(ModelCase(path, fragment))
    sidecar = folder / "sidecar-deep.onnx"
    stripped = onnx.ModelProto()
    stripped.CopyFrom(original)
    _set_metadata(stripped, {})
    onnx.save(stripped, str(sidecar))
    sidecar.with_suffix(".json").write_text('{"preprocess": ' + deep + "}")
    cases.append(ModelCase(sidecar, "nested deeper"))
    return cases
