"""The textbook pre-processing, kept as a yardstick rather than used by the app.

`bench` times it (and a sequential folder loop built on it) as the "naive" baseline the fast
path is compared with, and the tests check that the fast path predicts what it predicts.
"""

from __future__ import annotations

import numpy as np

from squeezeapp.core.models.spec import PreprocessSpec, ResizeMode

import cv2  # isort: skip


def reference_preprocess(image_bgr: np.ndarray, spec: PreprocessSpec) -> np.ndarray:
    """Resize the whole image, crop, convert colour, normalise in float64: a [1,3,S,S] batch."""
    height, width = image_bgr.shape[:2]
    if spec.resize_mode is ResizeMode.SQUASH:
        new_w = new_h = spec.resize
    else:
        factor = spec.resize / min(height, width)
        new_w, new_h = round(width * factor), round(height * factor)
    resized = cv2.resize(image_bgr, (new_w, new_h), interpolation=cv2.INTER_LINEAR)
    top, left = round((new_h - spec.size) / 2), round((new_w - spec.size) / 2)  # torchvision
    crop = resized[top:top + spec.size, left:left + spec.size]
    if spec.color == "RGB":
        crop = cv2.cvtColor(crop, cv2.COLOR_BGR2RGB)
    values = crop.astype(np.float64) * spec.scale
    values = (values - np.array(spec.mean)) / np.array(spec.std)
    return values.transpose(2, 0, 1)[None].astype(np.float32)
