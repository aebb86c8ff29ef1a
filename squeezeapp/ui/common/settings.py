"""What the app remembers between runs (QSettings), with typed accessors.

The settings file is outside input (edited by hand, written by another version, damaged): every
value is checked once, here, at load (type and range). One out of range or of the wrong type is
ignored with a logged line and its default used, so that nothing later fails on it (a camera index
Qt cannot store again at quit, threads=-5 handed to onnxruntime). QSettings writes its file
through a temporary file and a rename (QSaveFile) itself.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from PySide6.QtCore import QByteArray, QSettings

from squeezeapp import APP_NAME
from squeezeapp.core.common.limits import thread_limit
from squeezeapp.core.inference.providers import provider_choices

logger = logging.getLogger(__name__)

# The longest path read back from the settings (recent files, dialog folders): a settings file
# edited by hand is read within bounds.
MAX_STORED_PATH_CHARS = 4096
MAX_CAMERA_INDEX = 255
MAX_RESOLUTION_SIDE = 16384
_INTEGER = re.compile(r"^\s*[-+]?\d{1,18}\s*$")  # longer is never a valid value here
_TRUE, _FALSE = ("true", "1", "yes", "on"), ("false", "0", "no", "off")


def open_settings() -> QSettings:
    return QSettings(QSettings.Format.IniFormat, QSettings.Scope.UserScope, APP_NAME, APP_NAME)


def _shown(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 60 else f"{text[:57]}..."


class SettingsReader:
    """Reads values from a QSettings, each checked; what it ignored is listed in `ignored`."""

    def __init__(self, store: QSettings) -> None:
        self.store = store
        self.ignored: list[str] = []

    def ignore(self, key: str, value: object, expected: str) -> None:
        line = f"{key}={_shown(value)} (expected {expected})"
        logger.warning("settings: ignoring %s", line)
        self.ignored.append(line)

    def raw(self, key: str) -> object:
        """The stored value, None when missing or empty."""
        try:
            value = self.store.value(key)
        except (TypeError, ValueError, OverflowError, RuntimeError):  # Qt could not convert it
            return "<unreadable>"
        return None if value in (None, "") else value

    def integer(self, key: str, default: int, low: int, high: int) -> int:
        value = self.raw(key)
        if value is None:
            return default
        if isinstance(value, int) and not isinstance(value, bool) and low <= value <= high:
            return value
        if isinstance(value, str) and _INTEGER.match(value) and low <= int(value) <= high:
            return int(value)
        self.ignore(key, value, f"a whole number from {low} to {high}")
        return default

    def number(self, key: str, default: float, low: float, high: float) -> float:
        value = self.raw(key)
        if value is None:
            return default
        try:
            number = float(value) if isinstance(value, (int, float, str)) and \
                len(str(value)) <= 32 else float("nan")
        except ValueError:
            number = float("nan")
        if low <= number <= high:  # NaN fails both comparisons
            return number
        self.ignore(key, value, f"a number from {low:g} to {high:g}")
        return default

    def boolean(self, key: str, default: bool) -> bool:
        value = self.raw(key)
        if value is None:
            return default
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().lower() in _TRUE + _FALSE:
            return value.strip().lower() in _TRUE
        self.ignore(key, value, "true or false")
        return default

    def text(self, key: str, default: str | None, max_chars: int = MAX_STORED_PATH_CHARS,
             allowed: Callable[[str], bool] | None = None,
             expected: str = "") -> str | None:
        value = self.raw(key)
        if value is None:
            return default
        if isinstance(value, str) and len(value) <= max_chars and "\0" not in value \
                and (allowed is None or allowed(value)):
            return value
        self.ignore(key, value, expected or f"text of at most {max_chars} characters")
        return default

    def choice(self, key: str, default: str, choices: list[str]) -> str:
        value = self.text(key, default, 64, lambda text: text.lower() in choices,
                          "one of " + ", ".join(choices))
        return (value or default).lower()


def _resolution(read: SettingsReader) -> tuple[int, int] | None:
    value = read.raw("camera/resolution")
    if value is None:
        return None
    width, _, height = str(value).partition("x") if isinstance(value, str) else ("", "", "")
    if width.isdigit() and height.isdigit() and len(width) <= 6 and len(height) <= 6 \
            and 0 < int(width) <= MAX_RESOLUTION_SIDE and 0 < int(height) <= MAX_RESOLUTION_SIDE:
        return int(width), int(height)
    read.ignore("camera/resolution", value, f"WIDTHxHEIGHT, each 1 to {MAX_RESOLUTION_SIDE}")
    return None


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
    # "key=value (expected ...)" for each value of the file that was ignored; never saved
    ignored: tuple[str, ...] = field(default=(), compare=False)

    @classmethod
    def load(cls, store: QSettings) -> AppSettings:
        read = SettingsReader(store)
        return cls(
            model=read.text("model/path", None),
            camera=read.integer("camera/index", 0, 0, MAX_CAMERA_INDEX),
            resolution=_resolution(read),
            mirror=read.boolean("camera/mirror", True),
            mirror_video=read.boolean("video/mirror", False),
            smoothing=read.boolean("view/smoothing", True),
            loop_video=read.boolean("video/loop", True),
            threads=read.integer("inference/threads", 0, 0, thread_limit()) or None,
            provider=read.choice("inference/provider", "auto", provider_choices()),
            camera_active=read.boolean("camera/active", False),
            ignored=tuple(read.ignored),
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
