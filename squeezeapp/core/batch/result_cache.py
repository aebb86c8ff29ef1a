"""Classification results remembered per (file, size, mtime, model), so that going back to a folder
or a model already seen shows its results at once instead of classifying everything again.

A file that changed on disk (size or modification time) misses, and so does any other model or
top-k. Thread-safe: the batch job looks results up and stores them from its worker thread while
the GUI thread may read. Bounded by entry count, least recently used first out.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

from squeezeapp.core.batch.pipeline import FileResult, FileStamp
from squeezeapp.core.inference.classifier import Classification

logger = logging.getLogger(__name__)

DEFAULT_MAX_ENTRIES = 20_000  # about 1 kB each (5 predictions sharing the model's label strings)


@dataclass(frozen=True)
class ModelIdentity:
    """What makes two runs give the same answer: the model's bytes and how many predictions."""

    sha256: str
    top_k: int

    @property
    def key(self) -> str:
        return f"{self.sha256}:{self.top_k}"


@dataclass(frozen=True)
class FileKey:
    path: str  # absolute, not resolved: two links to one photo are two rows for the user
    stamp: FileStamp
    model: str


def file_key(path: Path, model: ModelIdentity) -> FileKey | None:
    """The cache key of a file as it is now on disk; None when it cannot be stat'ed."""
    stamp = FileStamp.of(path)
    return None if stamp is None else FileKey(str(path.absolute()), stamp, model.key)


@dataclass(frozen=True)
class _Entry:
    classification: Classification | None
    error: str | None


class ResultCache:
    """An LRU map from FileKey to a file's classification (or its read error)."""

    def __init__(self, max_entries: int = DEFAULT_MAX_ENTRIES) -> None:
        self.max_entries = max(1, max_entries)
        self._entries: OrderedDict[FileKey, _Entry] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)

    def get(self, key: FileKey | None, path: Path) -> FileResult | None:
        """The remembered result for `key`, reported under `path` (the name the user gave)."""
        with self._lock:
            entry = self._entries.get(key) if key is not None else None
            if key is None or entry is None:
                self.misses += 1
                return None
            self._entries.move_to_end(key)
            self.hits += 1
        return FileResult(path, entry.classification, entry.error, key.stamp)

    def put(self, key: FileKey | None, result: FileResult) -> None:
        if key is None:
            return
        with self._lock:
            self._entries[key] = _Entry(result.classification, result.error)
            self._entries.move_to_end(key)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
