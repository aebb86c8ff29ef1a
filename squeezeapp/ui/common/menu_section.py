"""A run of entries in a menu that can be replaced while the menu is open.

Rebuilding a whole menu with `QMenu.clear()` while it is on screen closes it (a camera search
that ends 0.2 s after the Camera menu opened took the menu away from under the pointer), and
`clear()` leaves the submenus it made behind, one more set each time the menu opens. So menus
build their fixed entries once and replace only this section, in place.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMenu


class MenuSection:
    """The entries of `menu` just before `anchor`, which `replace` swaps for others."""

    def __init__(self, menu: QMenu, anchor: QAction) -> None:
        self._menu = menu
        self._anchor = anchor
        self._actions: list[QAction] = []

    def replace(self, actions: Sequence[QAction]) -> None:
        """Show `actions` (made by the caller, parented to the menu or its action groups)
        instead of the previous ones, which are deleted."""
        for action in self._actions:
            self._menu.removeAction(action)
            action.deleteLater()
        self._actions = list(actions)
        self._menu.insertActions(self._anchor, self._actions)
