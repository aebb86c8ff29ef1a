"""Model lookup, metadata fall-backs, output forms, and clear refusals of unusable files."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

from squeezeapp.core import registry
from squeezeapp.core.classifier import Classifier
from squeezeapp.core.errors import ModelError
from squeezeapp.core.hashing import file_sha256
from squeezeapp.core.imageio import read_image
from squeezeapp.core.models import list_local_models, resolve_model_path
from squeezeapp.core.registry import TORCHVISION_PREPROCESS, KnownModel
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
    (shipped / "squeezenet1.1-zoo.onnx").write_bytes(b"stand-in: only the lookup is tested")
    monkeypatch.setattr("squeezeapp.core.models.bundled_models_dir", lambda: shipped)
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


def test_wrong_class_count_is_refused(tmp_path) -> None:
    with pytest.raises(ModelError, match="10 classes; only 1000-class"):
        Classifier.load(tiny_model(tmp_path / "ten.onnx", classes=10))


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
