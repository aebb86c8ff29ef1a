"""File ▸ Open Recent: the images, folders and videos that last opened, newest first, kept in the
app's settings.

An entry is added only once its open worked (the image decoded, the folder listed, the video
played), so the menu never offers what failed. Building the menu never touches the disk (ten
paths on a sleeping network drive could freeze the window): an entry whose file has gone is found
out when chosen, and the window then removes it and says so on the canvas.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QSettings, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMenu, QWidget

from squeezeapp.ui.common.settings import MAX_STORED_PATH_CHARS

logger = logging.getLogger(__name__)

MAX_RECENT = 10
KINDS = ("image", "folder", "video", "project")  # project: a teach project folder
SETTINGS_KEY = "recent/entries"
MAX_STORED_TEXT_CHARS = 8 << 20  # the JSON parsed at most (a few ms per MB); longer is ignored


@dataclass(frozen=True)
class RecentEntry:
    path: Path  # absolute, as it was opened
    kind: str  # one of KINDS

    @property
    def label(self) -> str:
        """The menu text (no mnemonic): the name, and what it is when not an image."""
        name = self.path.name or str(self.path)
        return name if self.kind == "image" else f"{name}  ({self.kind})"


def normalised(path: Path) -> Path:
    """Absolute without touching the disk (no symlink resolution), so duplicates compare."""
    return Path(path).absolute()


def with_entry(entries: list[RecentEntry], entry: RecentEntry) -> list[RecentEntry]:
    """`entry` first, any older entry for the same path dropped, at most MAX_RECENT."""
    entry = RecentEntry(normalised(entry.path), entry.kind)
    return [entry, *(e for e in entries if e.path != entry.path)][:MAX_RECENT]


def load_recent(store: QSettings) -> list[RecentEntry]:
    """The stored entries; anything malformed is skipped, never fatal. Bounded before any other
    work: the text's length, then the list (a hand-edited file with 10^5 entries kept the window
    from appearing while a quadratic de-duplication ran on the GUI thread)."""
    stored = store.value(SETTINGS_KEY, "")
    if not stored:
        return []
    if not isinstance(stored, str) or len(stored) > MAX_STORED_TEXT_CHARS:
        logger.warning("ignoring %s in the settings: not a list of at most %d characters",
                       SETTINGS_KEY, MAX_STORED_TEXT_CHARS)
        return []
    try:
        raw = json.loads(stored)
    except ValueError:
        logger.warning("ignoring unreadable %s in the settings", SETTINGS_KEY)
        return []
    entries: list[RecentEntry] = []
    seen: set[Path] = set()
    for item in raw[:MAX_RECENT * 4] if isinstance(raw, list) else []:
        if not isinstance(item, dict):
            continue
        path, kind = item.get("path"), item.get("kind")
        if isinstance(path, str) and 0 < len(path) <= MAX_STORED_PATH_CHARS and kind in KINDS \
                and "\0" not in path:
            entry = RecentEntry(normalised(Path(path)), kind)
            if entry.path not in seen:
                seen.add(entry.path)
                entries.append(entry)
                if len(entries) == MAX_RECENT:
                    break
    return entries


def save_recent(store: QSettings, entries: list[RecentEntry]) -> None:
    store.setValue(SETTINGS_KEY, json.dumps(
        [{"path": str(e.path), "kind": e.kind} for e in entries], ensure_ascii=False))


def _mnemonic(number: int, label: str) -> str:
    """'&1 name' … '1&0 name': Alt+F, R, then the digit opens the entry."""
    digits = str(number)
    escaped = label.replace("&", "&&")
    return f"{digits[:-1]}&{digits[-1]}  {escaped}"


class RecentMenu(QMenu):
    """The submenu, always in step with the stored list."""

    chosen = Signal(object)  # RecentEntry

    def __init__(self, store: QSettings, parent: QWidget | None = None) -> None:
        super().__init__("Open &Recent", parent)
        self.setObjectName("open-recent")
        self.store = store
        self._entries = load_recent(store)
        self.clear_action: QAction | None = None
        self._refill()

    @property
    def entries(self) -> list[RecentEntry]:
        return list(self._entries)

    def add(self, path: Path, kind: str) -> None:
        self._set(with_entry(self._entries, RecentEntry(path, kind)))

    def remove(self, path: Path) -> bool:
        """Drop `path`'s entry; False when there was none."""
        path = normalised(path)
        kept = [e for e in self._entries if e.path != path]
        if len(kept) == len(self._entries):
            return False
        self._set(kept)
        return True

    def clear_entries(self) -> None:
        self._set([])

    def _set(self, entries: list[RecentEntry]) -> None:
        if entries != self._entries:
            self._entries = entries
            save_recent(self.store, entries)
            self._refill()

    def _refill(self) -> None:
        self.clear()
        if not self._entries:
            empty = self.addAction("No recent files or folders")
            empty.setEnabled(False)
        for number, entry in enumerate(self._entries, start=1):
            action = self.addAction(_mnemonic(number, entry.label))
            action.setToolTip(str(entry.path))
            action.setStatusTip(str(entry.path))
            action.setData(str(entry.path))
            action.triggered.connect(lambda _=False, e=entry: self.chosen.emit(e))
        self.setToolTipsVisible(True)
        self.addSeparator()
        self.clear_action = self.addAction("&Clear Recent", self.clear_entries)
        self.clear_action.setEnabled(bool(self._entries))
