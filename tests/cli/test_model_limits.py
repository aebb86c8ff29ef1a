"""Memory and time bounded for models too (issue #19): activations estimated at load, the file's
size and header checked before it is read, non-float scores and special files refused, and
calibration in bounded batches. Peak RSS is measured as the parent sees it (RUSAGE_CHILDREN in
a fresh wrapper process)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from onnx import TensorProto

from squeezeapp.core.common.errors import ModelError
from squeezeapp.core.inference.classifier import Classifier
from tests.conftest import REPO
from tests.modelfiles import tiny_model

RSS_LIMIT_KB = 1024 * 1024
_MEASURE = textwrap.dedent("""
    import json, resource, subprocess, sys
    done = subprocess.run(sys.argv[2:], capture_output=True, text=True,
                          timeout=float(sys.argv[1]))
    print(json.dumps({"code": done.returncode, "stderr": done.stderr, "stdout": done.stdout,
                      "rss_kb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss}))
""")


def measured(*args: str, timeout: float = 120, env: dict[str, str] | None = None) -> dict:
    """Run `squeezeapp ARGS`; its exit code, output and peak RSS in kB."""
    done = subprocess.run(
        [sys.executable, "-c", _MEASURE, str(timeout), sys.executable, "-m", "squeezeapp",
         *args], capture_output=True, text=True, timeout=timeout + 30, cwd=REPO, check=True,
        env={**os.environ, **(env or {})})
    return json.loads(done.stdout)


@pytest.fixture
def wide_model(tmp_path) -> Path:
    """25 KB: a 1×1 convolution to 1000 channels on a 1024×1024 input (4 GB of activations)."""
    return tiny_model(tmp_path / "wide.onnx", classes=1000, size=1024, crop=1024)


def test_a_model_whose_activations_exceed_the_budget_is_refused_in_one_line(wide_model,
                                                                              sample_images):
    assert wide_model.stat().st_size < 40_000  # mostly its 1000 labels
    for command in (("classify", "-m", str(wide_model), str(sample_images[0])),
                    ("info", "-m", str(wide_model))):
        run = measured(*command)
        assert run["rss_kb"] < RSS_LIMIT_KB, (command, run["rss_kb"])
        assert "Traceback" not in run["stderr"]
        said = run["stdout"] + run["stderr"]
        assert "MB of activations per image, above the" in said, said
        assert run["code"] != 0 or command[0] == "info"


def test_a_huge_model_file_is_refused_before_it_is_read(tmp_path, model_dir):
    folder = tmp_path / "models"
    folder.mkdir()
    # sparse files (no disk space): 2 GB that start like a model, 400 MB that do not
    for name, head, size in (("big.onnx", b"\x08\x07", 2 << 30),
                             ("noise.onnx", b"\x00garbage", 400 << 20)):
        with (folder / name).open("wb") as sparse:
            sparse.write(head)
            sparse.truncate(size)
    big = measured("classify", "-m", str(folder / "big.onnx"), str(tmp_path))
    assert big["rss_kb"] < 300 * 1024, big["rss_kb"]
    assert "2,048 MB, above the 512 MB memory budget" in big["stderr"], big["stderr"]
    noise = measured("info", "-m", str(folder / "noise.onnx"))
    assert noise["rss_kb"] < 300 * 1024
    assert "does not start like one" in noise["stdout"] + noise["stderr"]
    listing = measured("models", "list", env={"SQUEEZEAPP_MODEL_DIR": str(folder)})
    assert listing["rss_kb"] < 400 * 1024, listing["rss_kb"]
    assert "Traceback" not in listing["stderr"]
    assert "memory budget" in listing["stdout"] + listing["stderr"]


@pytest.mark.parametrize("kind", [TensorProto.STRING, TensorProto.BOOL, TensorProto.INT64])
def test_a_model_without_float_scores_is_refused_at_load(tmp_path, kind):
    path = tiny_model(tmp_path / "odd.onnx", classes=1000, output_type=kind)
    name = TensorProto.DataType.Name(kind).lower()
    with pytest.raises(ModelError, match=f"holds {name} values; squeezeapp needs float scores"):
        Classifier.load(path)


@pytest.mark.skipif(sys.platform == "win32", reason="FIFOs and /dev/zero are POSIX")
def test_a_model_path_that_is_a_fifo_or_dev_zero_says_what_it_is(tmp_path):
    fifo = tmp_path / "fifo.onnx"
    os.mkfifo(fifo)
    zero = tmp_path / "zero.onnx"
    zero.symlink_to("/dev/zero")
    with pytest.raises(ModelError, match=r"fifo\.onnx: a FIFO, not a model file"):
        Classifier.load(fifo)
    with pytest.raises(ModelError, match=r"zero\.onnx: a character device, not a model file"):
        Classifier.load(zero)


def test_calibration_peak_stays_under_1_gb(model_dir, sample_images, tmp_path):
    """24 photos: 1.93 GB before batching (each tensor's activations, about 36 MB, were all
    kept until the end)."""
    photos = tmp_path / "photos"
    photos.mkdir()
    for photo in sample_images[:24]:
        (photos / photo.name).symlink_to(photo)  # links, not copies of the pictures
    run = measured("models", "quantize", "-m", str(model_dir / "squeezenet1.1.onnx"),
                   "--calibrate", str(photos), "--output", str(tmp_path / "int8.onnx"),
                   timeout=300)
    assert run["code"] == 0, run["stderr"]
    assert run["rss_kb"] < RSS_LIMIT_KB, run["rss_kb"]
    assert (tmp_path / "int8.onnx").stat().st_size > 1_000_000
