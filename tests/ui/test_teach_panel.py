"""The teach panel in the real window: record two scenes from a fake camera, train, see the
taught classes live, export, reopen, and the exported model agrees with the window."""

from __future__ import annotations

import json

import numpy as np
from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QDropEvent
from PySide6.QtWidgets import QLineEdit

from squeezeapp.core.teach.project import PROJECT_FILE
from squeezeapp.ui.teach.engine import TAUGHT_FILE
from tests.conftest import run_cli
from tests.fakes import FakeCamera, make_video
from tests.ui_helpers import (
    assert_threads_joined,
    canvas_texts,
    click_canvas_button,
    file_mime,
    make_window,
)


def _record(qtbot, window, panel, camera: FakeCamera, class_name: str,
            with_key: bool = False) -> np.ndarray:
    """Hold to Record (the button, or the R key) for a second on `camera`; returns a frame of
    its scene."""
    window.session.open_live(camera)
    qtbot.waitUntil(lambda: panel._frame is not None and panel._frame.source == camera.key,
                    timeout=20_000)
    scene = panel._frame.image.copy()
    panel.select_class(class_name)
    if with_key:
        qtbot.keyPress(panel, Qt.Key.Key_R)
        qtbot.wait(1000)
        qtbot.keyRelease(panel, Qt.Key.Key_R)
    else:
        qtbot.mousePress(panel.record_button, Qt.MouseButton.LeftButton)
        qtbot.wait(1000)
        qtbot.mouseRelease(panel.record_button, Qt.MouseButton.LeftButton)
    return scene


def _window_with_model(qtbot, tmp_path):
    """The real window, its settings in tmp_path, once the default model has loaded."""
    window = make_window(qtbot, tmp_path / "settings.ini", tmp_path)
    qtbot.waitUntil(lambda: window.session.loaded is not None, timeout=20_000)
    return window


def test_teach_two_scenes_from_a_camera(qtbot, model_dir, sample_images, tmp_path) -> None:
    scene_a, scene_b = sample_images[0], sample_images[60]
    videos = tmp_path / "videos"
    videos.mkdir()
    only_a = make_video(videos / "a.mp4", [scene_a], frames_per_photo=90)
    only_b = make_video(videos / "b.mp4", [scene_b], frames_per_photo=90)
    both = make_video(videos / "ab.mp4", [scene_a, scene_b] * 2, frames_per_photo=45)
    window = _window_with_model(qtbot, tmp_path)
    base_model = window.models.loaded.path
    project = tmp_path / "pets"
    panel = window.teach_new_classes(project)
    assert panel is not None and panel.isVisible()
    assert [panel.class_list.item(i).data(Qt.ItemDataRole.UserRole)
            for i in range(panel.class_list.count())] == ["Class 1", "Class 2"]

    reference = {"Class 1": _record(qtbot, window, panel, FakeCamera(only_a, index=90),
                                    "Class 1"),
                 "Class 2": _record(qtbot, window, panel, FakeCamera(only_b, index=91),
                                    "Class 2", with_key=True)}
    # counts and accuracy on the panel, then the taught model live
    qtbot.waitUntil(lambda: panel.latest is not None and not panel.busy()
                    and all(n >= 5 for n in panel.latest.scan.counts()), timeout=60_000)
    assert "examples" in panel.class_count_text("Class 1")
    assert panel.accuracy_label.text().startswith("Accuracy 100%")
    assert panel.confusion.rowCount() == 2
    qtbot.waitUntil(lambda: window.models.loaded is not None
                    and window.models.loaded.path.name == TAUGHT_FILE, timeout=30_000)
    assert len(list((project / "Class 1").glob("*.jpg"))) >= 5

    # the live overlay names the right class on each scene of the alternating video
    frames: dict[int, np.ndarray] = {}
    seen: list[tuple[str, str]] = []
    window.session.frameShown.connect(lambda frame, _img: frames.__setitem__(frame.id,
                                                                           frame.image))

    def on_result(result) -> None:
        image = frames.get(result.frame_id)
        if image is None or not result.live or result.model == "squeezenet1.1" \
                or not result.predictions:
            return
        seen.append((_scene(image, reference), result.predictions[0].label))

    window.session.resultShown.connect(on_result)
    window.session.open_live(FakeCamera(both, index=92))
    qtbot.waitUntil(lambda: min(sum(1 for scene, _ in seen if scene == name)
                                for name in reference) >= 20, timeout=60_000)
    for scene in ("Class 1", "Class 2"):
        labels = [label for shown, label in seen if shown == scene]
        assert labels and labels.count(scene) / len(labels) >= 0.7, (scene, labels)

    # export, then the exported model agrees with the window on a recorded frame
    panel.export_to(tmp_path / "pets.onnx")
    qtbot.waitUntil(lambda: panel.exported is not None, timeout=30_000)
    recorded = sorted((project / "Class 2").glob("*.jpg"))[0]
    window.session.stop()
    shown: list[str] = []
    window.session.resultShown.connect(lambda r: shown.append(r.predictions[0].label)
                                       if r.source == str(recorded) else None)
    window.session.show_image(recorded)
    qtbot.waitUntil(lambda: bool(shown), timeout=20_000)
    result = run_cli("classify", "--model", str(panel.exported), "--format", "jsonl",
                     str(recorded))
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["predictions"][0]["label"] == shown[-1] == "Class 2"

    # back to ImageNet without losing the project; reopen it from disk
    panel.toggle_live_model()
    qtbot.waitUntil(lambda: window.models.loaded.path == base_model, timeout=30_000)
    counts = panel.latest.scan.counts()
    window.teach_new_classes(project)
    qtbot.waitUntil(lambda: panel.latest is not None and not panel.busy(), timeout=60_000)
    assert panel.latest.scan.counts() == counts
    assert any(entry.path == project.absolute() for entry in window.recent_menu.entries)
    window.close()
    assert_threads_joined(window)


def _scene(image: np.ndarray, reference: dict[str, np.ndarray]) -> str:
    """Which scene a frame shows: the nearest recorded frame, pixel by pixel."""
    return min(reference, key=lambda name: float(
        np.abs(reference[name].astype(np.int16) - image.astype(np.int16)).mean()))


def test_bad_class_names_and_read_only_messages(qtbot, model_dir, tmp_path) -> None:
    window = _window_with_model(qtbot, tmp_path)
    panel = window.teach_new_classes(tmp_path / "proj")
    # double-click renames the class alone, in place; the name is made safe
    item = panel.class_list.item(0)
    rect = panel.class_list.visualItemRect(item)
    qtbot.mouseClick(panel.class_list.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.mouseDClick(panel.class_list.viewport(), Qt.MouseButton.LeftButton,
                      pos=rect.center())
    qtbot.waitUntil(lambda: panel.class_list.findChild(QLineEdit) is not None, timeout=5_000)
    editor = panel.class_list.findChild(QLineEdit)
    assert editor.text() == "Class 1"
    editor.setText("../cats")
    qtbot.keyClick(editor, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: panel.class_list.item(0).text().startswith("cats  —  "),
                    timeout=5_000)
    assert panel.project.classes[0] == "cats" and (tmp_path / "proj" / "cats").is_dir()
    assert panel.add_class("../x") == "x"
    assert panel.add_class("CON") == "CON_"
    assert panel.add_class("   ") is None
    assert any("cannot name a class" in text for text in window.view.messages.texts())
    assert not (tmp_path / "x").exists() and (tmp_path / "proj" / "x").is_dir()
    qtbot.waitUntil(lambda: panel.latest is not None and not panel.busy(), timeout=60_000)
    assert "Add examples to" in panel.warnings_label.text()
    window.close()
    assert_threads_joined(window)




def test_add_images_delete_with_undo_and_reopen_shows_thumbnails(qtbot, model_dir,
                                                                 sample_images, tmp_path) -> None:
    window = _window_with_model(qtbot, tmp_path)
    panel = window.teach_new_classes(tmp_path / "proj")
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(b"\xff\xd8\xff not really")
    panel.add_files("Class 1", [*sample_images[:4], broken])
    panel.select_class("Class 2")
    drop = file_mime(*sample_images[50:54])
    panel.dropEvent(QDropEvent(QPointF(5, 5), Qt.DropAction.CopyAction, drop,
                               Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier))
    qtbot.waitUntil(lambda: panel.latest is not None and not panel.busy()
                    and panel.latest.scan.counts() == [4, 4], timeout=60_000)
    # the broken file: one picture, its name said once
    texts = [text for text in canvas_texts(window) if "not added" in text]
    assert texts and "1 picture not added" in texts[0] and "(s)" not in texts[0]
    from squeezeapp.ui.common.canvas_message import Level, Topic

    detail = window.board.shown(Topic.TEACH, Level.ERROR).detail
    assert detail.count("broken.jpg") == 1 and str(tmp_path) not in detail
    assert sample_images[0].is_file()  # copied, never moved
    panel.select_class("Class 1")
    assert panel.strip.count() == 4
    panel.strip.item(0).setSelected(True)
    panel.delete_selected_examples()
    qtbot.waitUntil(lambda: panel.strip.count() == 3, timeout=10_000)
    qtbot.waitUntil(lambda: panel.latest.scan.counts() == [3, 4] and not panel.busy(),
                    timeout=60_000)
    click_canvas_button(qtbot, window, "Undo")
    qtbot.waitUntil(lambda: panel.strip.count() == 4 and not panel.busy()
                    and panel.latest.scan.counts() == [4, 4], timeout=60_000)
    # on a still, the button adds the picture shown, once
    still = sample_images[70]
    window.session.show_image(still)
    qtbot.waitUntil(lambda: panel._frame is not None and panel._frame.source == str(still),
                    timeout=20_000)
    panel.select_class("Class 2")
    qtbot.mouseClick(panel.record_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not panel.busy() and panel.latest.scan.counts() == [4, 5],
                    timeout=60_000)
    # reopened from disk: the strip shows the pictures already there
    window.teach_new_classes(tmp_path / "proj")
    qtbot.waitUntil(lambda: panel.strip.count() == 4, timeout=30_000)
    window.close()
    assert_threads_joined(window)


def test_a_picture_on_screen_is_recorded_and_stale_messages_go(qtbot, model_dir, sample_images,
                                                               tmp_path) -> None:
    from squeezeapp.ui.teach.panel import PANEL_MAX_WIDTH

    window = _window_with_model(qtbot, tmp_path)
    panel = window.teach_new_classes(tmp_path / "proj")
    # nothing on screen: the card says so, and goes once an example is added
    qtbot.mouseClick(panel.record_button, Qt.MouseButton.LeftButton)
    assert any("Nothing to record" in text for text in canvas_texts(window))
    still = sample_images[3]
    window.session.show_image(still)
    qtbot.waitUntil(lambda: panel._frame is not None, timeout=20_000)
    assert panel.record_button.text() == "Add This Picture"
    qtbot.mouseClick(panel.record_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: panel.strip.count() == 1, timeout=20_000)
    assert not any("Nothing to record" in text for text in canvas_texts(window))
    assert "Class 1" in panel.strip_title.text()
    # a refused name is said, and the message goes with the next name that works
    panel.class_list.item(0).setText("")
    assert any("cannot name a class" in text for text in canvas_texts(window))
    qtbot.wait(50)
    panel.class_list.item(0).setText("cats")
    qtbot.waitUntil(lambda: panel.project.classes[0] == "cats", timeout=5_000)
    assert not any("not renamed" in text for text in canvas_texts(window))
    assert panel.add_class("   ") is None
    assert any("Class not added" in text for text in canvas_texts(window))
    long_name = "a very long class name " * 8
    assert panel.add_class(long_name.strip()) is not None
    assert not any("Class not added" in text for text in canvas_texts(window))
    # long names and warnings never widen the panel
    qtbot.waitUntil(lambda: panel.latest is not None and not panel.busy(), timeout=60_000)
    assert panel.warnings_label.text()
    assert panel.width() <= PANEL_MAX_WIDTH
    window.close()
    assert_threads_joined(window)


def test_a_picture_shown_before_the_panel_opens_is_added(qtbot, model_dir, sample_images,
                                                          tmp_path) -> None:
    window = _window_with_model(qtbot, tmp_path)
    window.session.show_image(sample_images[5])
    qtbot.waitUntil(lambda: window.session.frame is not None, timeout=20_000)
    panel = window.teach_new_classes(tmp_path / "proj")
    assert panel.record_button.text() == "Add This Picture"
    qtbot.mouseClick(panel.record_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: panel.strip.count() == 1, timeout=20_000)
    assert not any("Nothing to record" in text for text in canvas_texts(window))
    window.close()
    assert_threads_joined(window)


def test_teaching_with_a_taught_model_loaded_teaches_from_imagenet(qtbot, model_dir, classifier,
                                                                    sample_images,
                                                                    tmp_path) -> None:
    from squeezeapp.core.teach.export import export_model
    from squeezeapp.core.teach.project import Project
    from squeezeapp.core.teach.train import train_project

    project = Project.create(tmp_path / "first", ["a", "b"])
    for label, name in enumerate(project.classes):
        for path in sample_images[label * 30:label * 30 + 3]:
            project.add_bytes(name, path.name, path.read_bytes())
    trained = train_project(classifier, project)
    taught = export_model(classifier.spec.path, trained.report,
                          classifier.spec.preprocess.as_dict(), tmp_path / "taught.onnx",
                          "taught", base_name=classifier.spec.name)
    window = _window_with_model(qtbot, tmp_path)
    base = window.models.loaded.path
    window.models.load_model(str(taught))
    qtbot.waitUntil(lambda: window.models.loaded.path == taught, timeout=20_000)
    panel = window.teach_new_classes(tmp_path / "proj")
    assert panel is not None and panel.engine.base_model.resolve() == base.resolve()
    assert panel.switch_button.isEnabled()  # a taught model is live
    panel.switch_button.click()
    qtbot.waitUntil(lambda: window.models.loaded.path.resolve() == base.resolve(),
                    timeout=20_000)
    panel.add_files("Class 1", sample_images[:3])
    panel.add_files("Class 2", sample_images[40:43])
    qtbot.waitUntil(lambda: panel.latest is not None and not panel.busy()
                    and panel.latest.report.trained, timeout=60_000)
    assert not any("failed" in text for text in canvas_texts(window))
    assert (tmp_path / "proj" / TAUGHT_FILE).is_file()
    window.close()
    assert_threads_joined(window)


def _menu_names(view) -> list[str]:
    return [action.data() for action in view.add_to_class_menu.actions()]


def test_add_to_class_from_the_results_view(qtbot, model_dir, sample_images, tmp_path) -> None:
    from tests.ui_helpers import drop_on

    folder = tmp_path / "photos"
    folder.mkdir()
    photos = [folder / f"{i}.jpg" for i in range(4)]
    for photo, source in zip(photos, sample_images[:4], strict=True):
        photo.write_bytes(source.read_bytes())
    window = _window_with_model(qtbot, tmp_path)
    view = window.results.view
    with qtbot.waitSignal(view.finished, timeout=60_000):
        drop_on(window, file_mime(folder))
    view.table.selectAll()
    # no teach project open: the entry is there, disabled, with no classes
    assert view.add_to_class_action in view.context_menu().actions()
    assert not view.add_to_class_action.isEnabled() and _menu_names(view) == []
    panel = window.teach_new_classes(tmp_path / "proj")
    assert _menu_names(view) == ["Class 1", "Class 2"]
    assert view.add_to_class_action.isEnabled()
    view.table.clearSelection()
    assert not view.add_to_class_action.isEnabled()  # nothing selected, nothing to add
    # two rows selected, Add to Class ▸ Class 2: copies of them in the class, off the GUI thread
    selection = view.table.selectionModel()
    for row in (0, 2):
        selection.select(view.proxy.index(row, 0), selection.SelectionFlag.Select
                         | selection.SelectionFlag.Rows)
    chosen = view.selected_paths()
    assert len(chosen) == 2 and view.add_to_class_action.isEnabled()
    next(a for a in view.add_to_class_menu.actions() if a.data() == "Class 2").trigger()
    qtbot.waitUntil(lambda: panel.latest is not None and not panel.busy()
                    and panel.latest.scan.counts() == [0, 2], timeout=60_000)
    assert sorted(p.name for p in (tmp_path / "proj" / "Class 2").iterdir()) == \
        sorted(p.name for p in chosen)
    assert all(photo.is_file() for photo in photos)  # copied, never moved
    # the menu follows the project's classes
    assert panel.add_class("dogs") == "dogs"
    assert _menu_names(view) == ["Class 1", "Class 2", "dogs"]
    window.close()
    assert_threads_joined(window)


def _taught_labels(path) -> list[str]:
    import onnxruntime as ort

    meta = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"]).get_modelmeta()
    return json.loads(meta.custom_metadata_map["labels"])


def test_reordered_classes_are_saved_and_the_model_follows(qtbot, model_dir, sample_images,
                                                           tmp_path) -> None:
    window = _window_with_model(qtbot, tmp_path)
    project = tmp_path / "proj"
    panel = window.teach_new_classes(project)
    panel.add_class("dogs")
    panel.add_files("Class 1", list(sample_images[:3]))
    panel.add_files("Class 2", list(sample_images[25:28]))
    panel.add_files("dogs", list(sample_images[50:53]))
    qtbot.waitUntil(lambda: panel.latest is not None and not panel.busy()
                    and panel.latest.scan.counts() == [3, 3, 3], timeout=60_000)
    panel.select_class("Class 1")
    assert not panel.up_button.isEnabled() and panel.down_button.isEnabled()
    panel.select_class("dogs")
    assert panel.up_button.isEnabled() and not panel.down_button.isEnabled()
    qtbot.mouseClick(panel.up_button, Qt.MouseButton.LeftButton)
    qtbot.mouseClick(panel.up_button, Qt.MouseButton.LeftButton)
    order = ["dogs", "Class 1", "Class 2"]
    assert panel.current_class() == "dogs" and not panel.up_button.isEnabled()
    assert [panel.class_list.item(i).data(Qt.ItemDataRole.UserRole)
            for i in range(panel.class_list.count())] == order
    assert json.loads((project / PROJECT_FILE).read_text())["classes"] == order
    assert window.results.view._teach_classes == order
    # the next training, and the taught model live, have the labels in that order
    qtbot.waitUntil(lambda: not panel.busy() and panel.latest.scan.classes == tuple(order),
                    timeout=60_000)
    assert [c.name for c in panel.latest.report.classes] == order
    qtbot.waitUntil(lambda: window.models.loaded is not None
                    and window.models.loaded.path.name == TAUGHT_FILE, timeout=30_000)
    assert _taught_labels(window.models.loaded.path) == order
    # reopened from disk: the same order
    window.teach_new_classes(project)
    assert panel.project.classes == order
    window.close()
    assert_threads_joined(window)


def test_the_recording_rate_is_set_in_the_panel_and_saved(qtbot, model_dir, tmp_path) -> None:
    from squeezeapp.core.teach.project import Project

    window = _window_with_model(qtbot, tmp_path)
    project = tmp_path / "proj"
    panel = window.teach_new_classes(project)
    spin = panel.fps_spin
    assert spin.isEnabled() and spin.value() == 8  # the project's default
    assert (spin.minimum(), spin.maximum()) == (1, 30)
    spin.selectAll()
    qtbot.keyClicks(spin, "15")
    assert spin.value() == 15
    assert Project.open(project).settings.record_fps == 15
    spin.setValue(99)  # bounded
    assert spin.value() == 30 and Project.open(project).settings.record_fps == 30
    spin.setValue(4)
    # Hold to Record adds frames at that rate
    camera_frame = np.zeros((64, 64, 3), np.uint8)
    from squeezeapp.core.imaging.sources import Frame

    panel.set_frame(Frame.capture(camera_frame, "camera:0", live=True))
    panel.start_recording()
    assert panel._record_timer.interval() == 250
    panel.stop_recording()
    # reopened: the rate the user chose
    window.teach_new_classes(project)
    assert panel.fps_spin.value() == 4
    window.close()
    assert_threads_joined(window)
