"""The teach panel in the real window: record two scenes from a fake camera, train, see the
taught classes live, export, reopen, and the exported model agrees with the window."""

from __future__ import annotations

import json

import numpy as np
from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QDropEvent
from PySide6.QtWidgets import QLineEdit

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


def test_teach_two_scenes_from_a_camera(qtbot, model_dir, sample_images, tmp_path) -> None:
    scene_a, scene_b = sample_images[0], sample_images[60]
    videos = tmp_path / "videos"
    videos.mkdir()
    only_a = make_video(videos / "a.mp4", [scene_a], frames_per_photo=90)
    only_b = make_video(videos / "b.mp4", [scene_b], frames_per_photo=90)
    both = make_video(videos / "ab.mp4", [scene_a, scene_b] * 2, frames_per_photo=45)
    window = make_window(qtbot, tmp_path / "settings.ini", tmp_path)
    qtbot.waitUntil(lambda: window.session.loaded is not None, timeout=20_000)
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
    window = make_window(qtbot, tmp_path / "settings.ini", tmp_path)
    qtbot.waitUntil(lambda: window.session.loaded is not None, timeout=20_000)
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
    window = make_window(qtbot, tmp_path / "settings.ini", tmp_path)
    qtbot.waitUntil(lambda: window.session.loaded is not None, timeout=20_000)
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
    assert any("not added" in text for text in canvas_texts(window))  # the broken file
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
