"""Training a project end to end: scan the folder, features from the cache or the model, the
head chosen by cross-validation; and evaluating a model on another ImageFolder."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from squeezeapp.core.inference.classifier import Classifier
from squeezeapp.core.teach.evaluate import TeachReport, teach
from squeezeapp.core.teach.features import FeatureCache, extract
from squeezeapp.core.teach.head import Head, design_matrix
from squeezeapp.core.teach.project import Project, ProjectScan


@dataclass(frozen=True)
class TrainedProject:
    """A project's scan, its report, and what it took."""

    scan: ProjectScan
    report: TeachReport
    left_out: tuple[str, ...]  # unreadable pictures and limits, one line each
    features_ms: float
    computed: int  # pictures whose features were not cached

    @property
    def feature_rate(self) -> float | None:
        """Pictures per second of feature extraction (None when all came from the cache)."""
        return self.computed / (self.features_ms / 1e3) if self.computed and self.features_ms \
            else None


def train_project(classifier: Classifier, project: Project, *,
                  progress: Callable[[int, int], None] | None = None,
                  cancelled: Callable[[], bool] | None = None) -> TrainedProject:
    scan = project.scan()
    cache = FeatureCache.load(project.folder, classifier.spec.sha256)
    started = time.perf_counter()
    paths = [example.path for example in scan.examples]
    extracted = extract(classifier, paths, cache, progress=progress, cancelled=cancelled)
    features_ms = (time.perf_counter() - started) * 1e3
    if cache.changed:
        keep = set(cache.entries)  # every cached picture; the save trims to the limit
        cache.save(project.folder, keep)
    labels = np.array([scan.examples[i].label for i in extracted.used], np.int64)
    report = teach(extracted.features, extracted.logits, labels, scan.classes)
    shared = shared_picture_warnings(extracted.keys, labels, scan.classes)
    if shared:
        report = replace(report, warnings=(*shared, *report.warnings))
    return TrainedProject(scan, report, (*scan.left_out, *extracted.failures), features_ms,
                          extracted.computed)


def shared_picture_warnings(keys: Sequence[str], labels: np.ndarray,
                            names: Sequence[str], limit: int = 5) -> list[str]:
    """The same picture (same content hash) in two classes teaches both that it is each: say
    which classes share one, once per pair."""
    first: dict[str, int] = {}
    pairs: dict[tuple[int, int], int] = {}
    for key, label in zip(keys, labels.tolist(), strict=True):
        seen = first.setdefault(key, label)
        if seen != label:
            pair = (min(seen, label), max(seen, label))
            pairs[pair] = pairs.get(pair, 0) + 1
    warnings = []
    for (a, b), count in list(pairs.items())[:limit]:
        what = "The same picture is" if count == 1 else f"{count} identical pictures are"
        warnings.append(f"{what} in both '{names[a]}' and '{names[b]}': remove "
                        f"{'it' if count == 1 else 'them'} from the class "
                        f"{'it does' if count == 1 else 'they do'} not belong to.")
    return warnings


@dataclass(frozen=True)
class Evaluation:
    accuracy: float | None
    per_class: tuple[tuple[str, int, int], ...]  # name, examples, correct
    left_out: tuple[str, ...]


def evaluate_head(classifier: Classifier, head: Head, names: tuple[str, ...],
                  folder: Path) -> Evaluation:
    """Accuracy of a head on a separate ImageFolder whose sub-folders are named like its
    classes (others are left out and said so)."""
    scan = Project.open(folder).scan()
    known = {name: index for index, name in enumerate(names)}
    chosen = [(e.path, known[scan.classes[e.label]]) for e in scan.examples
              if scan.classes[e.label] in known]
    left_out = [f"'{c}' is not a taught class" for c in scan.classes if c not in known]
    extracted = extract(classifier, [p for p, _ in chosen], FeatureCache("", {}))
    truth = np.array([chosen[i][1] for i in extracted.used], np.int64)
    predicted = head.predict(design_matrix(extracted.features, extracted.logits, head.kind)) \
        if truth.size else truth
    per_class = tuple((name, int((truth == i).sum()), int(((truth == i) & (predicted == i)).sum()))
                      for i, name in enumerate(names))
    accuracy = float((truth == predicted).mean()) if truth.size else None
    return Evaluation(accuracy, per_class, (*left_out, *scan.left_out, *extracted.failures))
