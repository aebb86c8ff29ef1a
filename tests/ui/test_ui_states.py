"""Every state the window can be in, as the user sees it: the canvas message, enabled actions,
what is remembered. Downloads run against a local server; signals go to a real subprocess."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings, Qt, QThreadPool
from PySide6.QtWidgets import QMenu, QPushButton

from squeezeapp.core.imaging.sources import CameraInfo
from squeezeapp.ui.common.options import GuiOptions
from tests import ui_helpers
from tests.fakes import make_video
from tests.httpserver import unused_port
from tests.ui_helpers import canvas_texts, click_canvas_button, make_window

WAIT_MS = 20_000
settings_file, window = ui_helpers.settings_file, ui_helpers.window  # the shared fixtures


def _stored(settings_file: Path, key: str):
    return QSettings(str(settings_file), QSettings.Format.IniFormat).value(key)


def _show_photo(qtbot, window, photo: Path, model: str) -> None:
    window.opener.open_paths([photo])
    qtbot.waitUntil(lambda: window.view.result is not None
                    and window.view.result.source == str(photo)
                    and window.view.result.model == model, timeout=WAIT_MS)


# --- video ----------------------------------------------------------------------------------
def test_video_end_says_ended_and_replays(qtbot, window, sample_images, tmp_path) -> None:
    clip = make_video(tmp_path / "short.mp4", sample_images[:2], frames_per_photo=3)
    window.loop_action.setChecked(False)
    window.opener.open_video(clip)
    qtbot.waitUntil(lambda: "Ended" in canvas_texts(window), timeout=WAIT_MS)
    assert "short.mp4 played to its end." in canvas_texts(window)
    assert window.view.badge == "Ended" and window.view._stats is None  # no "0.0 fps" left
    assert not window.pause_action.isEnabled() and window.mirror_action.isEnabled()
    shown = window.session.display_meter.count
    click_canvas_button(qtbot, window, "Replay")
    qtbot.waitUntil(lambda: window.session.display_meter.count > shown, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: "Ended" in canvas_texts(window), timeout=WAIT_MS)  # and ends again


def test_mirror_applies_to_videos(qtbot, window, video_clip) -> None:
    window.mirror_action.setChecked(False)
    window.opener.open_video(video_clip)
    qtbot.waitUntil(lambda: window.view.frame is not None, timeout=WAIT_MS)
    plain = window.view.frame.image
    window.mirror_action.setChecked(True)
    first = window.view.frame.id
    qtbot.waitUntil(lambda: window.view.frame.id > first + 1, timeout=WAIT_MS)
    mirrored = window.view.frame.image
    # the clip shows one photo for 15 frames: a mirrored frame matches the plain one flipped
    assert abs(mirrored.astype(int) - plain[:, ::-1].astype(int)).mean() < \
        abs(mirrored.astype(int) - plain.astype(int)).mean()


@pytest.fixture
def video_clip(sample_images, tmp_path) -> Path:
    return make_video(tmp_path / "clip.mp4", sample_images[20:21], frames_per_photo=90)


# --- cameras ----------------------------------------------------------------------------------
def test_no_camera_disables_open_camera_and_says_why(qtbot, model_dir, settings_file,
                                                     tmp_path) -> None:
    window = make_window(qtbot, settings_file, tmp_path, camera_lister=lambda: [])
    assert window.session.live_source is None  # nothing opened at launch: no camera light
    window.camera_menu.aboutToShow.emit()  # the menu probes each time it opens
    qtbot.waitUntil(lambda: not window.camera_action.isEnabled(), timeout=WAIT_MS)
    assert window.camera_action.text() == "Open &Camera"  # (Keyboard Shortcuts names it)
    notes = [a.text() for a in window.camera_menu.actions() if not a.isEnabled()]
    assert "No camera found" in notes
    assert "No camera answered" in window.camera_action.toolTip()
    window.close()


def test_cameras_found_are_listed(qtbot, model_dir, settings_file, tmp_path) -> None:
    window = make_window(qtbot, settings_file, tmp_path,
                         camera_lister=lambda: [CameraInfo(4, "Desk cam")])
    window.camera_menu.aboutToShow.emit()
    qtbot.waitUntil(lambda: "4: Desk cam" in [a.text() for a in window.camera_menu.actions()],
                    timeout=WAIT_MS)
    assert window.camera_action.isEnabled()
    window.close()


def test_an_open_camera_menu_stays_open_when_the_search_ends(qtbot, model_dir, settings_file,
                                                            tmp_path) -> None:
    """The search starts when the menu opens and ends while it is on screen: the menu must
    show what it found, not close under the pointer (it did: clear() while shown). Only a real
    X server shows the bug (offscreen keeps the menu), so the test runs itself under Xvfb."""
    if os.environ.get("QT_QPA_PLATFORM") != "xcb":
        xvfb = shutil.which("xvfb-run")
        if xvfb is None:
            assert os.environ.get("CI") != "true", "xvfb-run is missing (make setup installs it)"
            pytest.skip("needs xvfb-run")
        test = f"{__file__}::test_an_open_camera_menu_stays_open_when_the_search_ends"
        done = subprocess.run(
            [xvfb, "-a", "-s", "-screen 0 1280x800x24", sys.executable, "-m", "pytest", "-q",
             "-p", "no:cacheprovider", test],
            env={**os.environ, "QT_QPA_PLATFORM": "xcb"}, capture_output=True, text=True,
            timeout=120, check=False)
        assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
        return
    window = make_window(qtbot, settings_file, tmp_path,
                         camera_lister=lambda: [CameraInfo(4, "Desk cam")])
    menu = window.camera_menu
    menu.popup(window.mapToGlobal(window.rect().center()))
    qtbot.waitUntil(lambda: "4: Desk cam" in [a.text() for a in menu.actions()],
                    timeout=WAIT_MS)
    qtbot.wait(100)  # let any hide the rebuild caused be processed
    assert menu.isVisible()
    menu.hide()
    window.close()


def test_opening_the_menus_again_and_again_leaves_no_menus_behind(qtbot, model_dir,
                                                                 settings_file,
                                                                 tmp_path) -> None:
    window = make_window(qtbot, settings_file, tmp_path, camera_lister=lambda: [])
    before = len(window.findChildren(QMenu))
    model_menu = window.model_menu
    for _ in range(20):
        window.camera_menu.aboutToShow.emit()
        model_menu.aboutToShow.emit()
    qtbot.wait(50)  # deleteLater'd objects go at the next event loop turn
    assert len(window.findChildren(QMenu)) == before
    window.close()


def test_camera_reopens_at_launch_only_when_the_last_session_used_one(
        qtbot, model_dir, settings_file, tmp_path) -> None:
    store = QSettings(str(settings_file), QSettings.Format.IniFormat)
    store.setValue("camera/active", True)
    store.setValue("camera/index", 57)  # no such camera here: it waits, and says so
    store.sync()
    window = make_window(qtbot, settings_file, tmp_path)
    qtbot.waitUntil(lambda: "Waiting for Camera 57…" in canvas_texts(window), timeout=WAIT_MS)
    click_canvas_button(qtbot, window, "Stop")
    window.close()
    assert _stored(settings_file, "camera/active") in (False, "false")


# --- models -----------------------------------------------------------------------------------
def test_saved_model_that_fails_falls_back_to_the_default(qtbot, model_dir, settings_file,
                                                          tmp_path, sample_images) -> None:
    junk = tmp_path / "junk.onnx"
    junk.write_bytes(b"nope" * 100)
    store = QSettings(str(settings_file), QSettings.Format.IniFormat)
    store.setValue("model/path", str(junk))
    store.sync()
    window = make_window(qtbot, settings_file, tmp_path)
    qtbot.waitUntil(lambda: window.session.loaded is not None, timeout=WAIT_MS)
    texts = canvas_texts(window)
    assert "The remembered model could not be loaded" in texts
    assert any("Using the default model instead" in t and "junk.onnx" in t for t in texts)
    assert window.model_label.text() == "Model: SqueezeNet 1.1"
    _show_photo(qtbot, window, sample_images[0], "squeezenet1.1")
    assert _stored(settings_file, "model/path") == ""  # the default, now that it has run
    window.close()


def test_a_choice_is_remembered_only_once_it_has_run(qtbot, window, model_dir, settings_file,
                                                     sample_images) -> None:
    caffe = model_dir / "squeezenet1.1-caffe.onnx"
    window.models.load_model(str(caffe))
    qtbot.waitUntil(lambda: window.session.loaded.name == "squeezenet1.1-caffe",
                    timeout=WAIT_MS)
    assert _stored(settings_file, "model/path") in (None, "")  # loaded, not yet run
    _show_photo(qtbot, window, sample_images[2], "squeezenet1.1-caffe")
    assert _stored(settings_file, "model/path") == str(caffe)


def test_command_line_model_and_threads_are_for_this_run_only(qtbot, model_dir, settings_file,
                                                              tmp_path, sample_images) -> None:
    caffe = model_dir / "squeezenet1.1-caffe.onnx"
    window = make_window(qtbot, settings_file, tmp_path,
                         GuiOptions(model=str(caffe), threads=1, provider="cpu"))
    _show_photo(qtbot, window, sample_images[3], "squeezenet1.1-caffe")
    assert "1 threads" in window.provider_label.text()
    window.close()
    assert _stored(settings_file, "model/path") in (None, "")
    assert str(_stored(settings_file, "inference/threads")) == "0"
    assert _stored(settings_file, "inference/provider") == "auto"


# --- downloads --------------------------------------------------------------------------------
class _DripHandler(BaseHTTPRequestHandler):
    stop = threading.Event()

    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Length", "1000000")
        self.end_headers()
        while not self.stop.is_set():
            try:
                self.wfile.write(b"x")
                self.wfile.flush()
            except OSError:
                return
            self.stop.wait(1.0)  # one byte a second

    def log_message(self, *args) -> None:
        pass


@contextmanager
def _dripping_server() -> Iterator[str]:
    handler = type("Drip", (_DripHandler,), {"stop": threading.Event()})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        handler.stop.set()
        server.shutdown()
        server.server_close()


def _start_download(qtbot, window) -> None:
    window.models.download_default_model()
    dialog = window.models.progress
    assert dialog is not None and dialog.isVisible()  # at once, not after a delay
    assert "connecting" in dialog.labelText()
    qtbot.wait(400)  # the server has sent a byte or so: the reader is blocked in mid-body


def test_cancel_stops_a_dripping_download_promptly(qtbot, window, monkeypatch,
                                                   isolated_cache) -> None:
    with _dripping_server() as url:
        monkeypatch.setenv("SQUEEZEAPP_MODEL_BASE_URL", url)
        _start_download(qtbot, window)
        start = time.monotonic()
        cancel = window.models.progress.findChild(QPushButton)
        assert cancel.text() == "Cancel"
        qtbot.mouseClick(cancel, Qt.MouseButton.LeftButton)
        assert window.models.progress is None and not window.models.downloading
        finished = QThreadPool.globalInstance().waitForDone(2000)
        took = time.monotonic() - start
    print(f"download cancel: thread finished {took * 1000:.0f} ms after Cancel")
    assert finished and took < 2.0
    assert not list(isolated_cache.rglob("*part"))  # the partial file went with it
    assert not any("could not be downloaded" in t for t in canvas_texts(window))


def test_closing_during_a_download_returns_promptly(qtbot, model_dir, settings_file, tmp_path,
                                                    monkeypatch) -> None:
    window = make_window(qtbot, settings_file, tmp_path)
    with _dripping_server() as url:
        monkeypatch.setenv("SQUEEZEAPP_MODEL_BASE_URL", url)
        _start_download(qtbot, window)
        start = time.monotonic()
        window.close()
        took = time.monotonic() - start
    print(f"close during download: {took * 1000:.0f} ms")
    assert took < 3.0 and QThreadPool.globalInstance().activeThreadCount() == 0


def test_offline_download_failure_offers_a_model_file(qtbot, window, monkeypatch) -> None:
    monkeypatch.setenv("SQUEEZEAPP_MODEL_BASE_URL", f"http://127.0.0.1:{unused_port()}")
    window.models.download_default_model()
    qtbot.waitUntil(lambda: "The model could not be downloaded" in canvas_texts(window),
                    timeout=WAIT_MS)
    texts = canvas_texts(window)
    assert any("cannot connect" in t and "open a model file" in t for t in texts)
    assert "Try Again" in texts and "Open Model File…" in texts
    assert window.models.progress is None


@pytest.mark.parametrize("models_here", ["default", "none"])
def test_a_downloaded_model_is_loaded_again_after_a_restart(
        qtbot, model_dir, settings_file, tmp_path, monkeypatch, isolated_cache,
        models_here) -> None:
    """Download (local server), quit before any picture, start again with the same settings:
    the downloaded model is loaded, whether or not the default model is there too."""
    from squeezeapp.core.common.hashing import file_sha256
    from squeezeapp.core.models import registry
    from tests.httpserver import serve

    if models_here == "none":
        monkeypatch.setenv("SQUEEZEAPP_MODEL_DIR", str(tmp_path / "no-models"))
    body = (model_dir / "squeezenet1.1.onnx").read_bytes()
    remote = registry.RemoteFile("https://example.invalid/squeezenet1.1-7.onnx", len(body),
                                 file_sha256(model_dir / "squeezenet1.1.onnx"))
    monkeypatch.setattr("squeezeapp.ui.models.controller.ZOO_MODEL", registry.KnownModel(
        "squeezenet1.1-zoo", "test", remote.sha256, registry.TORCHVISION_PREPROCESS, "logits",
        "x", model=remote))
    downloaded = isolated_cache / "models" / "squeezenet1.1-zoo.onnx"
    window = make_window(qtbot, settings_file, tmp_path)
    with serve({"/squeezenet1.1-7.onnx": ("ok", body)}) as base:
        monkeypatch.setenv("SQUEEZEAPP_MODEL_BASE_URL", base)
        if models_here == "none":
            qtbot.waitUntil(lambda: "No model loaded" in canvas_texts(window), timeout=WAIT_MS)
            click_canvas_button(qtbot, window, "Download")
        else:
            qtbot.waitUntil(lambda: window.session.loaded is not None, timeout=WAIT_MS)
            window.models.download_default_model()
        qtbot.waitUntil(lambda: window.session.loaded is not None
                        and window.session.loaded.path == downloaded, timeout=WAIT_MS)
    assert _stored(settings_file, "model/path") == str(downloaded)  # loaded: it works
    window.close()  # before classifying anything
    again = make_window(qtbot, settings_file, tmp_path)
    qtbot.waitUntil(lambda: again.session.loaded is not None, timeout=WAIT_MS)
    assert again.session.loaded.path == downloaded
    assert "No model loaded" not in canvas_texts(again)
    again.close()


# --- messages ---------------------------------------------------------------------------------
def test_an_info_never_hides_an_error_and_the_log_keeps_both(qtbot, window, tmp_path) -> None:
    window.board.error("source", "Could not open a.jpg", "why")
    window.board.info("source", "Decoding b.jpg…")
    assert canvas_texts(window)[:2] == ["Could not open a.jpg", "why"]
    assert "Decoding b.jpg…" in canvas_texts(window)
    window.show_messages()
    lines = [window.messages_dialog.list.item(i).text()
             for i in range(window.messages_dialog.list.count())]
    assert any(re.match(r"\d\d:\d\d:\d\d  ⚠ Could not open a.jpg", line) for line in lines)
    assert any(line.endswith("Decoding b.jpg…") for line in lines)
    window.messages_dialog.close()
    click_canvas_button(qtbot, window, "✕")  # the user dismisses the error
    assert canvas_texts(window) == ["Decoding b.jpg…"]


# --- signals ----------------------------------------------------------------------------------
@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
@pytest.mark.parametrize(("signum", "status"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_signal_quits_cleanly(model_dir, sample_images, tmp_path, signum, status) -> None:
    with ui_helpers.gui_process(["--source", str(sample_images[0])], tmp_path) as (process,
                                                                                  lines):
        process.send_signal(signum)
        assert process.wait(15) == status, "".join(lines)
    output = "".join(lines)
    assert "Traceback" not in output and "KeyboardInterrupt" not in output
    assert "threads stopped" in output
    assert (tmp_path / "squeezeapp" / "squeezeapp.ini").read_text().count("geometry") == 1


# --- what the picture is ------------------------------------------------------------------------
def test_label_title_and_overlay_change_only_when_the_new_picture_shows(
        qtbot, window, sample_images, tmp_path) -> None:
    import cv2
    import numpy as np

    big = tmp_path / "large.png"
    noise = np.random.default_rng(1).integers(0, 255, (2000, 3000, 3), np.uint8)
    cv2.imwrite(str(big), noise, [cv2.IMWRITE_PNG_COMPRESSION, 1])  # slow to decode
    first = sample_images[5]
    _show_photo(qtbot, window, first, "squeezenet1.1")
    window.opener.open_paths([big])
    qtbot.waitUntil(lambda: window.view.replacing != "" or window.view.frame.source == str(big),
                    timeout=WAIT_MS)
    if window.view.replacing:  # decoding took longer than the veil's delay: check the meanwhile
        assert window.view.replacing == "Opening large.png…"
        assert window.source_label.text() == f"Source: {first.name}"
        assert window.windowTitle().startswith(first.name)
        assert window.view.result.source == str(first)
    qtbot.waitUntil(lambda: window.view.result is not None
                    and window.view.result.source == str(big), timeout=WAIT_MS)
    assert window.source_label.text() == "Source: large.png" and not window.view.replacing


def test_a_message_on_one_line_has_no_empty_parts() -> None:
    """The status bar and the log show a message on one line, without ' —  — ' for a blank
    line in its detail."""
    from squeezeapp.ui.common.canvas_message import CanvasMessage, Level

    message = CanvasMessage("model", Level.ERROR, "No model loaded", "Download it.\n\nnot found")
    assert message.one_line == "No model loaded — Download it. — not found"
