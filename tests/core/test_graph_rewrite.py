"""The load-time graph rewrites: normalisation inside the graph, class activation map output."""

from __future__ import annotations

import numpy as np
import pytest

from squeezeapp.core.imaging.decode import read_image
from squeezeapp.core.inference.classifier import Classifier, SessionSettings
from tests.modelfiles import random_classifier

FLOAT_PATH = SessionSettings(graph_prologue=False)


@pytest.mark.parametrize("which", ["classifier", "caffe_classifier"])
def test_uint8_graph_gives_the_same_top5_on_the_100_photos(request, sample_images,
                                                           which) -> None:
    """The rewritten graph (uint8 crop in, normalisation folded) against the float path."""
    fused = request.getfixturevalue(which)
    plain = Classifier.load(fused.spec.path, FLOAT_PATH)
    assert fused.uint8_input and "folded into the first convolution" in fused.normalisation
    assert not plain.uint8_input
    for path in sample_images:
        image = read_image(path)
        ours, theirs = fused.classify(image), plain.classify(image)
        assert [p.index for p in ours.predictions] == [p.index for p in theirs.predictions]
        for a, b in zip(ours.predictions, theirs.predictions, strict=True):
            assert a.probability == pytest.approx(b.probability, abs=1e-4)


@pytest.mark.parametrize(("first", "how"), [
    ("conv", "exact: it pads nothing"),
    ("padded", "mean subtracted before it"),
    ("relu", "Mul/Add nodes"),
])
@pytest.mark.parametrize("color", ["RGB", "BGR"])
def test_every_prologue_matches_the_float_path(tmp_path, first, how, color) -> None:
    """Padding makes folding the mean inexact at the border: the rewrite must notice."""
    path = random_classifier(tmp_path / f"{first}.onnx", first=first, color=color)
    fused, plain = Classifier.load(path), Classifier.load(path, FLOAT_PATH)
    assert fused.uint8_input and how in fused.normalisation
    rng = np.random.default_rng(3)
    images = [rng.integers(0, 256, (90, 120, 3), dtype=np.uint8) for _ in range(4)]
    images.append(np.full((80, 80, 3), 255, np.uint8))  # bright edges show a wrong border
    for image in images:
        np.testing.assert_allclose(fused.probabilities(image), plain.probabilities(image),
                                   rtol=1e-4, atol=1e-6)


def test_class_maps_are_what_the_model_pools(classifier, sample_images) -> None:
    """The spatial mean of each returned map is that class's logit: one inference, real maps."""
    image = read_image(sample_images[0])
    result = classifier.classify(image, top_k=5, with_cam=True)
    assert classifier.supports_cam and result.cam is not None
    assert result.cam.maps.shape == (5, 13, 13) and result.cam.image_size == image.shape[:2]
    logits = np.log(classifier.probabilities(image))  # log-softmax: logits up to a constant
    pooled = result.cam.maps.mean(axis=(1, 2))
    indices = [p.index for p in result.predictions]
    np.testing.assert_allclose(pooled - pooled[0], logits[indices] - logits[indices[0]],
                               atol=1e-3)
    assert classifier.classify(image).cam is None  # only when asked for


@pytest.mark.parametrize(("head", "supported", "reason"), [
    ("gap", True, ""),
    ("reducemean", True, ""),
    ("gemm", False, "not one map per class"),
])
def test_cam_support_is_read_from_the_graph(tmp_path, head, supported, reason) -> None:
    model = Classifier.load(random_classifier(tmp_path / f"{head}.onnx", head=head))
    assert model.supports_cam is supported
    assert reason in model.cam_unsupported_reason
    image = np.full((70, 90, 3), 100, np.uint8)
    result = model.classify(image, with_cam=True)
    assert (result.cam is not None) is supported
    if supported:
        assert result.cam.maps.shape == (5, 31, 31)


def test_crop_rect_is_the_centre_square(classifier) -> None:
    rect = classifier.crop_rect(480, 640)
    # shorter side 480 → 256, crop 224: 480 * 224 / 256 = 420 pixels, centred
    assert rect.height == pytest.approx(420, abs=1) and rect.width == pytest.approx(420, abs=2)
    assert rect.x + rect.width / 2 == pytest.approx(320, abs=1)
    assert rect.y + rect.height / 2 == pytest.approx(240, abs=1)


def test_crop_inside_the_graph_experiment(classifier, sample_images) -> None:
    """The bench experiment: frame in, Resize crops inside the graph; the same top-1 as ours."""
    from squeezeapp.core.bench.runner import _graph_crop_contender

    agree = 0
    for path in sample_images[:10]:
        image = read_image(path)
        classify_in_graph = _graph_crop_contender(classifier, SessionSettings(), image)
        assert classify_in_graph is not None
        agree += int(classify_in_graph()[0].index == classifier.classify(image).top.index)
    assert agree >= 9


def test_a_failing_rewrite_falls_back_to_the_file(classifier, monkeypatch) -> None:
    def broken(*_args, **_kwargs):
        raise RuntimeError("a graph the rewrite does not understand")

    # the cache is empty (isolated_cache), so the load rewrites, and the rewrite fails
    monkeypatch.setattr("squeezeapp.core.inference.graph_rewrite.rewrite", broken)
    plain = Classifier.load(classifier.spec.path)
    assert not plain.uint8_input and not plain.supports_cam
    image = np.full((100, 120, 3), 90, np.uint8)
    assert plain.classify(image).top.index == classifier.classify(image).top.index
