"""Webcam decisions, with fake capture objects (no camera here): MJPG for 720p and more with a
fallback, the negotiated mode shown, Media Foundation then DirectShow on Windows, and the macOS
permission hint (issue #23)."""

from __future__ import annotations

import importlib
import os

import cv2
import pytest

import squeezeapp
from squeezeapp.cli.info import camera_lines
from squeezeapp.core.imaging import sources
from squeezeapp.core.imaging.camera_setup import MSMF_ENV, CameraMode, fourcc_text
from squeezeapp.core.imaging.sources import CameraInfo, CameraSource, SourceError
from tests.fakes import MJPG, FakeCapture


@pytest.fixture(autouse=True)
def _fresh() -> None:
    FakeCapture.made.clear()


def test_720p_asks_for_mjpg_before_the_size_and_shows_what_was_agreed() -> None:
    camera = CameraSource(0, (1280, 720), name="Desk cam", factory=FakeCapture,
                          platform="linux")
    camera.open()
    calls = FakeCapture.made[-1].calls
    assert calls[0] == (cv2.CAP_PROP_FOURCC, MJPG)  # before the size
    assert camera.mode == CameraMode(1280, 720, "MJPG", 30.0)
    assert camera.details == "1280×720 MJPG 30 fps"
    assert camera.read() is not None
    camera.close()


def test_a_camera_without_mjpg_is_opened_again_in_its_own_format() -> None:
    camera = CameraSource(0, (1920, 1080), factory=lambda i, b: FakeCapture(i, b,
                                                                             has_mjpg=False),
                          platform="linux")
    camera.open()
    assert len(FakeCapture.made) == 2 and FakeCapture.made[0].released
    assert (cv2.CAP_PROP_FOURCC, MJPG) not in FakeCapture.made[1].calls
    assert camera.details == "1920×1080 YUYV 5 fps"  # the truth, shown
    camera.close()


def test_small_sizes_keep_the_default_format() -> None:
    camera = CameraSource(0, (640, 480), factory=FakeCapture, platform="linux")
    camera.open()
    assert all(prop != cv2.CAP_PROP_FOURCC for prop, _ in FakeCapture.made[-1].calls)
    assert camera.details == "640×480 YUYV 30 fps"


def test_windows_tries_media_foundation_then_directshow() -> None:
    def factory(index: int, backend: int) -> FakeCapture:
        return FakeCapture(index, backend, opens=backend == cv2.CAP_DSHOW)

    camera = CameraSource(1, None, factory=factory, platform="win32")
    camera.open()
    assert [c.backend for c in FakeCapture.made] == [cv2.CAP_MSMF, cv2.CAP_DSHOW]
    assert FakeCapture.made[0].released


def test_windows_turns_media_foundation_transforms_off_before_cv2_loads(monkeypatch) -> None:
    monkeypatch.delenv(MSMF_ENV, raising=False)
    monkeypatch.setattr(os, "name", "nt")
    importlib.reload(squeezeapp)
    assert os.environ[MSMF_ENV] == "0"
    monkeypatch.setattr(os, "name", "posix")
    monkeypatch.delenv(MSMF_ENV)
    importlib.reload(squeezeapp)
    assert MSMF_ENV not in os.environ


def test_macos_says_where_to_allow_the_camera() -> None:
    camera = CameraSource(0, None, factory=lambda i, b: FakeCapture(i, b, opens=False),
                          platform="darwin")
    with pytest.raises(SourceError, match="Privacy & Security ▸ Camera"):
        camera.open()
    linux = CameraSource(0, None, factory=lambda i, b: FakeCapture(i, b, opens=False),
                         platform="linux")
    with pytest.raises(SourceError) as error:
        linux.open()
    assert "Privacy" not in str(error.value)


def test_info_cameras_lists_the_negotiated_modes(monkeypatch) -> None:
    monkeypatch.setattr(sources, "candidate_camera_indices", lambda limit=8: [0, 2])
    lines = camera_lines((1280, 720), lambda resolution: sources.list_cameras(
        resolution=resolution, factory=FakeCapture, platform="linux"))
    assert lines[0] == "Cameras (asked for 1280×720)"
    assert lines[1].endswith("—  1280×720 MJPG 30 fps") and lines[1].strip().startswith("0: ")
    assert camera_lines(None, lambda resolution: []) == ["Cameras (asked for its default size)",
                                                         "  none answered"]


def test_fourcc_text() -> None:
    assert fourcc_text(MJPG) == "MJPG" and fourcc_text(0) == "" and fourcc_text(-1) == ""
    assert CameraInfo(3, "Cam", "640×480 YUYV 30 fps").label == "3: Cam"
