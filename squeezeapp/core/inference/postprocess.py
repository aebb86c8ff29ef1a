"""From raw model output to ranked predictions: softmax only where the output is logits."""

from __future__ import annotations

import numpy as np

from squeezeapp.core.models.spec import OutputKind

_PROBABILITY_TOLERANCE = 1e-3


def flatten_scores(output: np.ndarray, classes: int | None = None) -> np.ndarray:
    """[N,C] or [N,C,1,1] → [N,C] float32; C must be `classes` (the label count) when given."""
    batch = output.shape[0]
    scores = output.reshape(batch, -1)
    if classes is not None and scores.shape[1] != classes:
        raise ValueError(f"model output has {scores.shape[1]} values per image, "
                         f"expected {classes} (one per label)")
    return scores.astype(np.float32, copy=False)


def looks_like_probabilities(scores: np.ndarray) -> bool:
    """Rows already non-negative and summing to 1 (a softmax inside the model)."""
    if scores.size == 0 or float(scores.min()) < 0.0:
        return False
    return bool(np.all(np.abs(scores.sum(axis=1) - 1.0) < _PROBABILITY_TOLERANCE))


def softmax(logits: np.ndarray) -> np.ndarray:
    shifted = logits - logits.max(axis=1, keepdims=True)
    np.exp(shifted, out=shifted)
    shifted /= shifted.sum(axis=1, keepdims=True)
    return shifted


def to_probabilities(output: np.ndarray, kind: OutputKind | None,
                     classes: int | None = None) -> np.ndarray:
    """Probabilities [N,C] from a model's output, whatever it declares or looks like."""
    scores = flatten_scores(output, classes)
    if kind == "probabilities" or (kind is None and looks_like_probabilities(scores)):
        return scores
    return softmax(scores.copy())


def top_k_indices(probabilities: np.ndarray, k: int) -> np.ndarray:
    """Indices of the k largest values of a 1-D array, largest first."""
    k = max(1, min(k, probabilities.shape[0]))
    candidates = np.argpartition(probabilities, -k)[-k:]
    return candidates[np.argsort(-probabilities[candidates], kind="stable")]
