"""How good a taught head is, measured honestly: cross-validation on the user's own examples.

The feature kind and the regulariser are chosen by cross-validated accuracy (log-loss breaks
ties), the same folds give the per-class accuracy and the confusion matrix, and the warnings say
in plain words what would make it better.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from threadpoolctl import threadpool_limits

from squeezeapp.core.teach.head import FeatureKind, Head, design_matrix, fit, softmax

REGULARISERS = (1e-4, 1e-3)  # larger ones never won on the digits or the photos
KINDS = (FeatureKind.FEATURES, FeatureKind.LOGITS, FeatureKind.BOTH)
MAX_FOLDS = 5
FOLD_ITERATIONS = 60
WARM_START_ITERATIONS = 150
# cross-validation (choosing, and the per-class figures) runs on at most this many examples,
# drawn per class in proportion; the final head is trained on all of them
CV_LIMIT = 1500  # the fit on every example that the folds start from
LEAVE_ONE_OUT_UP_TO = 30  # examples in all: below this every example is held out once
MIN_PER_CLASS = 5  # fewer gives a warning
UNBALANCED_RATIO = 10
DUPLICATE_COSINE = 0.998  # pooled features this alike: the same picture, for the head
CONFUSED_SHARE = 0.3  # a class mistaken for another this often: "cannot tell apart"
MAX_WARNINGS_LISTED = 5


@dataclass(frozen=True)
class ClassReport:
    name: str
    examples: int
    correct: int  # cross-validated

    @property
    def accuracy(self) -> float | None:
        return self.correct / self.examples if self.examples else None


@dataclass(frozen=True)
class TeachReport:
    """A trained head and how it did in cross-validation."""

    head: Head | None
    classes: tuple[ClassReport, ...]
    confusion: tuple[tuple[int, ...], ...]  # [true][predicted], cross-validated
    accuracy: float | None  # overall cross-validated accuracy; None when it cannot be measured
    validation: str  # "5-fold", "leave-one-out" or why there was none
    kind: FeatureKind | None
    regulariser: float | None
    warnings: tuple[str, ...]
    train_ms: float  # choosing + the final fit
    candidates: tuple[tuple[str, float, float], ...] = field(default=())  # kind, λ, accuracy

    @property
    def trained(self) -> bool:
        return self.head is not None

    def as_dict(self) -> dict[str, object]:
        return {
            "classes": [{"name": c.name, "examples": c.examples, "correct": c.correct,
                         "accuracy": None if c.accuracy is None else round(c.accuracy, 4)}
                        for c in self.classes],
            "confusion": [list(row) for row in self.confusion],
            "accuracy": None if self.accuracy is None else round(self.accuracy, 4),
            "validation": self.validation,
            "features": self.kind.value if self.kind else None,
            "regulariser": self.regulariser,
            "warnings": list(self.warnings),
            "train_ms": round(self.train_ms, 1),
        }


def folds_for(labels: np.ndarray, seed: int = 0) -> list[np.ndarray]:
    """Held-out index sets: leave-one-out for few examples, else stratified k-fold (k ≤ the
    smallest class, at most 5)."""
    count = labels.shape[0]
    if count <= LEAVE_ONE_OUT_UP_TO:
        return [np.array([i]) for i in range(count)]
    smallest = int(np.bincount(labels).min()) if count else 0
    folds = max(2, min(MAX_FOLDS, smallest))
    rng = np.random.default_rng(seed)
    assignment = np.empty(count, np.int64)
    for label in np.unique(labels):
        members = np.flatnonzero(labels == label)
        rng.shuffle(members)
        assignment[members] = np.arange(members.shape[0]) % folds
    return [np.flatnonzero(assignment == k) for k in range(folds)]


def cross_validate(rows: np.ndarray, labels: np.ndarray, classes: int, regulariser: float,
                   folds: Sequence[np.ndarray]) -> tuple[np.ndarray, float]:
    """Held-out predictions for every example, and the mean held-out log-loss."""
    predicted = np.empty(labels.shape[0], np.int64)
    loss = 0.0
    gram = rows @ rows.T
    full = fit(rows, labels, classes, regulariser, gram=gram, iterations=WARM_START_ITERATIONS)
    assert full.dual is not None
    for held in folds:
        train = np.ones(labels.shape[0], bool)
        train[held] = False
        # from the fit on every example, a fold needs a fraction of the steps
        head = fit(rows[train], labels[train], classes, regulariser,
                   gram=gram[np.ix_(train, train)], start=(full.dual[train], full.bias),
                   iterations=FOLD_ITERATIONS)
        probabilities = softmax(head.scores(rows[held]))
        predicted[held] = probabilities.argmax(axis=1)
        loss -= float(np.log(np.maximum(probabilities[np.arange(held.shape[0]),
                                                      labels[held]], 1e-12)).sum())
    return predicted, loss / max(1, labels.shape[0])


def teach(features: np.ndarray, logits: np.ndarray, labels: np.ndarray,
          names: Sequence[str], *, kinds: Sequence[FeatureKind] = KINDS,
          regularisers: Sequence[float] = REGULARISERS) -> TeachReport:
    """Choose the feature kind and regulariser by cross-validation, report, and fit the final
    head on every example. Never raises for too few examples: the report says why.

    BLAS runs on one thread here: the products are small, and on a busy 2-core machine
    OpenBLAS's threads made each one 20× slower (2.8 ms instead of 0.13 ms for 400×400·400×10)."""
    with threadpool_limits(limits=1, user_api="blas"):
        return _teach(features, logits, labels, names, kinds, regularisers)


def _teach(features: np.ndarray, logits: np.ndarray, labels: np.ndarray,
           names: Sequence[str], kinds: Sequence[FeatureKind],
           regularisers: Sequence[float]) -> TeachReport:
    started = time.perf_counter()
    classes = len(names)
    labels = np.asarray(labels, np.int64)
    counts = np.bincount(labels, minlength=classes) if labels.size else np.zeros(classes, int)
    warnings = list(_count_warnings(names, counts))
    empty = tuple(ClassReport(name, int(n), 0) for name, n in zip(names, counts, strict=True))
    missing = [name for name, n in zip(names, counts, strict=True) if n == 0]
    if classes < 2 or missing:
        advice = "Add a second class to train." if classes < 2 else \
            f"Add examples to {_listed(missing)} to train (every class needs examples)."
        return TeachReport(None, empty, (), None, "none", None, None, (*warnings, advice),
                           _ms(started))
    can_validate = int(counts.min()) >= 2
    all_features, all_logits, all_labels = features, logits, labels
    sample = _stratified_sample(labels, CV_LIMIT)
    if sample is not None:  # choose and measure on a sample; train the head on everything
        features, logits, labels = features[sample], logits[sample], labels[sample]
    folds = folds_for(labels) if can_validate else []
    best: tuple[float, float, FeatureKind, float, np.ndarray] | None = None
    candidates = []
    # the feature kind at the first regulariser, then the other regularisers for the best kind
    # only: 4 cross-validations instead of 6, the same choices on the digits and photos
    plan = [(kind, regularisers[0]) for kind in kinds]
    if not folds:
        plan = plan[:1]
    tried: set[tuple[FeatureKind, float]] = set()
    while plan:
        kind, regulariser = plan.pop(0)
        tried.add((kind, regulariser))
        if not folds:
            best = (0.0, 0.0, kind, regulariser, labels)
            break
        rows = design_matrix(features, logits, kind)
        predicted, loss = cross_validate(rows, labels, classes, regulariser, folds)
        accuracy = float((predicted == labels).mean())
        candidates.append((kind.value, regulariser, accuracy))
        if best is None or (accuracy, -loss) > (best[0], best[1]):
            best = (accuracy, -loss, kind, regulariser, predicted)
        if not plan and best is not None:
            plan = [(best[2], other) for other in regularisers if (best[2], other) not in tried]
    assert best is not None
    accuracy, _, kind, regulariser, predicted = best
    head = fit(design_matrix(all_features, all_logits, kind), all_labels, classes, regulariser,
               kind)
    if not folds:
        warnings.append("Each class needs at least 2 examples to measure accuracy.")
        return TeachReport(head, empty, (), None, "none (a class has 1 example)", kind,
                           regulariser, tuple(warnings), _ms(started))
    confusion = np.zeros((classes, classes), np.int64)
    np.add.at(confusion, (labels, predicted), 1)
    reports = tuple(ClassReport(name, int(confusion[i].sum()), int(confusion[i, i]))
                    for i, name in enumerate(names))
    warnings += _confusion_warnings(names, confusion)
    warnings += _duplicate_warnings(features, labels, names)
    validation = "leave-one-out" if len(folds) == labels.shape[0] else f"{len(folds)}-fold"
    if sample is not None:
        validation += f" on {labels.shape[0]:,} of {all_labels.shape[0]:,} examples"
    return TeachReport(head, reports, tuple(tuple(int(v) for v in row) for row in confusion),
                       accuracy, validation, kind, regulariser, tuple(warnings), _ms(started),
                       tuple(candidates))


def _stratified_sample(labels: np.ndarray, limit: int, seed: int = 0) -> np.ndarray | None:
    """At most `limit` indices, each class in proportion (2 at least); None when all fit."""
    if labels.shape[0] <= limit:
        return None
    rng = np.random.default_rng(seed)
    chosen = []
    for label in np.unique(labels):
        members = np.flatnonzero(labels == label)
        share = max(2, round(limit * members.shape[0] / labels.shape[0]))
        chosen.append(rng.choice(members, min(share, members.shape[0]), replace=False))
    return np.sort(np.concatenate(chosen))


def _ms(started: float) -> float:
    return (time.perf_counter() - started) * 1e3


def _listed(names: Sequence[str]) -> str:
    shown = [f"'{n}'" for n in names[:MAX_WARNINGS_LISTED]]
    more = len(names) - len(shown)
    return ", ".join(shown) + (f" and {more} more" if more > 0 else "")


def _count_warnings(names: Sequence[str], counts: np.ndarray) -> list[str]:
    warnings = []
    few = [n for n, c in zip(names, counts, strict=True) if 0 < c < MIN_PER_CLASS]
    if few:
        warnings.append(f"{_listed(few)} {'has' if len(few) == 1 else 'have'} fewer than "
                        f"{MIN_PER_CLASS} examples: add more.")
    present = counts[counts > 0]
    if present.size >= 2 and int(present.max()) >= UNBALANCED_RATIO * int(present.min()):
        most, least = names[int(np.argmax(counts))], names[int(np.argmin(
            np.where(counts > 0, counts, counts.max() + 1)))]
        warnings.append(f"Classes are unbalanced: '{most}' has {int(present.max())} examples, "
                        f"'{least}' {int(present.min())} (10× or more).")
    return warnings


def _confusion_warnings(names: Sequence[str], confusion: np.ndarray) -> list[str]:
    warnings = []
    for true, row in enumerate(confusion):
        total = int(row.sum())
        for other, count in enumerate(row):
            if other != true and total and count / total >= CONFUSED_SHARE:
                warnings.append(f"'{names[true]}' is often taken for '{names[other]}' "
                                f"({int(count)} of {total}): the head cannot tell them apart; "
                                "add more varied examples.")
    return warnings[:MAX_WARNINGS_LISTED]


def _duplicate_warnings(features: np.ndarray, labels: np.ndarray, names: Sequence[str],
                        max_rows: int = 2000) -> list[str]:
    """Near-duplicates within a class (a held button on a still scene): they add no
    information and make cross-validation look better than it is."""
    warnings = []
    for label in np.unique(labels):
        rows = features[labels == label][:max_rows]
        if rows.shape[0] < 2:
            continue
        unit = rows / np.maximum(np.linalg.norm(rows, axis=1, keepdims=True), 1e-12)
        similarity = unit @ unit.T
        np.fill_diagonal(similarity, 0)
        duplicated = int((similarity.max(axis=1) >= DUPLICATE_COSINE).sum())
        if duplicated >= max(2, rows.shape[0] // 2):
            warnings.append(f"'{names[int(label)]}': {duplicated} of {rows.shape[0]} examples "
                            "are near-duplicates; move the object or the camera while recording.")
    return warnings[:MAX_WARNINGS_LISTED]
