"""Frame sources read through OpenCV: cameras and video files. Still images use `imageio`.

A source is opened, read and closed by one capture thread; nothing here is thread-safe on its own.
`read()` returning None means "no frame now": end of a video, or a camera that was lost.
"""

from __future__ import annotations

import itertools
import logging
import sys
import time
from abc import ABC, abstractmethod
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from squeezeapp.core.common.errors import SqueezeappError
from squeezeapp.core.imaging.camera_setup import (
    CameraMode,
    Capture,
    CaptureFactory,
    not_opened_message,
    open_camera,
)
from squeezeapp.core.imaging.decode import to_bgr8

import cv2  # isort: skip

logger = logging.getLogger(__name__)

_frame_ids = itertools.count(1)


class SourceError(SqueezeappError):
    """A camera or video could not be opened."""


@dataclass(frozen=True)
class Frame:
    """One picture on its way to the screen and the model. `image` is never written to."""

    id: int
    image: np.ndarray  # BGR uint8 (H, W, 3)
    timestamp: float  # time.monotonic() when it was captured
    source: str  # what it came from: "camera:0", a video path, an image path
    live: bool  # from a camera or video (smoothed, paced) rather than a still image
    position_s: float | None = None  # where in a video file this frame is; None for cameras

    @classmethod
    def capture(cls, image: np.ndarray, source: str, live: bool,
                position_s: float | None = None) -> Frame:
        image.flags.writeable = False
        return cls(next(_frame_ids), image, time.monotonic(), source, live, position_s)


@dataclass(frozen=True)
class CameraInfo:
    index: int
    name: str
    mode: str = ""  # what it agreed to when probed, e.g. "1280×720 MJPG 30 fps"

    @property
    def label(self) -> str:
        return f"{self.index}: {self.name}"


class FrameSource(ABC):
    """A live source of frames."""

    key: str  # stable identifier, e.g. "camera:0" or a video path
    description: str  # for people, e.g. "Camera 0 (HD Webcam)"
    paced_by_device: bool  # True: read() blocks at the device rate; False: caller paces at fps
    reconnects: bool  # True (cameras): a failed open or read is retried until it works again

    @abstractmethod
    def open(self) -> None: ...

    @abstractmethod
    def read(self) -> np.ndarray | None: ...

    @abstractmethod
    def close(self) -> None: ...

    def skip(self) -> bool:
        """Pass over the next frame without converting it (a player keeping time); False when
        this source cannot (cameras: every frame read is the newest)."""
        return False

    @property
    def fps(self) -> float | None:
        return None

    @property
    def position_s(self) -> float | None:
        """Where the frame last read lies in its file (seconds); None for cameras."""
        return None

    @property
    def details(self) -> str:
        """What it delivers, for people (a camera's negotiated mode), once open."""
        return ""


class CameraSource(FrameSource):
    paced_by_device = True
    reconnects = True

    def __init__(self, index: int, resolution: tuple[int, int] | None = None,
                 mirror: bool = False, name: str | None = None,
                 factory: CaptureFactory | None = None, platform: str = sys.platform) -> None:
        self.index = index
        self.resolution = resolution
        self.mirror = mirror
        self.key = f"camera:{index}"
        self.description = f"Camera {index}" + (f" ({name})" if name else "")
        self.mode: CameraMode | None = None  # what the camera agreed to, once open
        self._factory: CaptureFactory = factory or cv2.VideoCapture
        self._platform = platform
        self._capture: Capture | None = None

    @property
    def details(self) -> str:
        return self.mode.text if self.mode is not None else ""

    def open(self) -> None:
        opened = open_camera(self.index, self.resolution, self._factory, self._platform)
        if opened is None:
            raise SourceError(not_opened_message(self.description, self._platform))
        self._capture, self.mode = opened
        logger.info("%s: %s", self.description, self.mode.text)

    def read(self) -> np.ndarray | None:
        if self._capture is None:
            return None
        ok, image = self._capture.read()
        if not ok or image is None:
            return None
        image = to_bgr8(image)
        return cv2.flip(image, 1) if self.mirror else image

    def close(self) -> None:
        if self._capture is not None:
            self._capture.release()
            self._capture = None


class VideoFileSource(FrameSource):
    """A video played at its own frame rate, optionally looping."""

    paced_by_device = False
    reconnects = False

    def __init__(self, path: Path, loop: bool = True) -> None:
        self.path = Path(path)
        self.loop = loop
        self.key = str(self.path)
        self.description = self.path.name
        self._capture: cv2.VideoCapture | None = None
        self._fps: float | None = None
        self._position_s: float | None = None
        self._index = 0  # frames read or skipped since the start (the loop's start)

    def open(self) -> None:
        if not self.path.is_file():
            raise SourceError(f"{self.path}: no such video file")
        capture = cv2.VideoCapture(str(self.path))
        if not capture.isOpened():
            capture.release()
            raise SourceError(f"{self.path.name}: not a video OpenCV can play")
        fps = capture.get(cv2.CAP_PROP_FPS)
        self._fps = fps if 1.0 <= fps <= 240.0 else 30.0
        self._capture, self._index, self._position_s = capture, 0, None

    @property
    def fps(self) -> float | None:
        return self._fps

    @property
    def position_s(self) -> float | None:
        return self._position_s

    def read(self) -> np.ndarray | None:
        if self._capture is None:
            return None
        ok, image = self._capture.read()
        if not ok and self.loop:
            self._capture.set(cv2.CAP_PROP_POS_FRAMES, 0)
            self._index = 0
            ok, image = self._capture.read()
        if not ok or image is None:
            return None
        self._note_position()
        return to_bgr8(image)

    def skip(self) -> bool:
        """Decode the next frame without converting it (`grab`); False at the end."""
        if self._capture is None or not self._capture.grab():
            return False
        self._note_position()
        return True

    def _note_position(self) -> None:
        """The decoder's time stamp of the frame just read; the frame count over the rate
        when the container has none (it then says 0 past the first frame)."""
        self._index += 1
        milliseconds = self._capture.get(cv2.CAP_PROP_POS_MSEC) if self._capture else -1.0
        if milliseconds <= 0 and self._index > 1 and self._fps:
            milliseconds = (self._index - 1) * 1000 / self._fps
        self._position_s = milliseconds / 1000 if milliseconds >= 0 else None

    def close(self) -> None:
        if self._capture is not None:
            self._capture.release()
            self._capture = None


def camera_name(index: int) -> str | None:
    """The device name the OS reports (Linux sysfs), if any."""
    if not sys.platform.startswith("linux"):
        return None
    name_file = Path(f"/sys/class/video4linux/video{index}/name")
    try:
        return name_file.read_text(encoding="utf-8").strip() or None
    except OSError:
        return None


def candidate_camera_indices(limit: int = 8) -> list[int]:
    """Indices worth probing: the /dev/video* nodes on Linux, else 0..3."""
    if sys.platform.startswith("linux"):
        nodes = sorted(Path("/dev").glob("video[0-9]*"))
        return [int(p.name[5:]) for p in nodes if p.name[5:].isdigit()][:limit]
    return list(range(4))


def list_cameras(limit: int = 8, resolution: tuple[int, int] | None = None,
                 factory: CaptureFactory | None = None,
                 platform: str = sys.platform) -> list[CameraInfo]:
    """Cameras that actually open and deliver a frame, with the mode they agreed to for
    `resolution`. Slow (opens devices): call off the GUI thread."""
    found = []
    for index in candidate_camera_indices(limit):
        opened = open_camera(index, resolution, factory or cv2.VideoCapture, platform)
        if opened is None:
            continue
        capture, mode = opened
        try:
            if capture.read()[0]:
                found.append(CameraInfo(index, camera_name(index) or f"Camera {index}",
                                        mode.text))
        finally:
            capture.release()
    return found


def parse_source(text: str) -> tuple[str, int | Path]:
    """'camera:N' → ("camera", N); anything else → ("path", Path)."""
    if text.startswith("camera:") and text[7:].isdigit():
        return "camera", int(text[7:])
    return "path", Path(text).expanduser()
