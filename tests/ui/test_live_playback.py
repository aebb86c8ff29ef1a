"""Live sources as a user sees them play: video files unmirrored and in real time, and clean
predictions after Pause, Stop, the end of a video and Replay (issue #23)."""

from __future__ import annotations

import json
import time
from pathlib import Path

import cv2
import numpy as np
import pytest
from PySide6.QtCore import Qt

from squeezeapp.core.imaging.sources import CameraSource, VideoFileSource
from squeezeapp.ui.window.app import MetricsRecorder
from tests import ui_helpers
from tests.fakes import FakeCamera, FakeCapture, make_video
from tests.ui_helpers import canvas_texts, click_canvas_button

WAIT_MS = 20_000
settings_file, window, video = ui_helpers.settings_file, ui_helpers.window, ui_helpers.video


@pytest.fixture
def one_photo_clip(sample_images, tmp_path) -> Path:
    return make_video(tmp_path / "clip.mp4", sample_images[20:21], frames_per_photo=90)


def _first_frame(path: Path) -> np.ndarray:
    capture = cv2.VideoCapture(str(path))
    ok, image = capture.read()
    capture.release()
    assert ok
    return image.astype(int)


def _looks_mirrored(shown: np.ndarray, recorded: np.ndarray) -> bool:
    shown = shown.astype(int)
    return abs(shown - recorded[:, ::-1]).mean() < abs(shown - recorded).mean()


def test_video_files_play_unmirrored_and_cameras_mirrored(qtbot, window, one_photo_clip) -> None:
    recorded = _first_frame(one_photo_clip)
    window.opener.open_video(one_photo_clip)
    qtbot.waitUntil(lambda: window.view.frame is not None, timeout=WAIT_MS)
    assert not _looks_mirrored(window.view.frame.image, recorded)
    assert not window.mirror_action.isChecked()  # the menu shows the video's setting
    window.session.open_live(FakeCamera(one_photo_clip))  # a camera: a selfie view
    qtbot.waitUntil(lambda: window.view.frame is not None
                    and window.view.frame.source == "camera:99", timeout=WAIT_MS)
    assert _looks_mirrored(window.view.frame.image, recorded)
    assert window.mirror_action.isChecked()
    window.mirror_action.setChecked(False)  # turning it off for cameras leaves videos alone
    assert window.prefs.mirror is False and window.prefs.mirror_video is False


class SlowDecodingVideo(VideoFileSource):
    """A video whose every shown frame takes 70 ms to decode (a 30 fps clip needs 33 ms): a
    busy machine. Frames passed over (`skip`) cost what a plain decode does."""

    def read(self) -> np.ndarray | None:
        time.sleep(0.07)
        return super().read()


def _play_slowly(qtbot, window, clip: Path, loop: bool, seconds: float) -> tuple[float, dict]:
    """Play `clip` decoded slower than real time for `seconds`: (seconds played, metrics)."""
    recorder = MetricsRecorder(window)
    window.session.open_live(SlowDecodingVideo(clip, loop=loop))
    qtbot.waitUntil(lambda: window.view.frame is not None, timeout=WAIT_MS)
    started = time.monotonic()
    qtbot.wait(int(seconds * 1000))
    return time.monotonic() - started, recorder.snapshot()


def test_video_keeps_real_time_when_decoding_is_slow(qtbot, window, sample_images,
                                                     tmp_path) -> None:
    clip = make_video(tmp_path / "long.mp4", sample_images[:12], size=(160, 120),
                      frames_per_photo=30)  # 12 s at 30 fps
    played, metrics = _play_slowly(qtbot, window, clip, loop=False, seconds=10)
    assert metrics["video_position_s"] >= 0.9 * played  # not slow motion: ≥ 9 s in 10 s
    assert metrics["video_frames_skipped"] > 0.3 * 30 * played  # ~half passed over, counted
    assert window.view.badge == ""  # still playing, not ended


def _watch_results(window) -> list:
    shown: list = []
    window.session.predictionsChanged.connect(shown.append)
    return shown


@pytest.mark.parametrize("freeze", ["pause", "stop"])
def test_a_frozen_frame_shows_only_its_own_result(qtbot, window, video, freeze) -> None:
    window.opener.open_video(video)
    qtbot.waitUntil(lambda: window.view.result is not None and window.view.result.smoothed,
                    timeout=WAIT_MS)
    shown = _watch_results(window)
    if freeze == "pause":
        qtbot.keyClick(window.view, Qt.Key.Key_Space)
    else:
        window.session.stop()
    # at once: no smoothed live result stays over the frozen frame
    assert window.view.result is None or not window.view.result.smoothed
    frozen = window.view.frame.id
    qtbot.waitUntil(lambda: window.view.result is not None, timeout=WAIT_MS)
    qtbot.wait(500)  # a live result still in flight would come now
    assert window.view.frame.id == frozen
    assert {(r.frame_id, r.smoothed) for r in shown if r is not None} == {(frozen, False)}
    snapshot = json.loads(window.snapshot().with_suffix(".json").read_text())
    assert snapshot["smoothed"] is False


def test_replay_starts_a_clean_average(qtbot, window, sample_images, tmp_path,
                                       classifier) -> None:
    clip = make_video(tmp_path / "short.mp4", [sample_images[0], sample_images[50]],
                      frames_per_photo=20)
    window.loop_action.setChecked(False)
    window.opener.open_video(clip)
    qtbot.waitUntil(lambda: "Ended" in canvas_texts(window), timeout=WAIT_MS)
    images: dict[int, np.ndarray] = {}
    window.session.frameShown.connect(lambda frame, _image: images.setdefault(frame.id,
                                                                               frame.image))
    shown = _watch_results(window)
    click_canvas_button(qtbot, window, "Replay")
    qtbot.waitUntil(lambda: any(r is not None and r.smoothed for r in shown), timeout=WAIT_MS)
    first = next(r for r in shown if r is not None and r.smoothed)
    alone = classifier.classify(images[first.frame_id], top_k=5)
    # the first frame's average is that frame alone, not the end of the run before
    assert [p.index for p in first.predictions] == [p.index for p in alone.predictions]
    assert first.predictions[0].probability == pytest.approx(
        alone.predictions[0].probability, abs=1e-4)


def test_the_camera_menu_shows_what_the_camera_agreed_to(qtbot, window) -> None:
    def paced(index: int, backend: int) -> FakeCapture:
        capture = FakeCapture(index, backend)
        capture.frame_s = 1 / 30
        return capture

    window.session.open_live(CameraSource(5, (1280, 720), name="Desk cam", factory=paced))
    qtbot.waitUntil(lambda: window.view.frame is not None, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: "MJPG" in window.camera_action.toolTip(), timeout=WAIT_MS)
    assert window.camera_action.toolTip() == "Camera 5 (Desk cam): 1280×720 MJPG 30 fps"
    window.session.stop()
    assert window.camera_action.toolTip() == "Open the camera"


def test_a_looping_video_keeps_time_after_each_loop(qtbot, window, sample_images,
                                                    tmp_path) -> None:
    """After the loop's jump back to 0 s the clock starts again: frames are not passed over
    by the thousand (they were, to catch up with the first loop's start)."""
    clip = make_video(tmp_path / "loop.mp4", sample_images[:2], size=(160, 120),
                      frames_per_photo=15)  # 1 s at 30 fps
    played, metrics = _play_slowly(qtbot, window, clip, loop=True, seconds=4)
    skipped = metrics["video_frames_skipped"]
    assert 0 < skipped < 30 * played + 30  # about half of each second's 30 frames, no more
