"""Fake cameras for GUI tests: a generated video played as if it were a webcam."""

from __future__ import annotations

import time
from pathlib import Path
from typing import ClassVar

import cv2
import numpy as np

from squeezeapp.core.imaging.decode import read_image
from squeezeapp.core.imaging.sources import SourceError, VideoFileSource


def make_video(path: Path, photos: list[Path], size: tuple[int, int] = (640, 360),
               fps: float = 30.0, frames_per_photo: int = 15) -> Path:
    """An mp4 made of the given photos, each letterboxed into `size` for a few frames."""
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), fps, size)
    assert writer.isOpened(), "OpenCV cannot write mp4v here"
    width, height = size
    for photo in photos:
        image = read_image(photo)
        scale = min(width / image.shape[1], height / image.shape[0])
        resized = cv2.resize(image, (int(image.shape[1] * scale), int(image.shape[0] * scale)))
        canvas = np.zeros((height, width, 3), np.uint8)
        top, left = (height - resized.shape[0]) // 2, (width - resized.shape[1]) // 2
        canvas[top:top + resized.shape[0], left:left + resized.shape[1]] = resized
        for _ in range(frames_per_photo):
            writer.write(canvas)
    writer.release()
    return path


MJPG = cv2.VideoWriter_fourcc(*"MJPG")
YUYV = cv2.VideoWriter_fourcc(*"YUYV")


class FakeCapture:
    """A USB webcam as OpenCV sees it: YUYV by default at 640×480 30 fps; MJPG (if it has it)
    for the large sizes, which in YUYV it only gives at 5 fps."""

    made: ClassVar[list[FakeCapture]] = []

    def __init__(self, index: int, backend: int, *, opens: bool = True, has_mjpg: bool = True):
        self.index, self.backend, self.opens, self.has_mjpg = index, backend, opens, has_mjpg
        self.props = {cv2.CAP_PROP_FRAME_WIDTH: 640.0, cv2.CAP_PROP_FRAME_HEIGHT: 480.0,
                      cv2.CAP_PROP_FOURCC: float(YUYV), cv2.CAP_PROP_FPS: 30.0}
        self.calls: list[tuple[int, float]] = []
        self.released = False
        self.frame_s = 0.0  # a test of the window paces it like a real camera
        FakeCapture.made.append(self)

    def isOpened(self) -> bool:
        return self.opens

    def set(self, prop: int, value: float) -> bool:
        self.calls.append((prop, value))
        self.props[prop] = float(value)
        large = self.props[cv2.CAP_PROP_FRAME_WIDTH] >= 1280
        mjpg = int(self.props[cv2.CAP_PROP_FOURCC]) == MJPG
        self.props[cv2.CAP_PROP_FPS] = 30.0 if (mjpg or not large) else 5.0
        return True

    def get(self, prop: int) -> float:
        return self.props.get(prop, 0.0)

    def read(self):
        time.sleep(self.frame_s)
        if int(self.props[cv2.CAP_PROP_FOURCC]) == MJPG and not self.has_mjpg:
            return False, None  # the driver accepted the request, then gives nothing
        return True, np.zeros((int(self.props[cv2.CAP_PROP_FRAME_HEIGHT]),
                               int(self.props[cv2.CAP_PROP_FRAME_WIDTH]), 3), np.uint8)

    def release(self) -> None:
        self.released = True



class FakeCamera(VideoFileSource):
    """A 'camera' backed by a looping video: live, reconnecting, paced at the video's rate."""

    reconnects = True

    def __init__(self, path: Path, index: int = 99) -> None:
        super().__init__(path, loop=True)
        self.key = f"camera:{index}"
        self.description = f"Fake camera {index}"

    @property
    def position_s(self) -> float | None:
        return None  # a camera has no position in a file


class FlakyCamera(FakeCamera):
    """Fails to open `fail_opens` times, then delivers `frames_before_loss` frames, is lost
    once, and recovers on the next open."""

    def __init__(self, path: Path, fail_opens: int = 2, frames_before_loss: int = 20) -> None:
        super().__init__(path, index=98)
        self.fail_opens = fail_opens
        self.frames_left = frames_before_loss
        self.opens = 0
        self.lost_once = False

    def open(self) -> None:
        self.opens += 1
        if self.opens <= self.fail_opens:
            raise SourceError(f"{self.description} could not be opened")
        super().open()

    def read(self) -> np.ndarray | None:
        if not self.lost_once:
            self.frames_left -= 1
            if self.frames_left < 0:
                self.lost_once = True
                return None
        return super().read()


class NeverCamera(FakeCamera):
    """A camera that is never there (unplugged, or held by another program)."""

    def __init__(self) -> None:
        super().__init__(Path("never.mp4"), index=97)
        self.description = "Never camera"
        self.opens = 0

    def open(self) -> None:
        self.opens += 1
        raise SourceError(f"{self.description} could not be opened")


class BrokenCamera(FakeCamera):
    """Opens, then its driver raises something that is not a SourceError on every read."""

    def __init__(self, path: Path) -> None:
        super().__init__(path, index=96)
        self.description = "Broken camera"

    def read(self) -> np.ndarray | None:
        raise RuntimeError("driver exploded")


def main() -> None:
    """`python -m tests.fakes OUT.mp4 WxH PHOTO...`: a demo/measurement clip from photos."""
    import sys

    out, size, *photos = sys.argv[1:]
    width, height = (int(v) for v in size.split("x"))
    make_video(Path(out), [Path(p) for p in photos], (width, height), frames_per_photo=60)


if __name__ == "__main__":
    main()
