"""How well teaching works at 5/10/20 examples per class, how long training takes, and how fast
features come: on scikit-learn's 8×8 digits (out of ImageNet's domain; scikit-learn is a test
dependency, imported only here) and on the shared photos.

The shared photos are 100 ImageNet classes with one photo each, too few for fine groups, so two
photo tasks: "animal or thing" (ImageNet's classes 0–397 are animals: 40 photos against 60, each
a different kind, so the head must generalise across kinds), and "which of 10 photos is this a
view of" (each view a random crop of 40–90 % of the area, mirrored half the time, brightness
±25 %: what recording one object from a few angles gives). Accuracy is on held-out examples
(never trained on), averaged over `repeats` random draws.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from squeezeapp.core.common.errors import SqueezeappError
from squeezeapp.core.imaging.decode import read_image
from squeezeapp.core.inference.classifier import Classifier
from squeezeapp.core.teach.evaluate import teach
from squeezeapp.core.teach.head import design_matrix, fit

PER_CLASS = (5, 10, 20)
DIGIT_SIDE = 224
PHOTO_CLASSES = 10
VIEWS_PER_PHOTO = 40


@dataclass(frozen=True)
class TaskResult:
    task: str
    classes: int
    per_class: int
    accuracy: float  # held out, mean over repeats
    cv_accuracy: float  # what the panel would show (cross-validated on the training examples)
    chosen: str  # the feature kind and regulariser cross-validation chose most often
    teach_ms: float  # choosing by cross-validation + the final fit
    fit_ms: float  # the final fit alone


@dataclass(frozen=True)
class BenchmarkReport:
    results: tuple[TaskResult, ...]
    feature_rate: float  # images per second, batches of 8
    fit_500_ms: float  # the final fit on 500 examples (digits, 50 per class)
    teach_500_ms: float  # cross-validated choice + final fit on the same 500

    def as_dict(self) -> dict[str, object]:
        return {"results": [r.__dict__ for r in self.results],
                "feature_rate": round(self.feature_rate, 1),
                "fit_500_ms": round(self.fit_500_ms, 1),
                "teach_500_ms": round(self.teach_500_ms, 1)}


def digit_images() -> tuple[list[np.ndarray], np.ndarray]:
    """scikit-learn's 1,797 digits as dark-on-white BGR pictures, upscaled."""
    try:
        from sklearn.datasets import load_digits
    except ImportError:
        raise SqueezeappError("the digits benchmark needs scikit-learn (pip install "
                              "'squeezeapp[test]')") from None
    digits = load_digits()
    images = [cv2.cvtColor(cv2.resize((255 - x * 255 / 16).astype(np.uint8),
                                      (DIGIT_SIDE, DIGIT_SIDE)), cv2.COLOR_GRAY2BGR)
              for x in digits.images]
    return images, np.asarray(digits.target, np.int64)


def photo_views(photos: Sequence[Path], seed: int = 0) -> tuple[list[np.ndarray], np.ndarray]:
    rng = np.random.default_rng(seed)
    images: list[np.ndarray] = []
    labels: list[int] = []
    for label, path in enumerate(photos[:PHOTO_CLASSES]):
        photo = read_image(path)
        height, width = photo.shape[:2]
        for _ in range(VIEWS_PER_PHOTO):
            share = rng.uniform(0.4, 0.9)
            h, w = int(height * np.sqrt(share)), int(width * np.sqrt(share))
            top, left = rng.integers(0, height - h + 1), rng.integers(0, width - w + 1)
            view = photo[top:top + h, left:left + w]
            if rng.random() < 0.5:
                view = view[:, ::-1]
            gain = rng.uniform(0.75, 1.25)
            images.append(np.clip(view.astype(np.float32) * gain, 0, 255).astype(np.uint8))
            labels.append(label)
    return images, np.asarray(labels, np.int64)


ANIMAL_CLASSES = 398  # ImageNet class indices below this are animals


def photo_groups(photos: Sequence[Path], wnids: Sequence[str]
                 ) -> tuple[list[np.ndarray], np.ndarray]:
    """The shared photos as 'animal' (0) or 'thing' (1), by the ImageNet wnid in their name."""
    index = {wnid: i for i, wnid in enumerate(wnids) if wnid}
    images, labels = [], []
    for path in photos:
        wnid = path.name.split("_", 1)[0]
        if wnid in index:
            images.append(read_image(path))
            labels.append(0 if index[wnid] < ANIMAL_CLASSES else 1)
    return images, np.asarray(labels, np.int64)


def features_of(classifier: Classifier, images: Sequence[np.ndarray], batch: int = 8
                ) -> tuple[np.ndarray, np.ndarray, float]:
    """Features, logits and the rate (images per second) they came at."""
    started = time.perf_counter()
    features, logits = [], []
    for start in range(0, len(images), batch):
        chunk = images[start:start + batch]
        tensor = classifier.new_batch(len(chunk))
        for slot, image in zip(tensor, chunk, strict=True):
            classifier.prepare(np.ascontiguousarray(image), out=slot)
        result = classifier.run_features(tensor)
        features.append(result.features)
        logits.append(result.logits)
    rate = len(images) / max(1e-9, time.perf_counter() - started)
    return np.concatenate(features), np.concatenate(logits), rate


def run_task(name: str, features: np.ndarray, logits: np.ndarray, labels: np.ndarray,
             per_class: int, repeats: int, seed: int = 0) -> TaskResult:
    rng = np.random.default_rng(seed)
    classes = int(labels.max()) + 1
    names = [str(i) for i in range(classes)]
    held_out, validated, teach_ms, fit_ms, chosen = [], [], [], [], []
    for _ in range(repeats):
        train = np.concatenate([rng.choice(np.flatnonzero(labels == k), per_class,
                                           replace=False) for k in range(classes)])
        test = np.setdiff1d(np.arange(labels.shape[0]), train)
        report = teach(features[train], logits[train], labels[train], names)
        assert report.head is not None and report.kind is not None
        rows = design_matrix(features[test], logits[test], report.head.kind)
        held_out.append(float((report.head.predict(rows) == labels[test]).mean()))
        validated.append(report.accuracy or 0.0)
        teach_ms.append(report.train_ms)
        chosen.append(f"{report.kind.value}, λ={report.regulariser:g}")
        started = time.perf_counter()
        fit(design_matrix(features[train], logits[train], report.kind), labels[train], classes,
            report.regulariser or 1e-4, report.kind)
        fit_ms.append((time.perf_counter() - started) * 1e3)
    most = max(set(chosen), key=chosen.count)
    return TaskResult(name, classes, per_class, float(np.mean(held_out)),
                      float(np.mean(validated)), most, float(np.median(teach_ms)),
                      float(np.median(fit_ms)))


def run_benchmark(classifier: Classifier, photos: Sequence[Path], *, repeats: int = 3,
                  per_class: Sequence[int] = PER_CLASS,
                  progress: Callable[[str], None] | None = None) -> BenchmarkReport:
    results = []
    say = progress or (lambda _text: None)
    say("digits: features")
    images, labels = digit_images()
    features, logits, rate = features_of(classifier, images)
    for count in per_class:
        say(f"digits: {count} per class")
        results.append(run_task("digits", features, logits, labels, count, repeats))
    if photos:
        say("animal or thing: features")
        group_images, group_labels = photo_groups(photos, classifier.spec.wnids)
        if group_images and min(np.bincount(group_labels, minlength=2)) > max(per_class):
            group_features, group_logits, _ = features_of(classifier, group_images)
            for count in per_class:
                say(f"animal or thing: {count} per class")
                results.append(run_task("animal/thing", group_features, group_logits,
                                        group_labels, count, repeats * 3))
        say("photo views: features")
        views, view_labels = photo_views(photos)
        view_features, view_logits, _ = features_of(classifier, views)
        for count in per_class:
            say(f"photo views: {count} per class")
            results.append(run_task("photo views", view_features, view_logits, view_labels,
                                    count, repeats))
    from threadpoolctl import threadpool_limits

    subset = np.concatenate([np.flatnonzero(labels == k)[:50] for k in range(10)])
    report = teach(features[subset], logits[subset], labels[subset], [str(k) for k in range(10)])
    assert report.kind is not None
    started = time.perf_counter()
    with threadpool_limits(limits=1, user_api="blas"):
        fit(design_matrix(features[subset], logits[subset], report.kind), labels[subset], 10,
            report.regulariser or 1e-4, report.kind)
    fit_500 = (time.perf_counter() - started) * 1e3
    return BenchmarkReport(tuple(results), rate, fit_500, report.train_ms)
