"""The real window, driven as a user would: drops, paste, keys, a fake camera, model switches."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from PySide6.QtCore import QMimeData, QObject, Qt, QUrl, Slot
from PySide6.QtGui import QDesktopServices, QFileOpenEvent, QGuiApplication, QImage
from PySide6.QtWidgets import QLabel

from squeezeapp.core.imaging.decode import read_image
from squeezeapp.core.imaging.formats import IMAGE_EXTENSIONS
from squeezeapp.core.imaging.sources import Frame
from squeezeapp.ui.live.payloads import InferenceResult
from squeezeapp.ui.picture.overlay import STALE_AFTER_S, is_stale
from squeezeapp.ui.window.app import FileOpenForwarder
from squeezeapp.ui.window.main_window import MainWindow
from tests import ui_helpers
from tests.conftest import run_cli
from tests.fakes import FakeCamera, FlakyCamera, NeverCamera
from tests.ui_helpers import (
    assert_threads_joined,
    canvas_texts,
    click_canvas_button,
    drop_on,
    file_mime,
    make_window,
)

WAIT_MS = 20_000
settings_file, window, video = ui_helpers.settings_file, ui_helpers.window, ui_helpers.video


def _make_window(qtbot, settings_file: Path, tmp_path: Path) -> MainWindow:
    return make_window(qtbot, settings_file, tmp_path)


def _wait_result(qtbot, window: MainWindow, source: Path | str) -> InferenceResult:
    qtbot.waitUntil(lambda: window.view.result is not None
                    and window.view.result.source == str(source), timeout=WAIT_MS)
    return window.view.result


def test_drop_one_image_matches_cli(qtbot, window, sample_images) -> None:
    photo = sample_images[7]
    drop = drop_on(window, file_mime(photo))
    assert drop.isAccepted()
    result = _wait_result(qtbot, window, photo)
    assert not window.view.result_is_stale
    assert window.source_label.text() == f"Source: {photo.name}"
    assert window.windowTitle().startswith(photo.name)
    assert not window.message_label.text().startswith("Opening")  # not left stale
    cli = run_cli("classify", "--format", "jsonl", str(photo))
    expected = json.loads(cli.stdout)["predictions"][0]
    assert result.predictions[0].index == expected["index"]
    assert result.predictions[0].label == expected["label"]
    assert len(result.predictions) == 5 and not result.smoothed


def test_drop_folder_then_browse_with_arrow_keys(qtbot, window, sample_images, tmp_path) -> None:
    folder = tmp_path / "photos"
    folder.mkdir()
    copies = [Path(shutil.copy(p, folder / p.name)) for p in sample_images[:3]]
    drop_on(window, file_mime(folder))
    # several images: the results view classifies them all; Esc leaves it for the picture
    qtbot.waitUntil(lambda: window.results.showing_results, timeout=10_000)
    qtbot.keyClick(window.results.view.current_view, Qt.Key.Key_Escape)
    assert not window.results.showing_results
    _wait_result(qtbot, window, copies[0])
    assert window.view.badge == "1 / 3"
    qtbot.keyClick(window, Qt.Key.Key_Right)
    _wait_result(qtbot, window, copies[1])
    assert window.view.badge == "2 / 3"
    qtbot.keyClick(window, Qt.Key.Key_End)
    _wait_result(qtbot, window, copies[2])
    assert window.source_label.text() == f"Source: {copies[2].name}"
    qtbot.keyClick(window, Qt.Key.Key_Home)
    _wait_result(qtbot, window, copies[0])
    assert window.view.badge == "1 / 3"


def test_corrupt_file_among_good_ones(qtbot, window, sample_images, tmp_path) -> None:
    good = [Path(shutil.copy(p, tmp_path / p.name)) for p in sample_images[10:12]]
    corrupt = tmp_path / "broken.jpg"
    corrupt.write_bytes(b"\xff\xd8\xff\xe0 this is not really a jpeg" * 20)
    drop_on(window, file_mime(good[0], corrupt, good[1]))
    # several files open the results view; Esc leaves it for the picture view, where → browses
    qtbot.waitUntil(lambda: window.results.showing_results, timeout=10_000)
    qtbot.keyClick(window.results.view.current_view, Qt.Key.Key_Escape)
    _wait_result(qtbot, window, good[0])
    qtbot.keyClick(window, Qt.Key.Key_Right)
    qtbot.waitUntil(lambda: "Could not open broken.jpg" in canvas_texts(window), timeout=WAIT_MS)
    assert any("not a readable image" in text for text in canvas_texts(window))
    assert window.view.frame is None and window.view.badge == "2 / 3"  # no old picture posing
    qtbot.keyClick(window, Qt.Key.Key_Right)  # the error stays until the next picture shows
    _wait_result(qtbot, window, good[1])
    assert canvas_texts(window) == [] and corrupt.exists()  # the user's file is untouched


def test_paste_image_data_and_files(qtbot, window, sample_images) -> None:
    image = QImage(str(sample_images[3]))
    assert not image.isNull()
    clipboard = QGuiApplication.clipboard()
    try:
        clipboard.setImage(image)
        qtbot.keyClick(window, Qt.Key.Key_V, Qt.KeyboardModifier.ControlModifier)
        qtbot.waitUntil(lambda: window.view.result is not None
                        and window.view.result.source.startswith("clipboard:"), timeout=WAIT_MS)
        assert window.view.result.predictions[0].probability > 0
        assert window.source_label.text() == "Source: pasted image"
        clipboard.setMimeData(file_mime(sample_images[4]))
        window.paste()
        _wait_result(qtbot, window, sample_images[4])
    finally:
        # the clipboard owns that QMimeData: free it while Qt is alive, not at interpreter exit
        clipboard.clear()


def test_fake_camera_streams_with_live_stats(qtbot, window, video) -> None:
    window.session.open_live(FakeCamera(video))
    meter = window.session.display_meter
    qtbot.waitUntil(lambda: meter.count >= 45, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: window.session.inference_meter.count >= 20, timeout=WAIT_MS)
    assert window.view.frame.live and window.view.result.smoothed
    assert window.source_label.text() == "Source: Fake camera 99"
    assert window.pause_action.isEnabled() and window.stop_action.isEnabled()
    qtbot.waitUntil(lambda: window.view._stats is not None, timeout=WAIT_MS)
    assert window.view._stats.display_fps > 5


def test_pause_keeps_the_frozen_frame(qtbot, window, video) -> None:
    window.session.open_live(FakeCamera(video))
    qtbot.waitUntil(lambda: window.view.result is not None, timeout=WAIT_MS)
    qtbot.keyClick(window, Qt.Key.Key_Space)
    assert window.view.badge == "Paused"
    frozen = window.view.frame.id
    qtbot.wait(300)
    assert window.view.frame.id in (frozen, frozen + 1)  # at most the frame already in flight
    qtbot.keyClick(window, Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: window.view.frame.id > frozen + 2, timeout=WAIT_MS)
    assert window.view.badge == ""


def test_stop_keeps_the_picture_without_a_frozen_fps_line(qtbot, window, video) -> None:
    window.session.open_live(FakeCamera(video))
    qtbot.waitUntil(lambda: window.view._stats is not None, timeout=WAIT_MS)
    window.session.stop()
    assert window.view.badge == "Stopped" and window.view.frame is not None
    qtbot.wait(1200)  # longer than the stats refresh: nothing puts the old rates back
    assert window.view._stats is None


def test_model_switch_mid_stream(qtbot, window, video, model_dir) -> None:
    window.session.open_live(FakeCamera(video))
    qtbot.waitUntil(lambda: window.view.result is not None, timeout=WAIT_MS)
    assert window.view.result.model == "squeezenet1.1"
    window.models.load_model(str(model_dir / "squeezenet1.1-caffe.onnx"))
    qtbot.waitUntil(lambda: window.view.result is not None
                    and window.view.result.model == "squeezenet1.1-caffe", timeout=WAIT_MS)
    assert window.model_label.text() == "Model: SqueezeNet 1.1 (Caffe)"  # its display name
    assert "squeezenet1.1-caffe.onnx" in window.model_label.toolTip()  # the file a hover away
    assert window.view.caption_text().endswith("SqueezeNet 1.1 (Caffe)")


def test_bad_model_keeps_the_old_one(qtbot, window, tmp_path) -> None:
    junk = tmp_path / "junk.onnx"
    junk.write_bytes(b"nope" * 100)
    window.models.load_model(str(junk))
    qtbot.waitUntil(lambda: "Could not load junk.onnx" in canvas_texts(window), timeout=WAIT_MS)
    detail = next(t for t in canvas_texts(window) if "not an ONNX model" in t)
    assert "Still using SqueezeNet 1.1." in detail
    assert "Open Model File…" in canvas_texts(window)
    assert window.model_label.text() == "Model: SqueezeNet 1.1"


def test_a_model_has_one_name_in_menu_status_bar_canvas_and_about(qtbot, window,
                                                                 sample_images) -> None:
    menu = window.model_menu
    menu.aboutToShow.emit()
    qtbot.waitUntil(lambda: bool(window.models.profiles) and not window.models.listing,
                    timeout=WAIT_MS)
    items = {Path(action.data()).name: action for action in menu.actions() if action.data()}
    caffe = items["squeezenet1.1-caffe.onnx"]
    # the name, then (once timed here) its figures: "SqueezeNet 1.1 (Caffe) — … ms/image here"
    assert caffe.text().split(" — ")[0] == "SqueezeNet 1.1 (Caffe)"  # not its file's name
    assert items["squeezenet1.1.onnx"].text().split(" — ")[0] == "SqueezeNet 1.1"
    assert "squeezenet1.1-caffe.onnx" in caffe.toolTip()  # the file a hover away
    caffe.trigger()
    qtbot.waitUntil(lambda: window.session.loaded.name == "squeezenet1.1-caffe", timeout=WAIT_MS)
    assert window.model_label.text() == "Model: SqueezeNet 1.1 (Caffe)"
    assert "squeezenet1.1-caffe.onnx" in window.model_label.toolTip()
    provider = window.session.loaded.provider
    assert f"Loaded SqueezeNet 1.1 (Caffe) on {provider}" in [e.text for e in window.board.log]
    photo = sample_images[3]
    drop_on(window, file_mime(photo))
    qtbot.waitUntil(lambda: window.view.result is not None
                    and window.view.result.source == str(photo)
                    and window.view.result.model == "squeezenet1.1-caffe", timeout=WAIT_MS)
    assert window.view.caption_text().endswith("SqueezeNet 1.1 (Caffe)")  # over the picture
    window.about()
    about = window.about_dialog.findChild(QLabel, "about-text").text()
    assert "SqueezeNet 1.1 (Caffe) — DeepScale" in about and "squeezenet1.1-caffe.onnx" in about
    window.about_dialog.close()


def test_camera_that_fails_then_recovers(qtbot, window, video) -> None:
    camera = FlakyCamera(video, fail_opens=2, frames_before_loss=20)
    window.session.open_live(camera)
    qtbot.waitUntil(lambda: "Waiting for Fake camera 98…" in canvas_texts(window),
                    timeout=WAIT_MS)
    assert "Stop" in canvas_texts(window)
    meter = window.session.display_meter
    qtbot.waitUntil(lambda: meter.count >= 10, timeout=WAIT_MS)
    assert camera.opens == 3
    qtbot.waitUntil(lambda: camera.lost_once, timeout=WAIT_MS)
    count_at_loss = meter.count
    qtbot.waitUntil(lambda: meter.count >= count_at_loss + 10, timeout=WAIT_MS)
    assert camera.opens == 4 and canvas_texts(window) == []
    assert any("was lost" in entry.text for entry in window.board.log)


def test_waiting_camera_can_be_stopped(qtbot, window) -> None:
    camera = NeverCamera()
    window.session.open_live(camera)
    qtbot.waitUntil(lambda: "Waiting for Never camera…" in canvas_texts(window),
                    timeout=WAIT_MS)
    assert any("Trying again every 0.2 s" in t for t in canvas_texts(window))
    click_canvas_button(qtbot, window, "Stop")
    qtbot.waitUntil(lambda: canvas_texts(window) == [], timeout=WAIT_MS)
    assert not window.stop_action.isEnabled() and not window.pause_action.isEnabled()
    opens = camera.opens
    qtbot.wait(700)  # several retry intervals: a stopped camera is not tried again
    assert camera.opens <= opens + 1 and canvas_texts(window) == []


def test_close_during_inference_joins_threads(qtbot, model_dir, video, settings_file,
                                              tmp_path) -> None:
    window = _make_window(qtbot, settings_file, tmp_path)
    window.session.open_live(FakeCamera(video))
    qtbot.waitUntil(lambda: window.session.inference_meter.count >= 3, timeout=WAIT_MS)
    window.close()
    assert_threads_joined(window)


def test_snapshot_writes_png_and_json(qtbot, window, sample_images) -> None:
    drop_on(window, file_mime(sample_images[0]))
    result = _wait_result(qtbot, window, sample_images[0])
    qtbot.keyClick(window, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    saved = sorted((window.snapshot_dir).glob("*.png"))
    assert len(saved) == 1
    picture = QImage(str(saved[0]))
    source = read_image(sample_images[0])
    # the source frame at its own resolution with the overlay drawn on it, not a window grab
    assert (picture.height(), picture.width()) == source.shape[:2]
    record = json.loads(saved[0].with_suffix(".json").read_text())
    assert record["predictions"][0]["label"] == result.predictions[0].label
    assert window.snapshot() != saved[0]  # a second snapshot never overwrites the first


def test_settings_are_remembered(qtbot, model_dir, settings_file, tmp_path) -> None:
    first = _make_window(qtbot, settings_file, tmp_path)
    first.smoothing_action.setChecked(False)
    first.mirror_action.setChecked(False)
    first.resize(700, 500)
    first.close()
    second = _make_window(qtbot, settings_file, tmp_path)
    assert not second.smoothing_action.isChecked() and not second.mirror_action.isChecked()
    assert second.size().width() == 700
    second.close()


def test_first_run_without_any_model(qtbot, tmp_path, monkeypatch, settings_file) -> None:
    monkeypatch.setenv("SQUEEZEAPP_MODEL_DIR", str(tmp_path / "empty"))
    window = _make_window(qtbot, settings_file, tmp_path)
    qtbot.waitUntil(lambda: window.models.first_run_box is not None
                    and window.models.first_run_box.isVisible(), timeout=WAIT_MS)
    texts = canvas_texts(window)
    assert "No model loaded" in texts and "Download" in texts and "Open Model File…" in texts
    assert any("not found" in t for t in texts)
    assert not any("--model" in t or "squeezeapp models" in t for t in texts)  # buttons, not CLI
    assert window.model_label.text() == "Model: none"
    window.models.first_run_box.reject()
    assert "No model loaded" in canvas_texts(window)  # the canvas keeps saying it
    window.close()
    assert_threads_joined(window)


def test_empty_state_and_drops_of_nothing_useful(qtbot, window, tmp_path, video) -> None:
    assert window.view.frame is None
    assert "Drop images or folders here" in window.view.accessibleDescription()
    (tmp_path / "notes.txt").write_text("hello")
    drop_on(window, file_mime(tmp_path / "notes.txt"))
    qtbot.waitUntil(lambda: "Nothing to open in notes.txt" in canvas_texts(window),
                    timeout=WAIT_MS)
    assert any("not an image or a video (.txt file type)" in t for t in canvas_texts(window))
    if ".exr" not in IMAGE_EXTENSIONS:  # this OpenCV build has no OpenEXR: said so
        (tmp_path / "render.exr").write_bytes(b"v/1\x01")
        drop_on(window, file_mime(tmp_path / "render.exr"))
        qtbot.waitUntil(lambda: "Nothing to open in render.exr" in canvas_texts(window),
                        timeout=WAIT_MS)
        assert any("needs OpenEXR" in t for t in canvas_texts(window))
    window.opener.open_paths([tmp_path / "ghost.jpg"])  # e.g. --source with a typo
    qtbot.waitUntil(lambda: "Could not open ghost.jpg" in canvas_texts(window), timeout=WAIT_MS)
    assert any("It was not found" in t for t in canvas_texts(window))
    second = tmp_path / "second.mp4"
    shutil.copy(video, second)
    drop_on(window, file_mime(video, second))
    qtbot.waitUntil(lambda: "Nothing to open in this drop" in canvas_texts(window),
                    timeout=WAIT_MS)
    assert any("2 videos (open one at a time with File ▸ Open Video)" in t
               for t in canvas_texts(window))
    remote = QMimeData()
    remote.setUrls([QUrl("https://example.com/cat.jpg")])
    drop_on(window, remote)
    assert any("only files on this computer are opened" in t for t in canvas_texts(window))


def test_stale_rule() -> None:
    import numpy as np

    frame = Frame.capture(np.zeros((4, 4, 3), np.uint8), "camera:0", live=True)
    fresh = InferenceResult(frame.id, frame.timestamp, "camera:0", True, (), 1.0, "m", True)
    old = InferenceResult(frame.id - 1, frame.timestamp - STALE_AFTER_S - 0.1, "camera:0", True,
                          (), 1.0, "m", True)
    other = InferenceResult(frame.id, frame.timestamp, "other.jpg", False, (), 1.0, "m", False)
    assert not is_stale(fresh, frame) and is_stale(old, frame) and is_stale(other, frame)


def test_metrics_json_from_the_command_line(video, model_dir, tmp_path) -> None:
    metrics = tmp_path / "metrics.json"
    result = run_cli("gui", "--source", str(video), "--exit-after", "4", "--metrics-json",
                     str(metrics), env={"QT_QPA_PLATFORM": "offscreen",
                                        "XDG_CONFIG_HOME": str(tmp_path)})
    assert result.returncode == 0, result.stderr
    data = json.loads(metrics.read_text())
    for key in ("frames_displayed", "display_fps", "predictions", "inference_fps",
                "latency_ms_p50", "latency_ms_p95", "dropped_frames", "gui_stall_ms_max",
                "top1_label"):
        assert key in data
    assert data["frames_displayed"] > 30 and data["predictions"] > 10
    assert isinstance(data["top1_label"], str)


def test_file_handed_over_by_the_desktop_opens(qtbot, window, sample_images) -> None:
    """macOS sends "Open With" as a QFileOpenEvent to the application, not in argv."""
    app = QGuiApplication.instance()
    forwarder = FileOpenForwarder(window)
    app.installEventFilter(forwarder)
    try:
        assert QGuiApplication.sendEvent(app, QFileOpenEvent(str(sample_images[1])))
        result = _wait_result(qtbot, window, sample_images[1])
        assert result.predictions[0].wnid == sample_images[1].name.split("_")[0]
    finally:
        app.removeEventFilter(forwarder)


def test_gui_accepts_a_path_as_file_managers_pass_it(sample_images, model_dir, tmp_path) -> None:
    """`squeezeapp gui PATH` (the .desktop entry's `%f`) opens PATH, like --source."""
    metrics = tmp_path / "metrics.json"
    done = run_cli("gui", str(sample_images[0]), "--exit-after", "3",
                   "--metrics-json", str(metrics), env={"QT_QPA_PLATFORM": "offscreen",
                                                        "XDG_CONFIG_HOME": str(tmp_path)},
                   timeout=120)
    assert done.returncode == 0, done.stderr
    report = json.loads(metrics.read_text())
    assert report["predictions"] >= 1
    assert report["top1_label"].startswith("tench")


def test_help_lists_every_shortcut_and_view_options_apply(qtbot, window) -> None:
    from squeezeapp.ui.window.help_dialogs import shortcut_entries

    entries = shortcut_entries(window)
    keys = {entry.keys for entry in entries}
    for expected in ("Ctrl+O", "Ctrl+S", "Space", "O", "Ctrl+K", "Return, Enter"):
        assert expected in keys, (expected, sorted(keys))
    # Esc means two things: the dialog says where each works
    escapes = {(entry.where, entry.context) for entry in entries if entry.keys == "Esc"}
    assert escapes == {("View ▸ Back to Results", window.view.accessibleName()),
                       ("Back to Picture", "Results view")}
    overlay = next(entry for entry in entries if entry.where == "View ▸ Show Overlay")
    assert overlay.context == "" and overlay.keys == "O"  # anywhere; Tab moves the focus
    window.show_shortcuts()
    assert window.shortcuts_dialog.isVisible()
    window.shortcuts_dialog.close()
    shown = window.view.view_options.overlay_visible
    qtbot.keyClick(window, Qt.Key.Key_O)
    assert window.view.view_options.overlay_visible is not shown
    assert window.store.value("overlay/visible") is not None


def test_folder_results_view_opens_a_picture_and_goes_back(qtbot, window, sample_images,
                                                           tmp_path) -> None:
    folder = tmp_path / "album"
    folder.mkdir()
    copies = [Path(shutil.copy(p, folder / p.name)) for p in sample_images[:5]]
    drop_on(window, file_mime(folder))
    qtbot.waitUntil(lambda: window.results.showing_results, timeout=10_000)
    results = window.results.view
    qtbot.waitUntil(lambda: results.model.done == len(copies), timeout=30_000)
    assert not window.results_action.isEnabled()  # Esc belongs to the results view here
    table = results.current_view
    row = results.proxy.mapFromSource(results.model.index(3, 0))
    table.setCurrentIndex(row)
    qtbot.keyClick(table, Qt.Key.Key_Return)
    assert not window.results.showing_results
    _wait_result(qtbot, window, copies[3])
    assert window.view.badge == "4 / 5"
    assert window.results_action.isEnabled()
    window.results_action.trigger()  # View ▸ Back to Results (Esc)
    assert window.results.showing_results
    # a single picture replaces the batch: no results page to go back to
    drop_on(window, file_mime(copies[0]))
    qtbot.waitUntil(lambda: not window.results.showing_results, timeout=10_000)
    assert not window.results_action.isEnabled()


def test_heatmap_and_model_crop_are_drawn_where_the_model_looked(qtbot, window,
                                                                 sample_images) -> None:
    window.resize(900, 700)
    drop_on(window, file_mime(sample_images[5]))
    result = _wait_result(qtbot, window, sample_images[5])
    assert result.cam is not None and result.crop is not None
    assert len(result.cam.maps) == len(result.predictions)
    menu = window.overlay_menu
    assert menu.heatmap_action.isEnabled()
    menu.crop_action.setChecked(False)
    menu.heatmap_action.setChecked(False)
    plain = window.view.grab().toImage()
    menu.heatmap_action.setChecked(True)
    heat = window.view.grab().toImage()
    picture = window.view.picture_rect()
    image_width = read_image(sample_images[5]).shape[1]
    from squeezeapp.ui.picture.heat_layer import crop_in_widget

    crop = crop_in_widget(result.crop, picture, image_width).intersected(picture)
    changed_inside = changed_outside = 0
    for y in range(int(crop.top()) + 2, int(crop.bottom()) - 2, 9):
        for x in range(int(crop.left()) + 2, int(crop.right()) - 2, 9):
            changed_inside += plain.pixel(x, y) != heat.pixel(x, y)
    for y in range(int(picture.top()) + 2, int(picture.bottom()) - 2, 9):
        for x in range(int(picture.left()) + 2, int(picture.right()) - 2, 9):
            if not crop.adjusted(-3, -3, 3, 3).contains(x, y):
                changed_outside += plain.pixel(x, y) != heat.pixel(x, y)
    assert changed_inside > 50
    assert changed_outside == 0  # the model never saw outside its crop
    # a click on the third prediction row shows that class's map instead
    window.view.heat.choose(0)
    first = window.view.grab().toImage()
    rect = window.view.prediction_rects()[2]
    qtbot.mouseClick(window.view, Qt.MouseButton.LeftButton, pos=rect.center().toPoint())
    assert window.view.heat.rank == 2
    assert window.view.grab().toImage() != first
    menu.heatmap_action.setChecked(False)
    menu.crop_action.setChecked(True)
    outlined = window.view.grab().toImage()
    edge = crop.adjusted(1.5, 1.5, -1.5, -1.5)
    ys = range(int(edge.top()) + 10, int(edge.bottom()) - 10, 3)
    assert any(outlined.pixel(int(edge.left()), y) != plain.pixel(int(edge.left()), y)
               for y in ys)
    menu.crop_action.setChecked(False)


class _UrlCatcher(QObject):
    """Stands in for the desktop's file manager: QDesktopServices hands file URLs to it."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[QUrl] = []

    @Slot(QUrl)
    def catch(self, url: QUrl) -> None:
        self.urls.append(url)


def test_open_snapshot_folder_shows_it_in_the_file_manager(qtbot, window, tmp_path) -> None:
    window.snapshot_dir = tmp_path / "not yet made" / "snapshots"
    catcher = _UrlCatcher()
    QDesktopServices.setUrlHandler("file", catcher, "catch")
    try:
        action = next(a for a in window.menuBar().actions()[0].menu().actions()
                      if a.text() == "Open Snapshot Fol&der")
        action.trigger()
    finally:
        QDesktopServices.unsetUrlHandler("file")
    assert [url.toLocalFile() for url in catcher.urls] == [str(window.snapshot_dir)]
    assert window.snapshot_dir.is_dir()  # made, so the file manager has something to show

    blocker = tmp_path / "a file"
    blocker.write_text("in the way")
    window.snapshot_dir = blocker / "snapshots"
    assert not window.open_snapshot_folder()
    assert "Cannot open the snapshot folder" in canvas_texts(window)  # said, not swallowed


def test_auto_measures_the_engines_and_the_menu_shows_each_ms(qtbot, model_dir, settings_file,
                                                              tmp_path, monkeypatch,
                                                              sample_images) -> None:
    """The first prediction of a model with provider auto is made on the engine that opens
    fastest; then every engine is measured in the background, Model ▸ Execution Provider lists
    each with its ms, and the model moves to the fastest that agreed with fp32."""
    from squeezeapp.core.inference.engine_choice import cached_choice
    from squeezeapp.core.inference.engines import available_engines, find_engine
    from tests.ui_helpers import assert_threads_joined, make_window

    monkeypatch.delenv("SQUEEZEAPP_NO_ENGINE_MEASUREMENT")
    window = make_window(qtbot, settings_file, tmp_path)
    try:
        qtbot.waitUntil(lambda: window.session.loaded is not None, timeout=20_000)
        assert window.models.engine_menu.choice is None  # nothing measured before a prediction
        window.opener.open_paths([sample_images[0]])
        qtbot.waitUntil(lambda: window.view.result is not None, timeout=30_000)
        assert window.view.result.model == "squeezenet1.1"
        assert window.session.loaded.provider == "CPU"  # opened fastest, for the first one
        menu = window.models.engine_menu
        assert menu is not None
        qtbot.waitUntil(lambda: menu.choice is not None, timeout=60_000)
        choice = menu.choice
        assert cached_choice(window.session.loaded.sha256) == choice
        texts = [action.text() for action in menu.menu.actions()]
        assert texts[0].startswith("Automatic (fastest measured: ")
        for engine in available_engines():
            if engine.name != "openvino":
                assert any(text.startswith(engine.label) and " ms" in text for text in texts), \
                    (engine.label, texts)
        checked = [action.data() for action in menu.menu.actions() if action.isChecked()]
        assert checked == ["auto"]
        wanted = find_engine(choice.engine).short_provider
        qtbot.waitUntil(lambda: window.session.loaded.provider == wanted, timeout=60_000)
        assert window.provider_label.text().startswith(f"Provider: {wanted}")
    finally:
        window.close()
    assert_threads_joined(window)
