"""Features of the examples, computed once per picture and cached by the file's SHA-256.

One inference gives both the pooled features and the logits (graph_rewrite's feature outputs);
the cache (`squeezeapp-features.npz` in the project folder, float16, written atomically) belongs
to one base model: a different model's sha256 starts it afresh.
"""

from __future__ import annotations

import hashlib
import io
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from squeezeapp.core.common.errors import ImageReadError, SqueezeappError
from squeezeapp.core.common.files import atomic_writer
from squeezeapp.core.imaging.decode import decode_image, read_regular_file
from squeezeapp.core.inference.classifier import Classifier
from squeezeapp.core.teach.project import MAX_EXAMPLES, TeachError

logger = logging.getLogger(__name__)

CACHE_FILE = "squeezeapp-features.npz"
MAX_PICTURE_BYTES = 64 << 20
BATCH = 8
# 20,000 examples × (512 + 1000) float16 values, plus room
MAX_CACHE_BYTES = MAX_EXAMPLES * 1600 * 2 + (16 << 20)


@dataclass
class FeatureCache:
    """Pooled features and logits by file hash, for one base model."""

    model_sha256: str
    entries: dict[str, tuple[np.ndarray, np.ndarray]]
    changed: bool = False

    @classmethod
    def load(cls, folder: Path, model_sha256: str) -> FeatureCache:
        """The cache in a project folder; an empty one when there is none, it belongs to another
        model, or it cannot be read (it is only a cache)."""
        path = folder / CACHE_FILE
        empty = cls(model_sha256, {})
        try:
            if not path.is_file() or path.stat().st_size > MAX_CACHE_BYTES:
                return empty
            with np.load(path, allow_pickle=False) as data:
                if str(data["model_sha256"]) != model_sha256:
                    return empty
                keys = [str(k) for k in data["keys"][:MAX_EXAMPLES]]
                features, logits = data["features"], data["logits"]
                if features.shape[0] < len(keys) or logits.shape[0] < len(keys):
                    return empty
                return cls(model_sha256, {key: (features[i], logits[i])
                                          for i, key in enumerate(keys)})
        except (OSError, ValueError, KeyError, TypeError) as error:
            logger.warning("feature cache %s unreadable (%s): computing afresh", path, error)
            return empty

    def save(self, folder: Path, keep: set[str] | None = None) -> None:
        """Write the cache (only the keys in `keep` when given: pictures still in the project)."""
        keys = [k for k in self.entries if keep is None or k in keep][:MAX_EXAMPLES]
        if not keys:
            return
        buffer = io.BytesIO()
        np.savez(buffer, model_sha256=np.array(self.model_sha256), keys=np.array(keys),
                 features=np.stack([self.entries[k][0] for k in keys]).astype(np.float16),
                 logits=np.stack([self.entries[k][1] for k in keys]).astype(np.float16))
        try:
            with atomic_writer(folder / CACHE_FILE, overwrite=True) as pending:
                pending.stream.write(buffer.getvalue())
            self.changed = False
        except OSError as error:  # a read-only project still trains; the cache is only a cache
            logger.warning("feature cache not saved in %s: %s", folder, error.strerror or error)


@dataclass(frozen=True, eq=False)
class ExtractedFeatures:
    """Features of the pictures that could be read, in order, and why the others were not."""

    features: np.ndarray  # [n,F] float32
    logits: np.ndarray  # [n,C] float32
    used: tuple[int, ...]  # indices into the requested paths
    failures: tuple[str, ...]  # "name: reason"
    computed: int  # how many were not in the cache
    keys: tuple[str, ...] = ()  # the content hash of each used picture, in `used` order


def require_features(classifier: Classifier) -> None:
    if not classifier.supports_features:
        raise TeachError(f"{classifier.display_name} cannot be taught from: "
                         f"{classifier.feature_source.reason}")


def extract(classifier: Classifier, paths: Sequence[Path], cache: FeatureCache, *,
            progress: Callable[[int, int], None] | None = None,
            cancelled: Callable[[], bool] | None = None) -> ExtractedFeatures:
    """Features of every picture, from the cache or one batched inference per BATCH."""
    require_features(classifier)
    found: dict[int, tuple[np.ndarray, np.ndarray]] = {}
    keys: dict[int, str] = {}
    failures: list[str] = []
    pending: list[tuple[int, str, np.ndarray]] = []
    computed = 0

    def flush() -> None:
        nonlocal computed
        if not pending:
            return
        batch = classifier.new_batch(len(pending))
        for slot, (_, _, image) in zip(batch, pending, strict=True):
            classifier.prepare(image, out=slot)
        result = classifier.run_features(batch)
        for row, (index, key, _) in enumerate(pending):
            entry = (result.features[row].copy(), result.logits[row].copy())
            cache.entries[key] = entry
            found[index] = entry
        cache.changed = True
        computed += len(pending)
        pending.clear()

    for index, path in enumerate(paths):
        if cancelled is not None and cancelled():
            raise TeachError("Cancelled")
        try:
            data = read_regular_file(Path(path), MAX_PICTURE_BYTES)
        except ImageReadError as error:
            failures.append(f"{Path(path).name}: {error.reason}")
            continue
        except OSError as error:
            failures.append(f"{Path(path).name}: {error.strerror or error}")
            continue
        key = hashlib.sha256(data.tobytes()).hexdigest()
        keys[index] = key
        if key in cache.entries:
            found[index] = cache.entries[key]
        else:
            try:
                image = decode_image(data, min_side=classifier.spec.preprocess.resize)
            except (ImageReadError, SqueezeappError) as error:
                failures.append(f"{Path(path).name}: {getattr(error, 'reason', error)}")
                continue
            pending.append((index, key, image))
            if len(pending) >= BATCH:
                flush()
        if progress is not None:
            progress(index + 1, len(paths))
    flush()
    used = tuple(sorted(found))
    features_dim = classifier.feature_source.dimension or 0
    if used:
        features = np.stack([found[i][0] for i in used]).astype(np.float32)
        logits = np.stack([found[i][1] for i in used]).astype(np.float32)
    else:
        features = np.zeros((0, features_dim), np.float32)
        logits = np.zeros((0, len(classifier.spec.labels)), np.float32)
    return ExtractedFeatures(features, logits, used, tuple(failures), computed,
                             tuple(keys[i] for i in used))


def image_features(classifier: Classifier, images: Sequence[np.ndarray]
                   ) -> tuple[np.ndarray, np.ndarray]:
    """Features and logits of BGR images already in memory (a recorded frame)."""
    require_features(classifier)
    batch = classifier.new_batch(len(images))
    for slot, image in zip(batch, images, strict=True):
        classifier.prepare(image, out=slot)
    result = classifier.run_features(batch)
    return result.features, result.logits
