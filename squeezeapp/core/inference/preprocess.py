"""Turning a BGR uint8 frame into the model's input tensor, exactly as its metadata specifies.

Resizing the shorter side and then centre-cropping is done as one affine warp that samples only
the crop: the sample positions are those of `cv2.resize(INTER_LINEAR)` followed by the crop, so the
result equals the two-step reference while touching size×size output pixels instead of a whole
resized frame. Normalisation is a per-channel multiply-add in float32, written straight into the
NCHW buffer (channel reordering included), so no intermediate float64 or HWC copy is made.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from squeezeapp.core.models.spec import PreprocessSpec, ResizeMode

import cv2  # isort: skip


@dataclass(frozen=True)
class CropRect:
    """The square of the original image the model sees, in its pixel coordinates (x right,
    y down, edges at whole pixels: a full 640-wide image spans x 0..640). It may reach a little
    beyond the image where the crop is wider than the picture (tiny or extreme-aspect images)."""

    x: float
    y: float
    width: float
    height: float

    def as_tuple(self) -> tuple[float, float, float, float]:
        return self.x, self.y, self.width, self.height


class Preprocessor:
    """Stateless and thread-safe: buffers are passed in by the caller (`out=`) for reuse."""

    def __init__(self, spec: PreprocessSpec) -> None:
        self.spec = spec
        self._gain = np.array([spec.scale / s for s in spec.std], dtype=np.float32)
        self._offset = np.array([-m / s for m, s in zip(spec.mean, spec.std, strict=True)],
                                dtype=np.float32)
        # output channel c is taken from BGR channel _source[c]
        self._source = (2, 1, 0) if spec.color == "RGB" else (0, 1, 2)

    @property
    def input_shape(self) -> tuple[int, int, int]:
        return 3, self.spec.size, self.spec.size

    def new_batch(self, count: int) -> np.ndarray:
        return np.empty((count, *self.input_shape), dtype=np.float32)

    def crop_matrix(self, height: int, width: int) -> np.ndarray:
        """The dst→src affine map of 'resize (shorter side, or squash), then centre crop'."""
        spec = self.spec
        if spec.resize_mode is ResizeMode.SQUASH:
            resized_w = resized_h = spec.resize
        else:
            factor = spec.resize / min(height, width)
            resized_w = max(spec.size, round(width * factor))
            resized_h = max(spec.size, round(height * factor))
        left = round((resized_w - spec.size) / 2)
        top = round((resized_h - spec.size) / 2)
        step_x = width / resized_w
        step_y = height / resized_h
        # cv2.resize maps resized pixel x' to source (x' + 0.5) * step - 0.5; x' = x + left
        return np.array(
            [[step_x, 0.0, (left + 0.5) * step_x - 0.5],
             [0.0, step_y, (top + 0.5) * step_y - 0.5]],
            dtype=np.float64,
        )

    def crop_rect(self, height: int, width: int) -> CropRect:
        """Where the model's crop lies in a height×width image ("Show Model Crop"); not square
        in the original when the model squashes the picture."""
        matrix = self.crop_matrix(height, width)
        size = self.spec.size
        # crop pixel edge -0.5 maps to source centre a*(-0.5)+b, i.e. source edge that + 0.5
        x = matrix[0, 2] - 0.5 * matrix[0, 0] + 0.5
        y = matrix[1, 2] - 0.5 * matrix[1, 1] + 0.5
        return CropRect(float(x), float(y), float(size * matrix[0, 0]),
                        float(size * matrix[1, 1]))

    def crop(self, image: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
        """The size×size BGR uint8 crop the model sees, written into `out` when given (a
        contiguous (size, size, 3) uint8 array, e.g. one slot of a uint8 NHWC batch)."""
        size = self.spec.size
        matrix = self.crop_matrix(image.shape[0], image.shape[1])
        return cv2.warpAffine(
            image, matrix, (size, size), dst=out,
            flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP, borderMode=cv2.BORDER_REPLICATE,
        )

    def __call__(self, image: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
        """Pre-process one BGR uint8 (H, W, 3) image into `out` (3, size, size) float32."""
        if out is None:
            out = np.empty(self.input_shape, dtype=np.float32)
        cropped = self.crop(image)
        for channel, source in enumerate(self._source):
            plane = out[channel]
            np.multiply(cropped[:, :, source], self._gain[channel], out=plane, dtype=np.float32)
            plane += self._offset[channel]
        return out
