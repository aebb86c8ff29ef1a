"""model_summary: the int8 (QDQ) model is made of the same layers as the float one it came from."""

from __future__ import annotations

from squeezeapp.cli.info import layer_lines
from squeezeapp.core.modeltools.summary import summarize


def test_float_model_summary(model_dir) -> None:
    summary = summarize(model_dir / "squeezenet1.1.onnx")
    assert summary.params == 1_235_496 and summary.weight_type == "float32"
    assert round(summary.gmacs, 3) == 0.349
    assert len(summary.fire_modules) == 8 and len(summary.layers) == 31


def test_fast_model_summary_matches_the_float_model(fast_model, model_dir) -> None:
    fp32 = summarize(model_dir / "squeezenet1.1.onnx")
    int8 = summarize(fast_model[0])
    assert int8.params == fp32.params == 1_235_496  # int8 weights, int32 biases; no scales
    assert int8.macs == fp32.macs
    assert int8.layers == fp32.layers  # the quantizer keeps node names, order and shapes
    assert int8.fire_modules == fp32.fire_modules
    assert int8.weight_type == "int8"


def test_layer_count_says_what_the_table_shows(model_dir) -> None:
    summary = summarize(model_dir / "squeezenet1.1.onnx")
    lines = layer_lines(summary)
    rows = [line for line in lines[2:-1] if not line.startswith("    ")]  # one per layer or Fire
    assert len(rows) == 15
    assert lines[-1] == "  15 rows: 8 Fire modules (24 Conv layers) + 7 other layers = 31 layers"
