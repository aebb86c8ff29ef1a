"""Class activation maps: aligned with the crop, meaningful on real photos, written by the CLI."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from squeezeapp.core.imaging.decode import read_image
from squeezeapp.core.inference.class_maps import blend, heatmap, overlay_bgra, peak_location
from squeezeapp.core.inference.preprocess import CropRect
from tests.conftest import run_cli

# Shared photos whose object lies away from the centre of the model's crop, so that a map that
# merely peaks at the centre fails. Boxes (x0, y0, x1, y1) drawn by hand on the original image:
# - candle: the candle is at the bottom left, a child's face fills the right half;
# - running shoe: two shoes left and right, the floor between them at the centre;
# - power drill: the yellow drill at the bottom right, beside a hard-disk enclosure (the model's
#   top-1 is "hard disc": a hard case);
# - basketball: the ball is small, at the top, above the players (another hard case: the ball
#   is barely inside the crop).
OFF_CENTRE = {
    "n02948072_candle.JPEG": [(44, 192, 209, 304)],
    "n04120489_running_shoe.JPEG": [(52, 6, 175, 279), (287, 6, 421, 285)],
    "n03995372_power_drill.JPEG": [(267, 214, 490, 359)],
    "n02802426_basketball.JPEG": [(173, 76, 212, 115)],
}


def _class_map(model, image, wnid):
    """The map of the photo's true class (not only of what the model ranks first)."""
    batch = model.new_batch(1)
    model.prepare(image, batch[0])
    _, maps = model.run(batch, with_cam=True)
    return maps[0, model.spec.wnids.index(wnid)]


def _inside(point, boxes) -> bool:
    x, y = point
    return any(x0 <= x <= x1 and y0 <= y <= y1 for x0, y0, x1, y1 in boxes)


def _share_of_crop(boxes, rect: CropRect) -> float:
    """How much of the crop the boxes cover: the chance that a random peak lands in them."""
    area = 0.0
    for x0, y0, x1, y1 in boxes:
        width = min(x1, rect.x + rect.width) - max(x0, rect.x)
        height = min(y1, rect.y + rect.height) - max(y0, rect.y)
        area += max(0.0, width) * max(0.0, height)
    return area / (rect.width * rect.height)


@pytest.mark.parametrize("which", ["classifier", "caffe_classifier"])
def test_peak_lies_on_off_centre_objects_more_often_than_chance(request, sample_dir,
                                                                which) -> None:
    model = request.getfixturevalue(which)
    hits, chance = 0, 0.0
    for name, boxes in OFF_CENTRE.items():
        image = read_image(sample_dir / name)
        rect = model.crop_rect(*image.shape[:2])
        centre = (rect.x + rect.width / 2, rect.y + rect.height / 2)
        assert not _inside(centre, boxes), f"{name}: the crop centre is on the object"
        hits += _inside(peak_location(_class_map(model, image, name.split("_")[0]), rect), boxes)
        chance += _share_of_crop(boxes, rect)
    # measured: 2 of 4 for both models (candle, running shoe) against 0.84 expected by chance
    assert hits >= 2 and hits > chance + 1, f"{hits} peaks on the object, chance {chance:.2f}"


@pytest.mark.parametrize(("which", "at_least"), [("classifier", 70), ("caffe_classifier", 60)])
def test_each_class_map_finds_its_photo_in_a_mosaic(request, sample_images, which,
                                                    at_least) -> None:
    """25 mosaics of 4 shared photos: a class's map should peak in the quadrant of its photo
    (chance: 25 of 100; measured 82 and 69)."""
    model = request.getfixturevalue(which)
    hits = 0
    for first in range(25):
        group = sample_images[first::25]
        tiles = []
        for path in group:
            image = read_image(path)
            height, width = image.shape[:2]
            side = min(height, width)
            top, left = (height - side) // 2, (width - side) // 2
            tiles.append(cv2.resize(image[top:top + side, left:left + side], (224, 224),
                                    interpolation=cv2.INTER_AREA))
        mosaic = np.vstack([np.hstack(tiles[:2]), np.hstack(tiles[2:])])
        rect = model.crop_rect(448, 448)
        for quadrant, path in enumerate(group):
            x, y = peak_location(_class_map(model, mosaic, path.name.split("_")[0]), rect)
            hits += quadrant == 2 * int(y >= 224) + int(x >= 224)
    assert hits >= at_least, f"{hits} of 100 maps peaked in their photo's quadrant"


def test_heatmap_is_aligned_with_the_crop() -> None:
    """A map hot in one cell lights up that cell's patch of the crop, and nothing outside it."""
    rect = CropRect(x=100.0, y=20.0, width=260.0, height=260.0)
    cells = np.zeros((13, 13), np.float32)
    cells[3, 10] = 5.0
    heat = heatmap(cells, rect, (300, 480))
    assert heat.shape == (300, 480) and heat.dtype == np.float32
    assert heat.max() == pytest.approx(1.0, abs=0.05)
    y, x = np.unravel_index(int(np.argmax(heat)), heat.shape)
    step = 260 / 13
    assert abs(x - (100 + 10.5 * step)) <= 2 and abs(y - (20 + 3.5 * step)) <= 2
    assert heat[:, :99].max() == 0 and heat[:, 361:].max() == 0 and heat[281:].max() == 0
    assert peak_location(cells, rect) == pytest.approx((100 + 10.5 * step, 20 + 3.5 * step))


def test_overlay_is_transparent_where_cold() -> None:
    heat = np.zeros((10, 20), np.float32)
    heat[:, 10:] = 1.0
    overlay = overlay_bgra(heat, opacity=0.5)
    assert overlay.shape == (10, 20, 4)
    assert overlay[:, :10, 3].max() == 0 and overlay[:, 10:, 3].min() == 128
    picture = np.full((10, 20, 3), 200, np.uint8)
    mixed = blend(picture, heat, opacity=0.5)
    assert (mixed[:, :10] == 200).all() and not (mixed[:, 10:] == 200).all()


def test_classify_heatmap_writes_one_png_per_image(model_dir, sample_images, tmp_path) -> None:
    photos = [str(p) for p in sample_images[:3]]
    out = tmp_path / "maps"
    result = run_cli("classify", "--format", "jsonl", "--heatmap", str(out), *photos)
    assert result.returncode == 0, result.stderr
    written = sorted(out.glob("*.png"))
    assert [p.name for p in written] == sorted(f"{p.stem}.heatmap.png" for p in sample_images[:3])
    for png, photo in zip(written, sorted(sample_images[:3]), strict=True):
        picture, original = read_image(png), read_image(photo)
        assert picture.shape == original.shape  # the picture at its own size, not the crop
        changed = np.abs(picture.astype(int) - original).max(axis=2) > 40
        assert 0.02 < changed.mean() < 0.9  # a heatmap over part of the picture, not a wash
