"""Model lookup, metadata fall-backs, output forms, and clear refusals of unusable files."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

from squeezeapp.core.common.errors import ModelError
from squeezeapp.core.common.hashing import file_sha256
from squeezeapp.core.imaging.decode import read_image
from squeezeapp.core.inference.classifier import Classifier
from squeezeapp.core.models import registry
from squeezeapp.core.models.lookup import list_local_models, resolve_model_path
from squeezeapp.core.models.names import display_name, readable_model_name, with_qualifier
from squeezeapp.core.models.registry import TORCHVISION_PREPROCESS, KnownModel
from squeezeapp.core.modeltools.profile import model_profile
from tests.modelfiles import tiny_model, with_softmax_4d_output, without_metadata

FLAMINGO = "n02007558_flamingo.JPEG"


def test_name_lookup_order(model_dir, isolated_cache, tmp_path, monkeypatch) -> None:
    assert resolve_model_path("squeezenet1.1") == model_dir / "squeezenet1.1.onnx"
    cached = isolated_cache / "models"
    cached.mkdir()
    shutil.copy(model_dir / "squeezenet1.1-caffe.onnx", cached / "only-in-cache.onnx")
    assert resolve_model_path("only-in-cache") == cached / "only-in-cache.onnx"
    # the model dir wins over the cache for the same name
    shutil.copy(model_dir / "squeezenet1.1-caffe.onnx", cached / "squeezenet1.1.onnx")
    assert resolve_model_path("squeezenet1.1") == model_dir / "squeezenet1.1.onnx"
    names = [m.name for m in list_local_models()]
    assert names.count("squeezenet1.1") == 1 and "only-in-cache" in names
    monkeypatch.setenv("SQUEEZEAPP_MODEL", str(cached / "only-in-cache.onnx"))
    assert resolve_model_path(None) == cached / "only-in-cache.onnx"


def test_default_falls_back_to_the_model_a_bundle_ships(tmp_path, monkeypatch) -> None:
    """A bundle built without the shared models carries the zoo file: no name still works."""
    monkeypatch.delenv("SQUEEZEAPP_MODEL_DIR", raising=False)
    shipped = tmp_path / "bundle-models"
    shipped.mkdir()
    for name in ("squeezenet1.1-zoo.onnx", "squeezenet1.1-zoo-int8.onnx"):  # and its fast copy
        (shipped / name).write_bytes(b"stand-in: only the lookup is tested")
    monkeypatch.setattr("squeezeapp.core.models.lookup.bundled_models_dir", lambda: shipped)
    assert resolve_model_path(None) == shipped / "squeezenet1.1-zoo.onnx"
    with pytest.raises(ModelError):  # a model asked for by name is never swapped for another
        resolve_model_path("squeezenet1.1")


def test_unknown_name_says_where_it_looked(model_dir) -> None:
    with pytest.raises(ModelError) as caught:
        resolve_model_path("no-such-model")
    assert str(model_dir) in str(caught.value) and "models download" in str(caught.value)
    with pytest.raises(ModelError, match="model file not found"):
        resolve_model_path("/nowhere/model.onnx")


def test_metadata_is_read(classifier) -> None:
    spec = classifier.spec
    assert spec.source == "metadata" and spec.name == "squeezenet1.1"
    assert spec.labels[0].startswith("tench") and spec.wnids[0] == "n01440764"
    pre = spec.preprocess
    assert (pre.size, pre.resize, pre.color) == (224, 256, "RGB")
    assert pre.mean == pytest.approx((0.485, 0.456, 0.406))


def test_sidecar_json_and_labels_file(model_dir, classifier, sample_dir, tmp_path) -> None:
    path = without_metadata(model_dir / "squeezenet1.1.onnx", tmp_path / "bare.onnx")
    with pytest.raises(ModelError, match="no pre-processing known"):
        Classifier.load(path)
    (tmp_path / "bare.json").write_text(json.dumps({
        "preprocess": classifier.spec.preprocess.as_dict(), "output": "logits"}))
    with pytest.raises(ModelError, match="no class labels"):
        Classifier.load(path)
    synset = "\n".join(f"{w} {lbl}" for w, lbl in zip(classifier.spec.wnids,
                                                        classifier.spec.labels, strict=True))
    (tmp_path / "bare.labels.txt").write_text(synset + "\n")
    bare = Classifier.load(path)
    assert bare.spec.source == "sidecar" and bare.spec.wnids == classifier.spec.wnids
    image = read_image(sample_dir / FLAMINGO)
    assert bare.classify(image).top.index == classifier.classify(image).top.index


def test_one_naming_rule_for_the_loaded_model_and_the_model_menu(classifier, caffe_classifier,
                                                                 tmp_path) -> None:
    """Shown by its display name, else a readable model_name, else the file's stem: the loaded
    model (status bar, canvas, About) and its Model menu entry (the profile) by the same rule."""
    assert classifier.display_name == "SqueezeNet 1.1"
    assert caffe_classifier.display_name == "SqueezeNet 1.1 (Caffe)"
    for loaded in (classifier, caffe_classifier):
        assert model_profile(loaded.spec.path).display_name == loaded.display_name
        assert loaded.name == loaded.spec.path.stem  # the identifier in results is unchanged
    somewhere = tmp_path / "holiday-net.onnx"
    stated = {"display_name": "Holiday\n net", "model_name": "squeezenet1.1"}
    assert display_name(somewhere, stated) == "Holiday net"  # one line
    sidecar = {"model_name": "squeezenet_1.1-caffe"}
    assert display_name(somewhere, {}, sidecar) == "SqueezeNet 1.1 (Caffe)"
    assert display_name(somewhere, {"model_name": " "}) == "holiday-net"  # as the user named it
    assert readable_model_name("squeezenet1.1-zoo-int8") == "SqueezeNet 1.1 (zoo int8)"
    assert readable_model_name("My Own Net") == "My Own Net"  # written for people already
    assert with_qualifier("SqueezeNet 1.1 (Caffe)", "fast, int8") == \
        "SqueezeNet 1.1 (Caffe, fast, int8)"


def test_a_sidecar_names_the_model_for_the_loader_and_the_menu_alike(model_dir, classifier,
                                                                     tmp_path) -> None:
    path = without_metadata(model_dir / "squeezenet1.1.onnx", tmp_path / "bare.onnx")
    (tmp_path / "bare.json").write_text(json.dumps({
        "preprocess": classifier.spec.preprocess.as_dict(), "output": "logits",
        "labels": list(classifier.spec.labels), "model_name": "squeezenet1.1-bare"}))
    assert Classifier.load(path).display_name == "SqueezeNet 1.1 (bare)"
    assert model_profile(path).display_name == "SqueezeNet 1.1 (bare)"


def test_registry_fallback_by_checksum(model_dir, classifier, tmp_path, monkeypatch) -> None:
    path = without_metadata(model_dir / "squeezenet1.1.onnx", tmp_path / "zoo-like.onnx")
    (tmp_path / "synset.txt").write_text("\n".join(
        f"{w} {lbl}" for w, lbl in zip(classifier.spec.wnids, classifier.spec.labels,
                                       strict=True)))
    entry = KnownModel("zoo-like", "test", file_sha256(path), TORCHVISION_PREPROCESS, None, "x")
    monkeypatch.setattr(registry, "KNOWN_MODELS", (entry,))
    loaded = Classifier.load(path)
    assert loaded.spec.source == "registry" and loaded.spec.labels == classifier.spec.labels


def test_probability_output_with_4d_shape(model_dir, classifier, sample_images, tmp_path) -> None:
    path = with_softmax_4d_output(model_dir / "squeezenet1.1.onnx", tmp_path / "soft.onnx")
    soft = Classifier.load(path)
    assert soft.spec.output_kind == "probabilities"
    for image_path in sample_images[:5]:
        image = read_image(image_path)
        expected, got = classifier.probabilities(image), soft.probabilities(image)
        assert got.shape == (1000,)
        np.testing.assert_allclose(got, expected, atol=1e-5)  # not softmaxed twice


def test_output_and_label_counts_must_agree(tmp_path) -> None:
    with pytest.raises(ModelError, match="has 10 classes but there are 12 labels"):
        Classifier.load(tiny_model(tmp_path / "ten.onnx", classes=10, labels=12))
    with pytest.raises(ModelError, match="1 labels found; a classifier needs 2"):
        Classifier.load(tiny_model(tmp_path / "one.onnx", classes=1))


def test_a_model_with_any_number_of_classes_loads_and_classifies(tmp_path) -> None:
    """No 1000-class assumption: ten classes and ten labels classify (a taught model's maps
    are checked in test_teach)."""
    classifier = Classifier.load(tiny_model(tmp_path / "ten.onnx", classes=10))
    image = np.full((300, 400, 3), 90, np.uint8)
    result = classifier.classify(image, top_k=3)
    assert len(classifier.spec.labels) == 10 and len(result.predictions) == 3
    assert result.top.label.startswith("class ")
    assert classifier.probabilities(image).shape == (10,)


def test_wrong_input_size_is_refused(tmp_path) -> None:
    with pytest.raises(ModelError, match=r"does not match \[N,3,224,224\]"):
        Classifier.load(tiny_model(tmp_path / "small.onnx", classes=1000, size=112))


def test_not_an_onnx_file_is_refused(tmp_path) -> None:
    junk = tmp_path / "junk.onnx"
    junk.write_bytes(b"definitely not protobuf" * 100)
    with pytest.raises(ModelError) as caught:
        Classifier.load(junk)
    assert "not a usable ONNX model" in str(caught.value) and "\n" not in str(caught.value)


def test_batch_matches_single(classifier, sample_images) -> None:
    images = [read_image(p) for p in sample_images[:6]]
    batch = classifier.classify_batch(images)
    for image, result in zip(images, batch, strict=True):
        single = classifier.classify(image)
        assert single.top.index == result.top.index
        assert single.top.probability == pytest.approx(result.top.probability, abs=1e-4)
    assert sum(p.probability for p in batch[0].predictions) <= 1.0 + 1e-6


def test_unreadable_model_file_is_listed_with_its_error(model_dir, monkeypatch) -> None:
    from squeezeapp.core.models import lookup as models

    def refuse(path):
        if path.name == "squeezenet1.1-caffe.onnx":
            raise PermissionError(13, "Permission denied")
        return file_sha256(path)

    monkeypatch.setattr(models, "file_sha256", refuse)
    listed = {m.name: m for m in list_local_models()}
    assert listed["squeezenet1.1-caffe"].error == "cannot read (Permission denied)"
    assert listed["squeezenet1.1"].error is None and listed["squeezenet1.1"].sha256


@pytest.mark.parametrize(
    ("changes", "fragment"),
    [
        ({"size": 100_000, "resize": 100_000}, "size 100000 is outside 16…1024"),
        ({"resize": 1e400}, "invalid 'preprocess'"),
        ({"resize": 200}, "resize 200 is outside"),
        ({"std": [0, 1, 1]}, "std"),
        ({"std": [float("nan")] * 3}, "std"),
        ({"std": [1e-45] * 3}, "std"),
        ({"mean": [float("inf"), 0, 0]}, "mean"),
        ({"scale": 1e308}, "too large for float32"),
        ({"size": 224.5}, "not a whole number"),
        ({"mean": "abc"}, "list of 3 numbers"),
        ({"color": "CMYK"}, "color must be RGB or BGR"),
    ],
)
def test_preprocess_limits(changes, fragment) -> None:
    from squeezeapp.core.models.spec import PreprocessSpec

    raw = {**TORCHVISION_PREPROCESS.as_dict(), **changes}
    with pytest.raises(ModelError, match=fragment):
        PreprocessSpec.from_mapping(raw, "test")


def test_bounded_json() -> None:
    from squeezeapp.core.common.limits import MAX_JSON_DEPTH, json_depth, load_bounded_json

    assert json_depth('{"a": ["[[[[", {"b": 1}]}') == 3  # brackets inside strings do not count
    assert load_bounded_json("[" * MAX_JSON_DEPTH + "]" * MAX_JSON_DEPTH, "t") is not None
    with pytest.raises(ModelError, match="nested deeper than 16"):
        load_bounded_json("[" * 100_000 + "]" * 100_000, "t")
    with pytest.raises(ModelError, match="above the"):
        load_bounded_json(json.dumps("x" * 2_000_000), "t")


def test_thread_bound(model_dir) -> None:
    import os

    from squeezeapp.core.common.errors import SqueezeappError
    from squeezeapp.core.common.limits import check_threads, thread_limit
    from squeezeapp.core.inference.classifier import SessionSettings

    assert thread_limit() == 4 * (os.cpu_count() or 1)
    assert check_threads(None) is None and check_threads(thread_limit()) == thread_limit()
    for bad in (0, -1, thread_limit() + 1, 100_000):
        with pytest.raises(SqueezeappError, match="inference threads must be between 1 and"):
            check_threads(bad)
    with pytest.raises(SqueezeappError, match="not 100000"):  # settings from anywhere: one check
        Classifier.load(model_dir / "squeezenet1.1.onnx", SessionSettings(threads=100_000))
