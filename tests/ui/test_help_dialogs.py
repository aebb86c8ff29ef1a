"""Help ▸ Keyboard Shortcuts lists what the window's actions really are; About tells versions,
the model and its licence."""

from __future__ import annotations

import cv2
import onnxruntime
from PySide6 import QtCore
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QLabel, QMainWindow, QTableWidget

from squeezeapp import __version__
from squeezeapp.core.common.hashing import file_sha256
from squeezeapp.ui.results.view import ResultsView
from squeezeapp.ui.window.help_dialogs import (
    ModelFacts,
    ShortcutEntry,
    build_about_dialog,
    build_shortcuts_dialog,
    shortcut_entries,
)


def _native(keys: str) -> str:
    return QKeySequence(keys).toString(QKeySequence.SequenceFormat.NativeText)


def _window(qtbot) -> QMainWindow:
    window = QMainWindow()
    qtbot.addWidget(window)
    file_menu = window.menuBar().addMenu("&File")
    open_action = file_menu.addAction("&Open Image…")
    open_action.setShortcut(QKeySequence("Ctrl+O"))
    file_menu.addAction("No Shortcut Here")
    view_menu = window.menuBar().addMenu("&View")
    overlay = view_menu.addMenu("&Overlay")
    hide = overlay.addAction("&Hide Overlay")
    hide.setShortcuts([QKeySequence("Tab"), QKeySequence("Ctrl+H")])
    camera = QAction("Open &Camera", window)  # not in a menu: a window-wide shortcut
    camera.setShortcut(QKeySequence("Ctrl+K"))
    window.addAction(camera)
    results = ResultsView()  # a child widget's own actions count too
    window.setCentralWidget(results)
    return window


def test_shortcuts_lists_every_action_with_a_shortcut(qtbot) -> None:
    window = _window(qtbot)
    entries = shortcut_entries(window)
    assert ShortcutEntry("File ▸ Open Image…", _native("Ctrl+O")) in entries
    assert ShortcutEntry("View ▸ Overlay ▸ Hide Overlay",
                         f"{_native('Tab')}, {_native('Ctrl+H')}") in entries
    assert ShortcutEntry("Open Camera", _native("Ctrl+K")) in entries
    # the results view's own keys, with where they work (read from the actions, not a list)
    assert ShortcutEntry("Copy Rows", _native("Ctrl+C"), "Results view") in entries
    assert ShortcutEntry("Back to Picture", _native("Esc"), "Results view") in entries
    assert ShortcutEntry("Open Selected Result", f"{_native('Return')}, {_native('Enter')}",
                         "Results table or Results thumbnails") in entries
    assert not any("No Shortcut" in e.where for e in entries)
    assert entries == sorted(entries, key=lambda e: e.where.lower())

    dialog = build_shortcuts_dialog(window)
    table = dialog.findChild(QTableWidget)
    assert table.rowCount() == len(entries)
    assert table.horizontalHeaderItem(2).text() == "Works in"
    shown = {tuple(table.item(r, c).text() for c in range(3)) for r in range(table.rowCount())}
    assert shown == {(e.where, e.keys, e.context or "Anywhere") for e in entries}


def test_about_names_versions_model_and_licence(qtbot, model_dir) -> None:
    path = model_dir / "squeezenet1.1.onnx"
    facts = ModelFacts("squeezenet1.1", path, file_sha256(path), "CPU")
    dialog = build_about_dialog(None, facts)
    qtbot.addWidget(dialog)
    text = dialog.findChild(QLabel, "about-text").text()
    for expected in (__version__, onnxruntime.__version__, cv2.__version__, QtCore.qVersion(),
                     "squeezenet1.1", "BSD-3-Clause", "https://arxiv.org/abs/1602.07360", "CPU"):
        assert expected in text
    unknown = build_about_dialog(None, ModelFacts("mine", path, "0" * 64, "CPU"))
    qtbot.addWidget(unknown)
    assert "unknown" in unknown.findChild(QLabel, "about-text").text()
    # the fast int8 copy: its own checksum is never known, its float source's licence applies
    copy = build_about_dialog(None, ModelFacts("squeezenet1.1-int8", path, "0" * 64, "CPU",
                                               source_sha256=file_sha256(path)))
    qtbot.addWidget(copy)
    copy_text = copy.findChild(QLabel, "about-text").text()
    assert "BSD-3-Clause (that of SqueezeNet 1.1," in copy_text and "unknown" not in copy_text
    nothing = build_about_dialog(None, None)
    qtbot.addWidget(nothing)
    assert "none loaded" in nothing.findChild(QLabel, "about-text").text()


def test_overlay_menu_keeps_view_options_in_step(qtbot, tmp_path) -> None:
    from PySide6.QtCore import QSettings

    from squeezeapp.ui.common.view_options import Corner, ViewOptions
    from squeezeapp.ui.picture.view_menu import OverlayMenu

    window = QMainWindow()
    qtbot.addWidget(window)
    view_menu = window.menuBar().addMenu("&View")
    store = QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat)
    overlay = OverlayMenu(view_menu, ViewOptions.load(store), window)
    seen: list[ViewOptions] = []
    overlay.changed.connect(seen.append)
    overlay.changed.connect(lambda options: options.save(store))

    overlay.visible_action.trigger()  # Tab
    next(a for a in overlay.corner_actions if a.data() == Corner.BOTTOM_RIGHT).trigger()
    next(a for a in overlay.count_actions if a.data() == 3).trigger()
    next(a for a in overlay.unsure_actions if a.data() == 0.5).trigger()
    overlay.next_corner_action.trigger()  # clockwise: bottom right -> bottom left
    assert seen[-1] == ViewOptions(overlay_visible=False, corner=Corner.BOTTOM_LEFT, count=3,
                                   unsure_threshold=0.5)
    assert len(seen) == 5 and ViewOptions.load(store) == seen[-1]  # remembered
    assert [a.isChecked() for a in overlay.corner_actions] == [False, False, True, False]
    overlay.set_options(ViewOptions())
    assert overlay.visible_action.isChecked() and overlay.corner_actions[0].isChecked()
    entries = {e.where for e in shortcut_entries(window)}
    assert {"View ▸ Show Overlay", "View ▸ Move Overlay to Next Corner"} <= entries


def test_window_shortcuts_say_where_each_key_works(qtbot, model_dir, tmp_path) -> None:
    """The real window: ← → Home End and Esc belong to the picture (the results lists use them
    themselves), each key's places differ, and an action's name carries no state."""
    from tests.ui_helpers import make_window

    window = make_window(qtbot, tmp_path / "settings.ini", tmp_path, camera_lister=lambda: [])
    window.camera_menu.aboutToShow.emit()  # no camera: the Open Camera action is disabled
    qtbot.waitUntil(lambda: not window.camera_action.isEnabled(), timeout=20_000)
    entries = shortcut_entries(window)
    by_key: dict[str, list[ShortcutEntry]] = {}
    for entry in entries:
        for key in entry.keys.split(", "):
            by_key.setdefault(key, []).append(entry)
    picture = window.view.accessibleName()
    for key in ("Left", "Right", "Home", "End"):
        assert [e.context for e in by_key[_native(key)]] == [picture], key
    assert {(e.where, e.context) for e in by_key[_native("Esc")]} == {
        ("Back to Picture", "Results view"), ("View ▸ Back to Results", picture)}
    for key, listed in by_key.items():  # one key, one place each (no "Anywhere" beside another)
        contexts = [e.context for e in listed]
        assert len(set(contexts)) == len(contexts) and ("" not in contexts or len(listed) == 1), \
            (key, listed)
    assert ShortcutEntry("Camera ▸ Open Camera", _native("Ctrl+K")) in entries
    assert not any("(" in e.where for e in entries), entries
    window.close()
