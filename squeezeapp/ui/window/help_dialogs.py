"""Help ▸ Keyboard Shortcuts and Help ▸ About, built from what the window and the model really are.

The shortcuts list is read from the window's actions, so it can never disagree with the keys
that work, nor with where they work (an action bound to some widgets says which, by their
accessible names); the About box reads versions from the libraries themselves and the licence of
the model from the registry of models we know by checksum.
"""

from __future__ import annotations

import html
import logging
import platform
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence, QPalette
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QMenu,
    QMenuBar,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from squeezeapp import APP_NAME, __version__
from squeezeapp.core.models.names import readable_model_name
from squeezeapp.core.models.registry import known_by_sha256

logger = logging.getLogger(__name__)

LINKS = (
    ("SqueezeNet paper (Iandola et al., 2016)", "https://arxiv.org/abs/1602.07360"),
    ("onnxruntime", "https://onnxruntime.ai"),
    ("Qt for Python", "https://doc.qt.io/qtforpython-6/"),
    ("OpenCV", "https://opencv.org"),
)


ANYWHERE = "Anywhere"  # what the dialog says of a shortcut that works in the whole window
_WIDGET_CONTEXTS = (Qt.ShortcutContext.WidgetShortcut,
                    Qt.ShortcutContext.WidgetWithChildrenShortcut)


@dataclass(frozen=True)
class ShortcutEntry:
    where: str  # the menu path, e.g. "File ▸ Save Snapshot", or the action's text
    keys: str  # as the platform shows them, e.g. "Ctrl+S"
    context: str = ""  # where the keys work, e.g. "Results view"; "" for the whole window


def _plain(text: str) -> str:
    """Menu text without mnemonics or the trailing ellipsis' tab-accelerator part."""
    return text.replace("&&", "\0").replace("&", "").replace("\0", "&").split("\t")[0].strip()


def _menu_paths(window: QWidget) -> dict[QAction, str]:
    """Each action found in the window's menus, with the titles of the menus above it."""
    found: dict[QAction, str] = {}

    def walk(menu: QMenu, prefix: str) -> None:
        for action in menu.actions():
            if isinstance(submenu := action.menu(), QMenu):
                walk(submenu, f"{prefix}{_plain(action.text())} ▸ ")
            elif not action.isSeparator():
                found.setdefault(action, f"{prefix}{_plain(action.text())}")

    for menu in window.findChildren(QMenu):
        if isinstance(menu.parent(), QMenu):
            continue  # reached through its parent menu, with the full path
        walk(menu, f"{_plain(menu.title())} ▸ " if menu.title() else "")
    return found


def shortcut_entries(window: QWidget) -> list[ShortcutEntry]:
    """Every action of `window` (in menus or added to a widget) that has a shortcut."""
    paths = _menu_paths(window)
    actions = {*paths, *window.findChildren(QAction), *window.actions()}
    entries = set()
    for action in actions:
        shortcuts = [s for s in action.shortcuts() if not s.isEmpty()]
        if not shortcuts:
            continue
        where = paths.get(action) or _plain(action.text()) or action.objectName()
        keys = ", ".join(s.toString(QKeySequence.SequenceFormat.NativeText) for s in shortcuts)
        entries.add(ShortcutEntry(where, keys, _context(action)))
    return sorted(entries, key=lambda e: (e.where.lower(), e.context))


def _context(action: QAction) -> str:
    """Where an action's keys work: "" for the whole window; for a widget shortcut, the
    widgets it was added to, by their accessible names (menus only list it)."""
    if action.shortcutContext() not in _WIDGET_CONTEXTS:
        return ""
    names = [widget.accessibleName() or widget.objectName()
             for widget in action.associatedObjects()
             if isinstance(widget, QWidget) and not isinstance(widget, (QMenu, QMenuBar))]
    return " or ".join(dict.fromkeys(name for name in names if name))


def build_shortcuts_dialog(window: QWidget) -> QDialog:
    """A dialog with a table (what, keys, where they work) of every shortcut of `window`."""
    entries = shortcut_entries(window)
    dialog = QDialog(window)
    dialog.setObjectName("keyboard-shortcuts")
    dialog.setWindowTitle("Keyboard Shortcuts")
    table = QTableWidget(len(entries), 3, dialog)
    table.setHorizontalHeaderLabels(["Action", "Shortcut", "Works in"])
    table.verticalHeader().setVisible(False)
    table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
    table.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
    table.setAlternatingRowColors(True)
    for row, entry in enumerate(entries):
        table.setItem(row, 0, QTableWidgetItem(entry.where))
        table.setItem(row, 1, QTableWidgetItem(entry.keys))
        where = QTableWidgetItem(entry.context or ANYWHERE)
        if not entry.context:  # the usual case, quieter: the few that differ stand out
            where.setForeground(table.palette().color(QPalette.ColorRole.PlaceholderText))
        table.setItem(row, 2, where)
    header = table.horizontalHeader()
    header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
    for column in (1, 2):
        header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
    buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, dialog)
    buttons.rejected.connect(dialog.reject)
    layout = QVBoxLayout(dialog)
    layout.addWidget(table)
    layout.addWidget(buttons)
    dialog.resize(680, min(640, 120 + 30 * len(entries)))
    return dialog


@dataclass(frozen=True)
class ModelFacts:
    """What About says of the loaded model (None in `about_lines` when there is none)."""

    name: str  # the display name (core.model_names); the file is `path`
    path: Path
    sha256: str
    provider: str
    source_sha256: str = ""  # a quantised copy: the float model it was made from (metadata)


def library_versions() -> list[tuple[str, str]]:
    import cv2
    import onnxruntime
    from PySide6 import QtCore
    from PySide6 import __version__ as pyside_version

    return [
        (APP_NAME, __version__),
        ("onnxruntime", onnxruntime.__version__),
        ("Qt", f"{QtCore.qVersion()} (PySide6 {pyside_version})"),
        ("OpenCV", cv2.__version__),
        ("Python", platform.python_version()),
    ]


def model_licence(sha256: str, source_sha256: str = "") -> str:
    """A known file's licence; a quantised copy (its own checksum is never known: it depends on
    the calibration photos) carries the licence of the known float model it was made from."""
    if known := known_by_sha256(sha256):
        return known.licence
    if source_sha256 and (source := known_by_sha256(source_sha256)):
        return (f"{source.licence} (that of {readable_model_name(source.name)}, which this copy "
                "was quantised from)")
    return "unknown (a model file squeezeapp does not recognise)"


def about_html(model: ModelFacts | None) -> str:
    """The About text: what the app is, its versions, the model and its licence, links."""
    rows = "".join(f"<tr><td>{name}</td><td>&nbsp;{value}</td></tr>"
                   for name, value in library_versions())
    if model is None:
        model_part = "<p><b>Model:</b> none loaded</p>"
    else:
        known = known_by_sha256(model.sha256)
        description = f" — {known.description}" if known else ""
        licence = model_licence(model.sha256, model.source_sha256)
        model_part = (f"<p><b>Model:</b> {html.escape(model.name + description)}<br>"
                      f"Licence: {html.escape(licence)}<br>"
                      f"File: {html.escape(str(model.path))}<br>"
                      f"SHA-256: {model.sha256[:16]}…<br>"
                      f"Running on: {html.escape(model.provider)}</p>")
    links = "<br>".join(f'<a href="{url}">{text}</a>' for text, url in LINKS)
    return (f"<h3>{APP_NAME} {__version__}</h3>"
            "<p>Classifies what a webcam sees, videos, and the images you open or drop, with "
            "SqueezeNet 1.1 on onnxruntime. Nothing leaves this computer.</p>"
            f"{model_part}<table>{rows}</table><p>{links}</p>")


def build_about_dialog(parent: QWidget | None, model: ModelFacts | None) -> QDialog:
    dialog = QDialog(parent)
    dialog.setObjectName("about")
    dialog.setWindowTitle(f"About {APP_NAME}")
    text = QLabel(about_html(model), dialog)
    text.setObjectName("about-text")
    text.setTextFormat(Qt.TextFormat.RichText)
    text.setOpenExternalLinks(True)  # the user's browser, only when they click
    text.setTextInteractionFlags(Qt.TextInteractionFlag.TextBrowserInteraction)
    text.setWordWrap(True)
    buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, dialog)
    buttons.rejected.connect(dialog.reject)
    layout = QVBoxLayout(dialog)
    layout.addWidget(text)
    layout.addWidget(buttons)
    dialog.setMinimumWidth(460)
    return dialog
