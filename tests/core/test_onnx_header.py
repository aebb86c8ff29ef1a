"""Reading an ONNX file's metadata and op types without the onnx package."""

from __future__ import annotations

import onnx
import pytest

from squeezeapp.core.models.onnx_header import HeaderError, parse_header, read_header


@pytest.mark.parametrize("name", ["squeezenet1.1.onnx", "squeezenet1.1-caffe.onnx"])
def test_reads_what_onnx_reads(model_dir, name) -> None:
    model = onnx.load(str(model_dir / name))
    header = read_header(model_dir / name)
    assert header.metadata == {p.key: p.value for p in model.metadata_props}
    assert header.op_types == {node.op_type for node in model.graph.node}


def test_a_quantised_graph_shows_its_int8_operators(tmp_path) -> None:
    from tests.modelfiles import tiny_model

    path = tiny_model(tmp_path / "tiny.onnx")
    model = onnx.load(str(path))
    model.graph.node[0].op_type = "QLinearConv"  # only the name matters here
    assert "QLinearConv" in parse_header(model.SerializeToString()).op_types


@pytest.mark.parametrize("cut", [0.5, 0.9, 0.999])
def test_truncated_or_garbage_bytes_raise_header_error(model_dir, cut) -> None:
    data = (model_dir / "squeezenet1.1.onnx").read_bytes()
    with pytest.raises(HeaderError):
        parse_header(data[: int(len(data) * cut)])
    with pytest.raises(HeaderError):
        parse_header(bytes(range(256)) * 64)
