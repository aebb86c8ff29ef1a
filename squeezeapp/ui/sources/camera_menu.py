"""The Camera menu: probes for cameras each time it opens (off the GUI thread), lists those that
answer, and says so when there is none, with "Open Camera" disabled rather than failing."""

from __future__ import annotations

from PySide6.QtGui import QAction, QActionGroup
from PySide6.QtWidgets import QMenu

from squeezeapp.ui.common.menu_section import MenuSection
from squeezeapp.ui.sources.opener import SourceOpener

RESOLUTIONS: tuple[tuple[int, int] | None, ...] = (None, (640, 480), (1280, 720), (1920, 1080))
NO_CAMERA = "No camera answered: connect one, then choose Camera ▸ Search Again"


class CameraMenu(QMenu):
    """The fixed entries are made once; the cameras found are a `MenuSection` above them, so a
    search that ends while the menu is open updates it without closing it."""

    def __init__(self, opener: SourceOpener, open_action: QAction, stop_action: QAction,
                 mirror_action: QAction, resolution: tuple[int, int] | None, parent) -> None:
        super().__init__("&Camera", parent)
        self.opener = opener
        self.open_action, self.stop_action, self.mirror_action = (open_action, stop_action,
                                                                  mirror_action)
        self.resolutions = QActionGroup(self)
        for size in RESOLUTIONS:
            action = QAction(f"{size[0]}×{size[1]}" if size else "Camera default",
                             self.resolutions, checkable=True)
            action.setData(size)
            action.setChecked(size == resolution)
        self.addActions([open_action, stop_action])
        self.addSeparator()
        self.addMenu("&Resolution").addActions(self.resolutions.actions())
        self.addAction(mirror_action)
        self.addAction("Search &Again", opener.probe_cameras)
        self.setToolTipsVisible(True)
        self.playing = ""  # the camera playing and its negotiated mode, for the tooltip
        self.cameras = MenuSection(self, open_action)
        self.aboutToShow.connect(self._on_open)
        opener.camerasChanged.connect(self.fill)
        self.fill()

    def show_playing(self, text: str) -> None:
        """'Camera 0 (HD Webcam): 1280×720 MJPG 30 fps' while it plays ('' when not)."""
        self.playing = text
        self.fill()

    def _on_open(self) -> None:
        self.opener.probe_cameras()  # each time it opens: cameras come and go
        self.fill()

    def fill(self) -> None:
        cameras, opener = self.opener.cameras, self.opener
        none_found = cameras == [] and not opener.probing
        found = []
        if opener.probing or none_found:  # said beside the action: its name stays its name
            note = QAction("Looking for cameras…" if opener.probing else "No camera found", self)
            note.setEnabled(False)
            found.append(note)
        for camera in cameras or []:
            action = QAction(camera.label, self)
            if camera.mode:  # what it agreed to when probed
                action.setToolTip(f"{camera.label}: {camera.mode}")
            action.triggered.connect(lambda _=False, i=camera.index: opener.open_camera(i))
            found.append(action)
        self.cameras.replace(found)
        self.open_action.setEnabled(not none_found)
        self.open_action.setToolTip(NO_CAMERA if none_found else self.playing
                                    or "Open the camera")
        self.open_action.setStatusTip(NO_CAMERA if none_found else "")
