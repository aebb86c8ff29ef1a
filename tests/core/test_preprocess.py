"""Pre-processing: matches an independent, straightforward reference on the 100 real photos."""

from __future__ import annotations

import numpy as np
import pytest

from squeezeapp.core.bench.reference import reference_preprocess
from squeezeapp.core.imaging.decode import read_image
from squeezeapp.core.inference.classifier import Classifier, SessionSettings


@pytest.mark.parametrize("which", ["classifier", "caffe_classifier"])
def test_top1_matches_reference_on_real_photos(request, sample_images, which) -> None:
    # the file's own float input, so that both tensors go through the same session
    model = Classifier.load(request.getfixturevalue(which).spec.path,
                            SessionSettings(graph_prologue=False))
    spec = model.spec.preprocess
    agree = 0
    worst = 0.0
    for path in sample_images:
        image = read_image(path)
        ours = model.preprocess(image)
        reference = reference_preprocess(image, spec)
        assert ours.dtype == np.float32 and ours.shape == reference.shape[1:]
        # pixel values differ by at most a grey level or so of interpolation rounding
        worst = max(worst, float(np.abs(ours - reference[0]).max() * min(spec.std) / spec.scale))
        agree += int(np.argmax(model.infer(ours[None])[0]) == np.argmax(model.infer(reference)[0]))
    assert agree >= 97, f"top-1 agreed with the reference on only {agree} of 100"
    assert worst <= 8.0, f"largest pixel difference {worst:.1f} grey levels"


def test_channel_order_follows_metadata(classifier, caffe_classifier) -> None:
    blue = np.zeros((300, 300, 3), np.uint8)
    blue[:, :, 0] = 255
    rgb_tensor = classifier.preprocess(blue)
    bgr_tensor = caffe_classifier.preprocess(blue)
    # RGB model: blue is its third channel; BGR model: its first
    assert rgb_tensor[2].mean() > rgb_tensor[0].mean()
    assert bgr_tensor[0].mean() > bgr_tensor[2].mean()
    assert bgr_tensor[0].mean() == pytest.approx(255 - 104)


def test_reuses_the_buffer_it_is_given(classifier) -> None:
    out = classifier.preprocess.new_batch(2)
    image = np.full((480, 640, 3), 128, np.uint8)
    result = classifier.preprocess(image, out=out[1])
    assert result.base is out or np.shares_memory(result, out)
    assert np.allclose(out[1, 0], (128 / 255 - 0.485) / 0.229, atol=1e-5)


@pytest.mark.parametrize("shape", [(10, 10, 3), (30, 1200, 3), (2000, 40, 3)])
def test_tiny_and_extreme_aspect_images(classifier, shape) -> None:
    image = np.random.default_rng(0).integers(0, 255, shape, dtype=np.uint8)
    assert classifier.classify(image).top.probability > 0


def test_the_caffe_model_is_fed_squashed(classifier, caffe_classifier) -> None:
    """The Caffe file's metadata has no resize mode: the registry (by its sha256) says squash.
    The crop then covers the same share of both sides of a 4:3 picture (not a square)."""
    from squeezeapp.core.models.spec import ResizeMode

    assert caffe_classifier.spec.preprocess.resize_mode is ResizeMode.SQUASH
    assert classifier.spec.preprocess.resize_mode is ResizeMode.SHORTER
    crop = caffe_classifier.crop_rect(480, 640)
    share = 227 / 256
    assert crop.width == pytest.approx(640 * share) and crop.height == pytest.approx(480 * share)
    assert crop.x == pytest.approx((640 - crop.width) / 2, abs=1.5)
    assert crop.y == pytest.approx((480 - crop.height) / 2, abs=1.5)
    square = classifier.crop_rect(480, 640)
    assert square.width == pytest.approx(square.height, rel=0.01)


def test_the_heatmap_follows_the_squashed_crop(caffe_classifier, sample_images) -> None:
    from squeezeapp.core.inference.class_maps import heatmap

    image = read_image(sample_images[0])
    result = caffe_classifier.classify(image, with_cam=True)
    assert result.cam is not None
    height, width = image.shape[:2]
    values = heatmap(result.cam.maps[0], result.cam.crop, (height, width))
    rows, cols = np.nonzero(values > 0)
    crop = result.cam.crop
    # the map covers the crop: its lit extent spans the crop, in both directions
    assert cols.min() >= crop.x - 1 and cols.max() <= crop.x + crop.width + 1
    assert rows.min() >= crop.y - 1 and rows.max() <= crop.y + crop.height + 1
    assert crop.width / crop.height == pytest.approx(width / height, rel=0.01)


@pytest.mark.parametrize(("declared", "expected"), [("squash", "squash"), ("SHORTER", "shorter"),
                                                    (None, "shorter")])
def test_resize_mode_in_the_metadata_schema(declared, expected) -> None:
    from squeezeapp.core.models.spec import PreprocessSpec

    raw = {"size": 224, "resize": 256}
    if declared is not None:
        raw["resize_mode"] = declared
    spec = PreprocessSpec.from_mapping(raw, "test")
    assert spec.resize_mode == expected and spec.as_dict()["resize_mode"] == expected


def test_an_unknown_resize_mode_is_one_line_error() -> None:
    from squeezeapp.core.common.errors import ModelError
    from squeezeapp.core.models.spec import PreprocessSpec

    with pytest.raises(ModelError, match="resize_mode must be 'shorter' or 'squash'"):
        PreprocessSpec.from_mapping({"size": 224, "resize": 256, "resize_mode": "crop"}, "test")
