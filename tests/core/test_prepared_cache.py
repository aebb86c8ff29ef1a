"""The rewritten model kept in the user cache: reused, rebuilt when anything it depends on
changes or when the entry is damaged, and a one-image classification never imports onnx."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from squeezeapp.core.inference import classifier as classifier_module
from squeezeapp.core.inference import prepared_cache
from squeezeapp.core.inference.classifier import Classifier
from squeezeapp.core.models.paths import prepared_models_dir
from tests.conftest import REPO


@pytest.fixture
def tench(sample_dir) -> np.ndarray:
    from squeezeapp.core.imaging.decode import read_image

    return read_image(sample_dir / "n01440764_tench.JPEG")


@pytest.fixture
def builds(monkeypatch) -> list[Path]:
    """The model files that were rewritten (with onnx) rather than loaded from the cache."""
    built: list[Path] = []
    original = classifier_module._prepare

    def counting(path, *args, **kwargs):
        built.append(path)
        return original(path, *args, **kwargs)

    monkeypatch.setattr(classifier_module, "_prepare", counting)
    return built


def _entries() -> list[Path]:
    return sorted(prepared_models_dir().glob(f"*{prepared_cache.SUFFIX}"))


def _same_answers(first: Classifier, second: Classifier, image: np.ndarray) -> None:
    np.testing.assert_allclose(first.probabilities(image), second.probabilities(image),
                               rtol=1e-5, atol=1e-6)


def test_built_once_then_loaded_from_the_cache(model_dir, builds, tench):
    first = Classifier.load(model_dir / "squeezenet1.1.onnx")
    assert len(builds) == 1 and len(_entries()) == 1
    second = Classifier.load(model_dir / "squeezenet1.1.onnx")
    assert len(builds) == 1, "the second load rewrote the model again"
    assert second.uint8_input and second.supports_cam
    assert second.normalisation == first.normalisation
    _same_answers(first, second, tench)


def test_rebuilt_when_the_model_file_changes(model_dir, builds, tmp_path):
    path = tmp_path / "model.onnx"
    shutil.copyfile(model_dir / "squeezenet1.1.onnx", path)
    Classifier.load(path)
    shutil.copyfile(model_dir / "squeezenet1.1-caffe.onnx", path)  # same name, other weights
    loaded = Classifier.load(path)
    assert len(builds) == 2 and len(_entries()) == 2
    assert loaded.spec.preprocess.size == 227


def test_rebuilt_when_onnxruntime_changes(model_dir, builds, monkeypatch):
    Classifier.load(model_dir / "squeezenet1.1.onnx")
    monkeypatch.setattr(prepared_cache.ort, "__version__", "9.99.0")
    Classifier.load(model_dir / "squeezenet1.1.onnx")
    assert len(builds) == 2


def test_rebuilt_when_the_recipe_changes(model_dir, builds, monkeypatch):
    Classifier.load(model_dir / "squeezenet1.1.onnx")
    monkeypatch.setattr(prepared_cache, "RECIPE_VERSION", prepared_cache.RECIPE_VERSION + 1)
    Classifier.load(model_dir / "squeezenet1.1.onnx")
    assert len(builds) == 2


def test_a_stale_entry_under_the_right_name_is_not_trusted(model_dir, builds, monkeypatch):
    """An entry whose header names other key parts (a hash collision, a copied cache) is
    rebuilt, not used."""
    Classifier.load(model_dir / "squeezenet1.1.onnx")
    (entry,) = _entries()
    fields = prepared_cache.key_fields("0" * 64, True)
    monkeypatch.setattr(prepared_cache, "entry_path", lambda _fields: entry)
    assert prepared_cache.load(fields) is None


@pytest.mark.parametrize("damage", ["truncated", "garbage", "flipped", "empty", "header"])
def test_rebuilt_when_the_entry_is_damaged(model_dir, builds, tench, damage):
    reference = Classifier.load(model_dir / "squeezenet1.1.onnx")
    (entry,) = _entries()
    data = entry.read_bytes()
    if damage == "truncated":
        entry.write_bytes(data[: len(data) // 2])
    elif damage == "garbage":
        entry.write_bytes(np.random.default_rng(0).bytes(len(data)))
    elif damage == "flipped":  # one byte of the model changed: only the checksum can tell
        flipped = bytearray(data)
        flipped[-1000] ^= 0xFF
        entry.write_bytes(bytes(flipped))
    elif damage == "empty":
        entry.write_bytes(b"")
    else:  # a header that parses as JSON but is not ours
        header = json.dumps({"key": 1}).encode()
        entry.write_bytes(prepared_cache.MAGIC + len(header).to_bytes(4, "little") + header)
    loaded = Classifier.load(model_dir / "squeezenet1.1.onnx")
    assert len(builds) == 2, "a damaged entry was used"
    _same_answers(reference, loaded, tench)
    assert prepared_cache.load(prepared_cache.key_fields(loaded.spec.sha256, True)) is not None


def test_a_sidecar_that_changes_the_preprocessing_rebuilds(model_dir, builds, tmp_path):
    from tests.modelfiles import without_metadata

    path = without_metadata(model_dir / "squeezenet1.1.onnx", tmp_path / "bare.onnx")
    sidecar = {"preprocess": {"size": 224, "resize": 256, "color": "RGB", "scale": 1 / 255,
                              "mean": [0.485, 0.456, 0.406], "std": [0.229, 0.224, 0.225]},
               "labels": [f"class {i}" for i in range(1000)]}
    path.with_suffix(".json").write_text(json.dumps(sidecar))
    Classifier.load(path)
    sidecar["preprocess"]["mean"] = [0.5, 0.5, 0.5]
    path.with_suffix(".json").write_text(json.dumps(sidecar))
    Classifier.load(path)
    assert len(builds) == 2


def test_the_cache_stays_bounded(model_dir, monkeypatch, tmp_path):
    monkeypatch.setattr(prepared_cache, "MAX_ENTRIES", 2)
    for version in range(4):
        monkeypatch.setattr(prepared_cache, "RECIPE_VERSION", 100 + version)
        Classifier.load(model_dir / "squeezenet1.1.onnx")
    assert len(_entries()) == 2
    # the newest one is kept
    assert prepared_cache.load(prepared_cache.key_fields(
        Classifier.load(model_dir / "squeezenet1.1.onnx").spec.sha256, True)) is not None


def test_an_unwritable_cache_costs_nothing_but_time(model_dir, monkeypatch, tmp_path, tench):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    monkeypatch.setenv("SQUEEZEAPP_CACHE_DIR", str(blocker))
    loaded = Classifier.load(model_dir / "squeezenet1.1.onnx")
    assert loaded.classify(tench).top.name == "tench"


def test_classifying_one_image_never_imports_onnx(model_dir, sample_dir, tmp_path):
    """The whole command, twice (the first run builds the cache entry): the second, like every
    later start, must not import onnx (its import alone costs more than half a second)."""
    script = (
        "import sys\n"
        "from squeezeapp.cli.main import main\n"
        "code = main(['classify', sys.argv[1], '--format', 'jsonl'])\n"
        "print('ONNX-IMPORTED' if 'onnx' in sys.modules else 'NO-ONNX', file=sys.stderr)\n"
        "sys.exit(code)\n"
    )
    image = str(sample_dir / "n01440764_tench.JPEG")
    env = {"SQUEEZEAPP_CACHE_DIR": str(tmp_path / "cache"),
           "SQUEEZEAPP_MODEL_DIR": str(model_dir), "PATH": "/usr/bin:/bin",
           "ORT_DISABLE_TELEMETRY": "1"}
    runs = [subprocess.run([sys.executable, "-c", script, image], capture_output=True,
                           text=True, timeout=120, cwd=REPO, env=env, check=False)
            for _ in range(2)]
    for run in runs:
        assert run.returncode == 0, run.stderr
        assert json.loads(run.stdout)["predictions"][0]["label"].startswith("tench")
    assert "ONNX-IMPORTED" in runs[0].stderr  # the first run builds it: the test sees both
    assert "NO-ONNX" in runs[1].stderr, runs[1].stderr


def test_the_window_launched_with_a_photo_never_imports_onnx(model_dir, sample_dir, tmp_path):
    """The model menu's listing reads metadata through onnx_header, the model comes from the
    cache: the window's start never pays for `import onnx` either."""
    script = (
        "import sys, json\n"
        "from squeezeapp.cli.main import main\n"
        "code = main(['gui', sys.argv[1], '--exit-after', '4', '--metrics-json', sys.argv[2]])\n"
        "print('ONNX-IMPORTED' if 'onnx' in sys.modules else 'NO-ONNX', file=sys.stderr)\n"
        "sys.exit(code)\n"
    )
    env = {"SQUEEZEAPP_CACHE_DIR": str(tmp_path / "cache"), "SQUEEZEAPP_MODEL_DIR": str(model_dir),
           "PATH": "/usr/bin:/bin", "ORT_DISABLE_TELEMETRY": "1", "QT_QPA_PLATFORM": "offscreen",
           "XDG_CONFIG_HOME": str(tmp_path / "config"), "HOME": str(tmp_path)}
    Classifier.load(model_dir / "squeezenet1.1.onnx")  # builds the entry (this process's cache)
    shutil.copytree(prepared_models_dir(), tmp_path / "cache" / "prepared")
    metrics = tmp_path / "metrics.json"
    run = subprocess.run([sys.executable, "-c", script, str(sample_dir / "n01440764_tench.JPEG"),
                          str(metrics)], capture_output=True, text=True, timeout=120, cwd=REPO,
                         env=env, check=False)
    assert run.returncode == 0, run.stderr
    assert "NO-ONNX" in run.stderr, run.stderr
    assert json.loads(metrics.read_text())["top1_label"].startswith("tench")


def test_an_entry_that_checks_out_but_does_not_open_is_rebuilt(model_dir, builds, tench):
    """Bytes that match their own checksum but are no model (written by a broken build):
    onnxruntime refuses them, and the load rewrites the model instead of failing."""
    reference = Classifier.load(model_dir / "squeezenet1.1.onnx")
    fields = prepared_cache.key_fields(reference.spec.sha256, True)
    good = prepared_cache.load(fields)
    assert good is not None
    prepared_cache.store(fields, prepared_cache.PreparedModel(
        good.record, good.facts, good.preprocess, b"not an onnx model"))
    loaded = Classifier.load(model_dir / "squeezenet1.1.onnx")
    assert len(builds) == 2
    _same_answers(reference, loaded, tench)


def test_a_prepared_model_is_still_held_to_the_memory_budget(model_dir, builds):
    """The activation estimate is kept with the entry and checked on every load: a budget
    lowered since the entry was built refuses the model without rewriting it."""
    from squeezeapp.core.common.errors import ModelError
    from squeezeapp.core.common.limits import IMAGE_BUDGET

    Classifier.load(model_dir / "squeezenet1.1.onnx")
    capacity = IMAGE_BUDGET.capacity
    try:
        IMAGE_BUDGET.set_capacity(6 << 20)  # above the 5 MB file, below its activations
        with pytest.raises(ModelError, match="activations"):
            Classifier.load(model_dir / "squeezenet1.1.onnx")
    finally:
        IMAGE_BUDGET.set_capacity(capacity)
    assert len(builds) == 1
