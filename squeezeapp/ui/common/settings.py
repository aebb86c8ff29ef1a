"""What the app remembers between runs (QSettings), with typed accessors."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QByteArray, QSettings

from squeezeapp import APP_NAME

# The longest path read back from the settings (recent files, dialog folders): a settings file
# edited by hand is read within bounds.
MAX_STORED_PATH_CHARS = 4096


def open_settings() -> QSettings:
    return QSettings(QSettings.Format.IniFormat, QSettings.Scope.UserScope, APP_NAME, APP_NAME)


@dataclass(frozen=True)
class AppSettings:
    model: str | None = None
    camera: int = 0
    resolution: tuple[int, int] | None = None
    mirror: bool = True  # cameras: a selfie view, as in every video-call app
    mirror_video: bool = False  # video files play as recorded
    smoothing: bool = True
    loop_video: bool = True
    threads: int | None = None
    provider: str = "auto"
    camera_active: bool = False  # the last session ended on a camera: open it again at start

    @classmethod
    def load(cls, store: QSettings) -> AppSettings:
        def get(key: str, default, kind):
            value = store.value(key, default)
            try:
                return kind(value) if value not in (None, "") else default
            except (TypeError, ValueError):
                return default

        def boolean(value) -> bool:
            return value if isinstance(value, bool) else str(value).lower() in ("1", "true")

        resolution = str(store.value("camera/resolution", "") or "")
        width, _, height = resolution.partition("x")
        return cls(
            model=get("model/path", None, str),
            camera=get("camera/index", 0, int),
            resolution=(int(width), int(height)) if width.isdigit() and height.isdigit() else None,
            mirror=get("camera/mirror", True, boolean),
            mirror_video=get("video/mirror", False, boolean),
            smoothing=get("view/smoothing", True, boolean),
            loop_video=get("video/loop", True, boolean),
            threads=get("inference/threads", None, int) or None,
            provider=get("inference/provider", "auto", str),
            camera_active=get("camera/active", False, boolean),
        )

    def save(self, store: QSettings) -> None:
        store.setValue("model/path", self.model or "")
        store.setValue("camera/index", self.camera)
        store.setValue("camera/resolution",
                       f"{self.resolution[0]}x{self.resolution[1]}" if self.resolution else "")
        store.setValue("camera/mirror", self.mirror)
        store.setValue("video/mirror", self.mirror_video)
        store.setValue("view/smoothing", self.smoothing)
        store.setValue("video/loop", self.loop_video)
        store.setValue("inference/threads", self.threads or 0)
        store.setValue("inference/provider", self.provider)
        store.setValue("camera/active", self.camera_active)


def save_geometry(store: QSettings, geometry: QByteArray) -> None:
    store.setValue("window/geometry", geometry)


def load_geometry(store: QSettings) -> QByteArray | None:
    value = store.value("window/geometry")
    return value if isinstance(value, QByteArray) and not value.isEmpty() else None
