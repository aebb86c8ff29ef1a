"""The View menu's overlay entries (show/hide, corner, how many predictions, "unsure" threshold),
kept in step with one ViewOptions value.

A window adds them to its View menu and listens to `changed`, e.g.:

    overlay_menu = OverlayMenu(view_menu, ViewOptions.load(store), parent=self)
    overlay_menu.changed.connect(lambda options: (frame_view.set_options(options),
                                                  options.save(store)))
"""

from __future__ import annotations

from dataclasses import replace

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QAction, QActionGroup, QKeySequence
from PySide6.QtWidgets import QMenu

from squeezeapp.ui.common.view_options import PREDICTION_COUNTS, Corner, ViewOptions

UNSURE_CHOICES = (0.0, 0.1, 0.2, 0.3, 0.5)  # 0: no marker


class OverlayMenu(QObject):
    changed = Signal(object)  # ViewOptions, after each choice

    def __init__(self, menu: QMenu, options: ViewOptions, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._options = options
        self.visible_action = QAction("Show &Overlay", menu, checkable=True)
        self.visible_action.setShortcut(QKeySequence(Qt.Key.Key_O))  # Tab moves the focus
        self.visible_action.setChecked(options.overlay_visible)
        self.visible_action.toggled.connect(lambda on: self._set(overlay_visible=on))
        menu.addAction(self.visible_action)
        self.heatmap_action = self._toggle(menu, "Show &Heatmap", "H", options.show_heatmap,
                                           "show_heatmap")
        self.heatmap_action.setToolTip("Where the model saw the class: click a prediction to "
                                       "see its map")
        self.crop_action = self._toggle(menu, "Show Model &Crop", "Shift+C", options.show_crop,
                                        "show_crop")
        self.crop_action.setToolTip("The square of the picture the model is given")

        self.corner_actions = self._choices(
            menu.addMenu("Overlay &Corner"), [(c.label, c) for c in Corner], options.corner,
            "corner")
        self.count_actions = self._choices(
            menu.addMenu("&Predictions Shown"),
            [(f"Top {n}" if n > 1 else "Top 1 only", n) for n in PREDICTION_COUNTS],
            options.count, "count")
        self.unsure_actions = self._choices(
            menu.addMenu("Mark &Unsure Below"),
            [(f"{t * 100:.0f} %" if t else "Never", t) for t in UNSURE_CHOICES],
            options.unsure_threshold, "unsure_threshold")
        self.next_corner_action = QAction("&Move Overlay to Next Corner", menu)
        self.next_corner_action.setShortcut(QKeySequence("Ctrl+Tab"))
        self.next_corner_action.triggered.connect(
            lambda: self.set_options(replace(self._options, corner=self._options.corner.next())))
        menu.addAction(self.next_corner_action)

    def _toggle(self, menu: QMenu, text: str, shortcut: str, checked: bool,
                field: str) -> QAction:
        action = QAction(text, menu, checkable=True)
        action.setShortcut(QKeySequence(shortcut))
        action.setChecked(checked)
        action.toggled.connect(lambda on: self._set(**{field: on}))
        menu.addAction(action)
        return action

    def set_heatmap_available(self, reason: str) -> None:
        """Disable Show Heatmap for a model without class maps, saying why ('' enables it)."""
        self.heatmap_action.setEnabled(not reason)
        self.heatmap_action.setToolTip(f"Not available: {reason}" if reason else
                                       "Where the model saw the class: click a prediction to "
                                       "see its map")

    @property
    def options(self) -> ViewOptions:
        return self._options

    def set_options(self, options: ViewOptions) -> None:
        """Show `options` in the menu and announce them (as if the user had chosen them)."""
        self.visible_action.setChecked(options.overlay_visible)
        self.heatmap_action.setChecked(options.show_heatmap)
        self.crop_action.setChecked(options.show_crop)
        for actions, value in ((self.corner_actions, options.corner),
                               (self.count_actions, options.count),
                               (self.unsure_actions, options.unsure_threshold)):
            for action in actions:
                action.setChecked(action.data() == value)
        self._set(**{name: getattr(options, name) for name in
                     ("overlay_visible", "corner", "count", "unsure_threshold",
                      "show_heatmap", "show_crop")})

    def _choices(self, submenu: QMenu, items, current, field: str) -> list[QAction]:
        group = QActionGroup(submenu)
        actions = []
        for text, value in items:
            action = QAction(text, group, checkable=True)
            action.setData(value)
            action.setChecked(value == current)
            action.triggered.connect(lambda _=False, v=value: self._set(**{field: v}))
            submenu.addAction(action)
            actions.append(action)
        return actions

    def _set(self, **changes) -> None:
        options = replace(self._options, **changes)
        if options != self._options:
            self._options = options
            self.changed.emit(options)
