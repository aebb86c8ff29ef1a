"""Class activation maps as pictures: where in the image the network saw a class.

`Classifier.classify(image, with_cam=True)` returns the maps of its top-k classes on the model's
feature grid (13×13 for SqueezeNet 1.1), each cell covering one patch of the centre crop the
model saw. `heatmap` places one map over the original image: cell centres land on the centres of
their patches of the crop rectangle, bicubic upsampling makes it smooth, and everything outside
the crop is 0 (the model never saw it). `overlay_bgra` colours it with transparency for a GUI to
draw over the picture; `blend` burns it into a copy of the picture (reports, `--heatmap`).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from squeezeapp.core.inference.preprocess import CropRect

import cv2  # isort: skip

DEFAULT_OPACITY = 0.6


def normalise_map(class_map: np.ndarray) -> np.ndarray:
    """A map scaled to 0..1 (negative evidence clipped to 0); all-zero stays zero."""
    positive = np.maximum(np.asarray(class_map, np.float32), 0.0)
    peak = float(positive.max()) if positive.size else 0.0
    return positive / peak if peak > 0 else positive


def map_to_image_matrix(grid: tuple[int, int], crop: CropRect) -> np.ndarray:
    """The affine map from feature-grid pixel centres to original-image pixel coordinates."""
    rows, cols = grid
    step_x, step_y = crop.width / cols, crop.height / rows
    # grid cell j covers crop.x + [j, j+1) * step; its centre is at +0.5; pixel centres are at
    # whole coordinates minus 0.5 in the edge convention of CropRect
    return np.array([[step_x, 0.0, crop.x + 0.5 * step_x - 0.5],
                     [0.0, step_y, crop.y + 0.5 * step_y - 0.5]], np.float64)


def heatmap(class_map: np.ndarray, crop: CropRect, image_size: tuple[int, int]) -> np.ndarray:
    """A [height, width] float32 heatmap in 0..1, aligned with the original image."""
    height, width = image_size
    values = normalise_map(class_map)
    matrix = map_to_image_matrix(values.shape, crop)
    warped = cv2.warpAffine(values, matrix, (width, height), flags=cv2.INTER_CUBIC,
                            borderMode=cv2.BORDER_REPLICATE)
    np.clip(warped, 0.0, 1.0, out=warped)
    _zero_outside(warped, crop)
    return warped


def _zero_outside(values: np.ndarray, crop: CropRect) -> None:
    height, width = values.shape[:2]
    left, top = max(0, round(crop.x)), max(0, round(crop.y))
    right = min(width, round(crop.x + crop.width))
    bottom = min(height, round(crop.y + crop.height))
    values[:top] = 0
    values[bottom:] = 0
    values[:, :left] = 0
    values[:, right:] = 0


def peak_location(class_map: np.ndarray, crop: CropRect) -> tuple[float, float]:
    """(x, y) in original-image pixels of the centre of the map's strongest cell."""
    rows, cols = class_map.shape
    row, col = np.unravel_index(int(np.argmax(class_map)), class_map.shape)
    return (crop.x + (col + 0.5) * crop.width / cols, crop.y + (row + 0.5) * crop.height / rows)


def overlay_bgra(heat: np.ndarray, opacity: float = DEFAULT_OPACITY) -> np.ndarray:
    """The heatmap coloured (turbo colour map) with alpha rising with the heat: cold areas stay
    see-through, so the picture remains readable. BGRA uint8, the size of `heat`."""
    levels = np.round(heat * 255).astype(np.uint8)
    colour = cv2.applyColorMap(levels, cv2.COLORMAP_TURBO)
    alpha = np.round(heat * (255 * opacity)).astype(np.uint8)
    return np.dstack([colour, alpha])


def crop_overlay(class_map: np.ndarray, side: int = 224,
                 opacity: float = DEFAULT_OPACITY) -> np.ndarray:
    """One class's map as a BGRA square to draw over the crop rectangle (a GUI scales it there):
    smooth (bicubic, cell centres on patch centres, as `heatmap`), coloured, see-through where
    cold. Costs ~0.1 ms, unlike `heatmap` over a whole frame."""
    values = cv2.resize(normalise_map(class_map), (side, side), interpolation=cv2.INTER_CUBIC)
    np.clip(values, 0.0, 1.0, out=values)
    return overlay_bgra(values, opacity)


def blend(image_bgr: np.ndarray, heat: np.ndarray, opacity: float = DEFAULT_OPACITY) -> np.ndarray:
    """A copy of the BGR picture with the coloured heatmap drawn over it."""
    overlay = overlay_bgra(heat, opacity)
    alpha = overlay[:, :, 3:4].astype(np.float32) / 255.0
    mixed = image_bgr.astype(np.float32) * (1.0 - alpha) + overlay[:, :, :3] * alpha
    return np.round(mixed).astype(np.uint8)


def report_image(image_bgr: np.ndarray, cam_maps: np.ndarray, crop: CropRect, label: str,
                 probability: float) -> np.ndarray:
    """The picture with one class's heatmap blended in, the model's crop outlined and the class
    named in the corner: what `squeezeapp classify --heatmap DIR` writes."""
    height, width = image_bgr.shape[:2]
    picture = blend(image_bgr, heatmap(cam_maps, crop, (height, width)))
    thickness = max(1, round(min(height, width) / 300))
    corner = (round(crop.x), round(crop.y))
    far = (round(crop.x + crop.width) - 1, round(crop.y + crop.height) - 1)
    cv2.rectangle(picture, corner, far, (255, 255, 255), thickness, cv2.LINE_AA)
    text = f"{label} {probability:.0%}"
    scale = max(0.4, min(height, width) / 600)
    (text_w, text_h), base = cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, scale, thickness)
    cv2.rectangle(picture, (0, 0), (text_w + 8, text_h + base + 8), (0, 0, 0), cv2.FILLED)
    cv2.putText(picture, text, (4, text_h + 4), cv2.FONT_HERSHEY_SIMPLEX, scale,
                (255, 255, 255), thickness, cv2.LINE_AA)
    return picture


def write_heatmap_png(path: Path, classification, folder: Path) -> Path:
    """Write `folder/<stem>.heatmap.png` for one classified file (its top-1 class) and return the
    name it got. Through `core.common.files`: written whole or not at all, never over an existing
    file or through a link planted under that name ("photo.heatmap (2).png" instead)."""
    from squeezeapp.core.common.files import write_atomic
    from squeezeapp.core.imaging.decode import read_image

    if classification is None or classification.cam is None:
        raise ValueError(f"{path}: no class activation maps in this result")
    image = read_image(path)
    top, cam = classification.top, classification.cam
    picture = report_image(image, cam.maps[0], cam.crop, top.name, top.probability)
    target = folder / f"{path.stem}.heatmap.png"
    ok, encoded = cv2.imencode(".png", picture)
    if not ok:
        raise ValueError(f"{target}: PNG encoding failed")
    return write_atomic(target, encoded.tobytes())
