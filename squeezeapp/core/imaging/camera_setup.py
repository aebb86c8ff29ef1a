"""How a webcam is opened and asked for a mode, decided here so that fake capture objects can
test each decision without a camera.

- Most USB webcams give 720p and 1080p at 30 fps only as MJPG; in their default YUYV the USB
  bandwidth caps them at 5-10 fps. So MJPG is requested (`CAP_PROP_FOURCC`, before the size)
  when 1280×720 or more is asked for; a camera that refuses it (opens but gives no frame) is
  opened again without it.
- What the camera agreed to (size, format, fps) is read back and shown (`CameraMode`).
- Windows: Media Foundation takes many seconds to open some cameras unless its hardware
  transforms are off (`OPENCV_VIDEOIO_MSMF_ENABLE_HW_TRANSFORMS=0`, read when cv2 loads: see
  squeezeapp/__init__.py); DirectShow is tried when Media Foundation cannot open the camera.
- macOS: a camera the user has not allowed does not open; the message says where to allow it.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

import cv2

logger = logging.getLogger(__name__)

MSMF_ENV = "OPENCV_VIDEOIO_MSMF_ENABLE_HW_TRANSFORMS"
MJPG_FROM = (1280, 720)  # a requested size this wide or this high asks for MJPG
MACOS_PERMISSION = ("If macOS asked whether squeezeapp may use the camera and it was refused, "
                    "allow it in System Settings ▸ Privacy & Security ▸ Camera, then try again.")


class Capture(Protocol):
    """What is used of cv2.VideoCapture (fakes in tests provide the same)."""

    def isOpened(self) -> bool: ...
    def set(self, prop: int, value: float) -> bool: ...
    def get(self, prop: int) -> float: ...
    def read(self) -> tuple[bool, Any]: ...
    def release(self) -> None: ...


CaptureFactory = Callable[[int, int], Capture]  # (index, backend) -> capture


@dataclass(frozen=True)
class CameraMode:
    """What the camera agreed to deliver."""

    width: int
    height: int
    fourcc: str  # "MJPG", "YUYV", … ("" when the backend does not say)
    fps: float

    @property
    def text(self) -> str:
        parts = [f"{self.width}×{self.height}"]
        if self.fourcc:
            parts.append(self.fourcc)
        if self.fps > 0:
            parts.append(f"{self.fps:g} fps")
        return " ".join(parts)


def camera_environment(platform: str = sys.platform) -> dict[str, str]:
    """Variables to set before cv2 loads, for this platform (a user's own value is kept)."""
    return {MSMF_ENV: "0"} if platform == "win32" else {}


def backends(platform: str = sys.platform) -> list[int]:
    """The capture back-ends to try, in order."""
    if platform == "win32":
        return [cv2.CAP_MSMF, cv2.CAP_DSHOW]
    return [cv2.CAP_ANY]


def fourcc_text(value: float) -> str:
    code = int(value)
    if code <= 0:
        return ""
    text = "".join(chr((code >> (8 * i)) & 0xFF) for i in range(4))
    return text.strip("\0 ") if text.isprintable() else ""


def wants_mjpg(resolution: tuple[int, int] | None) -> bool:
    return resolution is not None and (resolution[0] >= MJPG_FROM[0]
                                       or resolution[1] >= MJPG_FROM[1])


def _request(capture: Capture, resolution: tuple[int, int] | None, mjpg: bool) -> None:
    if mjpg:  # before the size: some drivers only offer the large sizes in MJPG
        capture.set(cv2.CAP_PROP_FOURCC, cv2.VideoWriter.fourcc(*"MJPG"))
    if resolution:
        capture.set(cv2.CAP_PROP_FRAME_WIDTH, resolution[0])
        capture.set(cv2.CAP_PROP_FRAME_HEIGHT, resolution[1])


def mode_of(capture: Capture) -> CameraMode:
    return CameraMode(int(capture.get(cv2.CAP_PROP_FRAME_WIDTH)),
                      int(capture.get(cv2.CAP_PROP_FRAME_HEIGHT)),
                      fourcc_text(capture.get(cv2.CAP_PROP_FOURCC)),
                      round(capture.get(cv2.CAP_PROP_FPS), 2))


def open_camera(index: int, resolution: tuple[int, int] | None, factory: CaptureFactory,
                platform: str = sys.platform) -> tuple[Capture, CameraMode] | None:
    """The first back-end that opens the camera, set up for `resolution`; None if none did."""
    for backend in backends(platform):
        capture = factory(index, backend)
        if not capture.isOpened():
            capture.release()
            logger.info("camera %d: back-end %d did not open it", index, backend)
            continue
        mjpg = wants_mjpg(resolution)
        _request(capture, resolution, mjpg)
        if mjpg and not capture.read()[0]:  # refused MJPG: open again with its default format
            logger.info("camera %d gave no frame in MJPG; opening it without", index)
            capture.release()
            capture = factory(index, backend)
            if not capture.isOpened():
                capture.release()
                continue
            _request(capture, resolution, mjpg=False)
        return capture, mode_of(capture)
    return None


def not_opened_message(description: str, platform: str = sys.platform) -> str:
    message = f"{description} could not be opened"
    if platform == "darwin":
        message += f". {MACOS_PERMISSION}"
    return message
