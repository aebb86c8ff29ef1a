"""The trained head: softmax logistic regression on the backbone's L2-normalised features.

Why this shape: a linear head on pooled features commutes with the pooling, so the exported model
keeps per-class maps (heatmaps) and is one small 1×1 convolution on top of the backbone. The
features are power-normalised (signed square root: ReLU features are bursty, and on the digits
it adds 3–4 points) and L2-normalised per block (pooled Fire features, ImageNet logits, or
both), centred on the training mean, and the regression is trained in its dual form
(weights = Xᵀ·A): with fewer examples than feature values every step costs n²·C instead of
n·d·C, and cross-validation folds reuse sub-blocks of one Gram matrix.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

_EPS = 1e-12
MAX_ITERATIONS = 400
# Above this many examples the primal form is used: the dual's n×n Gram matrix would take
# 1.6 GB at 20,000 examples, the primal's weights d×C a few kilobytes
DUAL_LIMIT = 2000
TOLERANCE = 1e-4  # stop when the largest gradient entry is below this


class FeatureKind(enum.StrEnum):
    """Which backbone output the head reads."""

    FEATURES = "features"  # the last Fire module's output, average-pooled (512 values)
    LOGITS = "logits"  # the 1000 ImageNet scores before softmax
    BOTH = "both"  # both blocks, each L2-normalised, side by side

    @property
    def description(self) -> str:
        return {FeatureKind.FEATURES: "pooled Fire features", FeatureKind.LOGITS:
                "ImageNet logits", FeatureKind.BOTH: "pooled features + logits"}[self]


def l2_normalise(values: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(values, axis=1, keepdims=True)
    return (values / np.maximum(norms, _EPS)).astype(np.float32)


def normalise_block(values: np.ndarray) -> np.ndarray:
    """Signed square root, then unit length per row (what the exported graph does too)."""
    values = np.asarray(values, np.float32)
    return l2_normalise(np.sign(values) * np.sqrt(np.abs(values)))


def design_matrix(features: np.ndarray, logits: np.ndarray, kind: FeatureKind) -> np.ndarray:
    """The head's input rows for `kind`: each block normalised (both: scaled by 1/√2 so that
    every row still has unit length)."""
    if kind is FeatureKind.FEATURES:
        return normalise_block(features)
    if kind is FeatureKind.LOGITS:
        return normalise_block(logits)
    half = np.float32(1 / math.sqrt(2))
    return np.concatenate([normalise_block(features) * half, normalise_block(logits) * half],
                          axis=1)


@dataclass(frozen=True, eq=False)  # holds arrays: compared by identity
class Head:
    """scores = (x - mean) · weights + bias, x the design row of `kind`."""

    kind: FeatureKind
    regulariser: float
    mean: np.ndarray  # [d]
    weights: np.ndarray  # [d, C]
    bias: np.ndarray  # [C]
    dual: np.ndarray | None = None  # [n,C]: weights = (rows - mean)ᵀ·dual, to warm-start folds

    @property
    def classes(self) -> int:
        return int(self.bias.shape[0])

    def scores(self, rows: np.ndarray) -> np.ndarray:
        return (rows - self.mean) @ self.weights + self.bias

    def probabilities(self, rows: np.ndarray) -> np.ndarray:
        return softmax(self.scores(rows))

    def predict(self, rows: np.ndarray) -> np.ndarray:
        return np.argmax(self.scores(rows), axis=1)


def softmax(scores: np.ndarray) -> np.ndarray:
    shifted = scores - scores.max(axis=1, keepdims=True)
    exp = np.exp(shifted)
    return exp / exp.sum(axis=1, keepdims=True)


def fit(rows: np.ndarray, labels: np.ndarray, classes: int, regulariser: float,
        kind: FeatureKind = FeatureKind.FEATURES, gram: np.ndarray | None = None,
        start: tuple[np.ndarray, np.ndarray] | None = None,
        iterations: int = MAX_ITERATIONS) -> Head:
    """Train a head on design rows [n,d] with integer labels in 0..classes-1.

    Minimises mean cross-entropy + regulariser/2·|W|² by Nesterov's accelerated gradient in
    the dual form. `gram`: rows·rowsᵀ when the caller already has it (cross-validation);
    `start`: dual coefficients [n,C] and bias to start from (a fit on more examples)."""
    rows = np.asarray(rows, np.float32)
    mean = rows.mean(axis=0)
    centred = rows - mean
    if gram is None and rows.shape[0] > DUAL_LIMIT:
        weights, bias = _fit_primal(centred, labels, classes, regulariser, iterations)
        return Head(kind, regulariser, mean, weights, bias)
    if gram is None:
        gram = centred @ centred.T
    else:  # the uncentred Gram matrix of `rows`: centre it without another n·n·d product
        projected = rows @ mean
        gram = gram - projected[:, None] - projected[None, :] + float(mean @ mean)
    coefficients, bias = _fit_dual(gram, labels, classes, regulariser, start, iterations)
    weights = centred.T @ coefficients
    return Head(kind, regulariser, mean, weights.astype(np.float32), bias.astype(np.float32),
                coefficients)


Gradients = Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray, float]]


def _fit_dual(gram: np.ndarray, labels: np.ndarray, classes: int, regulariser: float,
              start: tuple[np.ndarray, np.ndarray] | None, iterations: int
              ) -> tuple[np.ndarray, np.ndarray]:
    """Coefficients A [n,C] (weights = Xᵀ·A) and bias [C] for the centred Gram matrix."""
    count = gram.shape[0]
    targets = _one_hot(labels, classes, count)
    if start is not None:
        coefficients, bias = start[0].astype(np.float32), start[1].astype(np.float32)
    else:
        coefficients = np.zeros((count, classes), np.float32)
        bias = np.zeros(classes, np.float32)

    def gradients(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
        residual = (softmax(gram @ a + b) - targets) / count
        # in the dual form the primal gradient Xᵀ·residual + λ·Xᵀ·A maps to residual + λ·A
        grad_a, grad_b = residual + regulariser * a, residual.sum(axis=0)
        return grad_a, grad_b, max(float(np.abs(grad_a).max()) * count,
                                   float(np.abs(grad_b).max()))

    # Lipschitz constant of the gradient: softmax curvature ≤ 1/2, |x|² ≤ 4 after centring
    # unit rows; the power method's estimate is much tighter than the trace bound.
    largest = _largest_eigenvalue(gram) / max(1, count)
    return _accelerated(coefficients, bias, gradients, largest, regulariser, iterations)


def _fit_primal(centred: np.ndarray, labels: np.ndarray, classes: int, regulariser: float,
                iterations: int) -> tuple[np.ndarray, np.ndarray]:
    """Weights [d,C] and bias [C] by the same accelerated gradient, on the rows themselves."""
    count, width = centred.shape
    targets = _one_hot(labels, classes, count)

    def gradients(w: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
        residual = (softmax(centred @ w + b) - targets) / count
        grad_w, grad_b = centred.T @ residual + regulariser * w, residual.sum(axis=0)
        return grad_w, grad_b, max(float(np.abs(grad_w).max()), float(np.abs(grad_b).max()))

    largest = _largest_eigenvalue(centred.T @ centred) / max(1, count)
    weights, bias = _accelerated(np.zeros((width, classes), np.float32),
                                 np.zeros(classes, np.float32), gradients, largest, regulariser,
                                 iterations)
    return weights.astype(np.float32), bias.astype(np.float32)


def _one_hot(labels: np.ndarray, classes: int, count: int) -> np.ndarray:
    targets = np.zeros((count, classes), np.float32)
    targets[np.arange(count), labels] = 1.0
    return targets


def _accelerated(weights: np.ndarray, bias: np.ndarray, gradients: Gradients, largest: float,
                 regulariser: float, iterations: int) -> tuple[np.ndarray, np.ndarray]:
    """Nesterov's accelerated gradient for a strongly convex loss, shared by the dual and the
    primal fit: `gradients` gives both gradients at the look-ahead point and the size that
    ends the descent below TOLERANCE; `largest` is the loss curvature's largest eigenvalue."""
    step = 1.0 / (0.5 * largest + regulariser + 0.5)  # + 0.5: the bias's own curvature
    momentum = (1 - math.sqrt(regulariser * step)) / (1 + math.sqrt(regulariser * step))
    previous_w, previous_b, look_w, look_b = weights, bias, weights, bias
    for _ in range(iterations):
        grad_w, grad_b, size = gradients(look_w, look_b)
        weights = look_w - step * grad_w
        bias = look_b - step * grad_b
        look_w = weights + momentum * (weights - previous_w)
        look_b = bias + momentum * (bias - previous_b)
        previous_w, previous_b = weights, bias
        if size < TOLERANCE:
            break
    return weights, bias


def _largest_eigenvalue(gram: np.ndarray, steps: int = 20) -> float:
    vector = np.ones(gram.shape[0], np.float32) / math.sqrt(max(1, gram.shape[0]))
    value = 0.0
    for _ in range(steps):
        product = gram @ vector
        value = float(np.linalg.norm(product))
        if value < _EPS:
            return 0.0
        vector = product / value
    return value * 1.05  # a little over: the power method approaches from below
