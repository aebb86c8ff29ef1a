"""The list of still images being browsed: paths, the current index, and which ones failed.

Pure Python (no Qt), so the browsing rules are tested without a window.
"""

from __future__ import annotations

from pathlib import Path


class ImageList:
    def __init__(self, paths: list[Path] | None = None, start: int = 0) -> None:
        self.paths: list[Path] = list(paths or [])
        self.index = max(0, min(start, len(self.paths) - 1)) if self.paths else 0
        self.failures: dict[Path, str] = {}  # path → why it could not be opened
        self._folder: str | None = None

    def __len__(self) -> int:
        return len(self.paths)

    @property
    def current(self) -> Path | None:
        return self.paths[self.index] if self.paths else None

    def go(self, index: int) -> Path | None:
        """Move to `index` (clamped); the new current path, or None if it did not move."""
        if not self.paths:
            return None
        index = max(0, min(index, len(self.paths) - 1))
        if index == self.index:
            return None
        self.index = index
        return self.current

    def next(self) -> Path | None:
        return self.go(self.index + 1)

    def previous(self) -> Path | None:
        return self.go(self.index - 1)

    def home(self) -> Path | None:
        return self.go(0)

    def end(self) -> Path | None:
        return self.go(len(self.paths) - 1)

    def fail(self, path: Path, message: str) -> None:
        """Remember that `path` could not be opened (the file itself is left alone)."""
        if path in self.paths:
            self.failures[path] = message

    @property
    def folder(self) -> str:
        """The name of the folder all the images are in; "" when they are in several."""
        if self._folder is None:
            parents = {path.parent for path in self.paths}
            self._folder = next(iter(parents)).name if len(parents) == 1 else ""
        return self._folder

    @property
    def position(self) -> str:
        """"3 / 40" for a list, "" for a single picture."""
        return f"{self.index + 1} / {len(self.paths)}" if len(self.paths) > 1 else ""
