"""The polish users expect, on the real window: File ▸ Open Recent, file dialogs that remember
their folder, the title, a status bar that fits 640×400, the video time in snapshots, list keys,
and Tab that hides the overlay only where it does not steal the focus."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from PySide6.QtCore import QMimeData, QSettings, Qt, QUrl
from PySide6.QtWidgets import QApplication, QDialogButtonBox, QLabel, QPushButton, QTableWidget

from squeezeapp import APP_NAME
from squeezeapp.core.models.names import display_name
from squeezeapp.ui.common import file_dialogs
from squeezeapp.ui.common.elided_label import ElidedLabel
from squeezeapp.ui.common.file_dialogs import DialogFolders
from squeezeapp.ui.sources.recent import MAX_RECENT, RecentEntry, load_recent, save_recent
from squeezeapp.ui.window.main_window import MainWindow, window_title
from tests import ui_helpers
from tests.fakes import FakeCamera
from tests.ui_helpers import assert_threads_joined, canvas_texts, make_window

WAIT_MS = 20_000
settings_file, window, video = ui_helpers.settings_file, ui_helpers.window, ui_helpers.video


def _drop(window: MainWindow, *paths: Path) -> None:
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
    assert window.opener.accept_mime(mime)


def _wait_result(qtbot, window: MainWindow, source: Path) -> None:
    qtbot.waitUntil(lambda: window.view.result is not None
                    and window.view.result.source == str(source), timeout=WAIT_MS)


def _album(tmp_path: Path, sample_images: list[Path], count: int, name: str = "album") -> Path:
    folder = tmp_path / name
    folder.mkdir()
    for photo in sample_images[:count]:
        shutil.copy(photo, folder / photo.name)
    return folder


def _recent_texts(window: MainWindow) -> list[str]:
    return [a.text() for a in window.recent_menu.actions() if not a.isSeparator()]


def _recent_action(window: MainWindow, path: Path):
    return next(a for a in window.recent_menu.actions() if a.data() == str(path))


# --- File ▸ Open Recent ---------------------------------------------------------------------
def test_open_recent_keeps_what_opened(qtbot, model_dir, sample_images, settings_file,
                                       tmp_path) -> None:
    window = make_window(qtbot, settings_file, tmp_path)
    menu = window.recent_menu
    file_menu = window.menuBar().actions()[0].menu()
    assert menu.menuAction() in file_menu.actions() and menu.title() == "Open &Recent"
    assert _recent_texts(window) == ["No recent files or folders", "&Clear Recent"]
    # the empty state says so, disabled
    assert not any(a.isEnabled() for a in menu.actions() if not a.isSeparator())

    photo = Path(shutil.copy(sample_images[0], tmp_path / sample_images[0].name))
    _drop(window, photo)
    _wait_result(qtbot, window, photo)
    qtbot.waitUntil(lambda: bool(menu.entries), timeout=WAIT_MS)
    assert menu.entries == [RecentEntry(photo, "image")]

    album = _album(tmp_path, sample_images[1:], 3)
    _drop(window, album)
    qtbot.waitUntil(lambda: window.results.showing_results, timeout=WAIT_MS)
    assert menu.entries == [RecentEntry(album, "folder"), RecentEntry(photo, "image")]

    broken = tmp_path / "broken.jpg"  # a file that does not decode is never remembered
    broken.write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg" * 20)
    _drop(window, broken)
    qtbot.waitUntil(lambda: "Could not open broken.jpg" in canvas_texts(window), timeout=WAIT_MS)
    assert [e.path for e in menu.entries] == [album, photo]

    _recent_action(window, photo).trigger()  # reopening moves it to the top, once
    _wait_result(qtbot, window, photo)
    qtbot.waitUntil(lambda: menu.entries[0].path == photo, timeout=WAIT_MS)
    assert [e.path for e in menu.entries] == [photo, album]
    assert _recent_texts(window) == [f"&1  {photo.name}", "&2  album  (folder)",
                                     "&Clear Recent"]
    assert _recent_action(window, album).toolTip() == str(album)

    # keyboard: the digit in an open menu opens that entry (the folder, in the results view)
    menu.popup(window.mapToGlobal(window.rect().center()))
    qtbot.waitUntil(menu.isVisible, timeout=WAIT_MS)
    qtbot.keyClick(menu, Qt.Key.Key_2)
    qtbot.waitUntil(lambda: window.results.showing_results, timeout=WAIT_MS)
    assert sorted(p.name for p in window.results.paths) == sorted(
        p.name for p in album.iterdir())
    window.close()
    assert_threads_joined(window)

    # remembered in the settings: a new window offers the same entries
    second = make_window(qtbot, settings_file, tmp_path)
    assert second.recent_menu.entries[0].path == album
    shutil.rmtree(album)  # gone since: choosing it says so on the canvas and drops the entry
    _recent_action(second, album).trigger()
    qtbot.waitUntil(lambda: "album is no longer there" in canvas_texts(second), timeout=WAIT_MS)
    assert any("removed from File ▸ Open Recent" in t for t in canvas_texts(second))
    assert [e.path for e in second.recent_menu.entries] == [photo]
    next(a for a in second.recent_menu.actions() if a.text() == "&Clear Recent").trigger()
    assert second.recent_menu.entries == [] and load_recent(second.store) == []
    second.close()
    assert_threads_joined(second)


def test_recent_list_is_bounded_deduplicated_and_survives_junk(tmp_path) -> None:
    from squeezeapp.ui.sources.recent import RecentMenu

    store = QSettings(str(tmp_path / "recent.ini"), QSettings.Format.IniFormat)
    menu = RecentMenu(store)
    for number in range(MAX_RECENT + 3):
        menu.add(tmp_path / f"photo{number}.jpg", "image")
    menu.add(tmp_path / "photo5.jpg", "image")
    paths = [e.path.name for e in load_recent(store)]
    assert len(paths) == MAX_RECENT and paths[0] == "photo5.jpg" and paths.count("photo5.jpg") == 1
    assert paths[1] == f"photo{MAX_RECENT + 2}.jpg"  # newest first
    assert _mnemonic_texts(menu)[-1].startswith("1&0  ")
    store.setValue("recent/entries", "{not json")
    assert load_recent(store) == []
    store.setValue("recent/entries", json.dumps([{"path": "x" * 10_000, "kind": "image"},
                                                 {"path": "/a.jpg", "kind": "virus"}, 7,
                                                 {"path": "/b.jpg", "kind": "image"}]))
    assert load_recent(store) == [RecentEntry(Path("/b.jpg"), "image")]
    save_recent(store, [])
    assert RecentMenu(store).entries == []


def _mnemonic_texts(menu) -> list[str]:
    return [a.text() for a in menu.actions() if a.data()]


# --- file dialogs remember their folder -----------------------------------------------------
class _FakeDialog:
    """Stands in for QFileDialog's static functions: records the start folder, answers."""

    def __init__(self) -> None:
        self.starts: list[str] = []
        self.answer = ""

    def getOpenFileNames(self, _parent, _title, start, _filters):
        self.starts.append(start)
        return ([self.answer] if self.answer else []), ""

    def getOpenFileName(self, _parent, _title, start, _filters):
        self.starts.append(start)
        return self.answer, ""

    def getExistingDirectory(self, _parent, _title, start):
        self.starts.append(start)
        return self.answer

    def getSaveFileName(self, _parent, _title, start, _filters):
        self.starts.append(start)
        return self.answer, ""


def test_file_dialogs_start_where_the_last_choice_was(qtbot, window, sample_images, model_dir,
                                                      tmp_path, monkeypatch) -> None:
    dialog = _FakeDialog()
    monkeypatch.setattr(file_dialogs, "QFileDialog", dialog)
    photos = _album(tmp_path, sample_images, 1, "photos")
    photo = next(photos.iterdir())

    window.choose_images()  # cancelled: nothing opens, nothing is remembered
    assert dialog.starts == [file_dialogs.first_folder("images")]  # Pictures or home
    assert window.dialog_folders.start("images") == file_dialogs.first_folder("images")
    dialog.answer = str(photo)
    window.choose_images()
    _wait_result(qtbot, window, photo)
    window.choose_images()
    assert dialog.starts[-1] == str(photos)

    dialog.answer = ""
    window.models.choose_model()  # a kind used for the first time starts at the last folder
    assert dialog.starts[-1] == str(photos)
    models = tmp_path / "models"
    models.mkdir()
    dialog.answer = str(Path(shutil.copy(model_dir / "squeezenet1.1.onnx", models / "m.onnx")))
    window.models.choose_model()
    window.models.choose_model()
    assert dialog.starts[-1] == str(models)
    dialog.answer = ""
    window.choose_images()  # each kind keeps its own
    assert dialog.starts[-1] == str(photos)

    results = window.results.view  # Sort into Folders… and Export remember theirs too
    results.show_summaries = False
    sorted_root = tmp_path / "sorted"
    sorted_root.mkdir()
    dialog.answer = str(sorted_root)
    results.choose_sort_folder()
    results.choose_sort_folder()
    assert dialog.starts[-1] == str(sorted_root)
    dialog.answer = ""
    results.choose_export("csv")
    assert dialog.starts[-1] == str(sorted_root / "results.csv")

    again = DialogFolders(window.store)  # kept in the settings
    assert again.start("images") == str(photos) and again.start("model") == str(models)
    qtbot.waitUntil(lambda: window.session.loaded.path.name == "m.onnx", timeout=WAIT_MS)


def test_a_dialog_answer_remembers_its_folder_in_one_place(tmp_path) -> None:
    folders = DialogFolders()  # for this run only
    assert folders.chosen("images", "") is None  # Cancel: nothing remembered
    assert folders.start("images") == file_dialogs.first_folder("images")
    photo = tmp_path / "photos" / "tench.jpg"
    assert folders.chosen("images", str(photo)) == photo
    assert folders.start("images") == str(photo.parent)
    assert folders.chosen("sort", str(tmp_path / "sorted"), is_folder=True) == tmp_path / "sorted"
    assert folders.start("sort") == str(tmp_path / "sorted")  # a folder dialog: the folder itself
    assert folders.start("model") == str(tmp_path / "sorted")  # unused kinds: the last one


# --- the window title -----------------------------------------------------------------------
def test_title_names_the_file_not_its_path(qtbot, window, sample_images, tmp_path,
                                           video) -> None:
    photo = sample_images[4]
    _drop(window, photo)
    _wait_result(qtbot, window, photo)
    assert window.windowTitle() == f"{photo.name} — {APP_NAME}"
    assert str(photo.parent) not in window.windowTitle()

    album = _album(tmp_path, sample_images, 3)
    _drop(window, album)
    qtbot.waitUntil(lambda: window.results.showing_results, timeout=WAIT_MS)
    assert window.windowTitle() == f"album (3 images) — {APP_NAME}"
    first = sorted(album.iterdir())[0]
    assert window.source_label.text() == "Source: album (3 images)"
    qtbot.keyClick(window.results.view.current_view, Qt.Key.Key_Escape)
    _wait_result(qtbot, window, first)  # Back to Picture opens the first readable row
    assert window.windowTitle() == f"{first.name} (1 / 3 in album) — {APP_NAME}"
    assert window.source_label.text() == f"Source: {first.name}"

    window.session.open_live(FakeCamera(video))
    qtbot.waitUntil(lambda: window.windowTitle() == f"Fake camera 99 — {APP_NAME}",
                    timeout=WAIT_MS)
    assert window_title("") == APP_NAME


# --- the status bar at 640×400 --------------------------------------------------------------
def test_status_bar_elides_cleanly_at_640_by_400(qtbot, window, sample_images, model_dir,
                                                 tmp_path) -> None:
    import onnx

    long_name = "squeezenet1.1-fine-tuned-on-forty-thousand-holiday-photos-of-lakes-" * 2
    model = onnx.load(str(model_dir / "squeezenet1.1.onnx"))
    for entry in model.metadata_props:
        if entry.key == "model_name":
            entry.value = long_name
    onnx.save(model, str(tmp_path / "long.onnx"))
    window.models.load_model(str(tmp_path / "long.onnx"))
    shown_name = display_name(tmp_path / "long.onnx", {"model_name": long_name})  # 80 characters
    qtbot.waitUntil(lambda: window.model_label.text() == f"Model: {shown_name}",
                    timeout=WAIT_MS)
    photo = tmp_path / ("holiday-photo-of-a-tench-caught-on-the-lake-" * 3 + "final.JPEG")
    shutil.copy(sample_images[0], photo)
    _drop(window, photo)
    _wait_result(qtbot, window, photo)
    window.show_status("Saved " + str(tmp_path / ("a-long-folder-name/" * 6)) + "x.png")

    assert window.minimumSizeHint().width() <= 640 and window.minimumSizeHint().height() <= 400
    window.resize(640, 400)
    qtbot.waitUntil(lambda: window.width() == 640 and window.height() == 400, timeout=WAIT_MS)
    QApplication.processEvents()
    labels = [w for w in window.statusBar().findChildren(QLabel) if w.isVisible()]
    assert {window.model_label, window.source_label, window.message_label} <= set(labels)
    for label in labels:
        assert isinstance(label, ElidedLabel), label.accessibleName()
        shown, room = label.shown_text(), label.contentsRect().width()
        assert label.fontMetrics().horizontalAdvance(shown) <= room, (label.text(), room)
        assert label.geometry().right() <= window.statusBar().width()
        if shown != label.text():
            assert shown.endswith("…") or "…" in shown  # elided, not cut mid-letter
            assert label.toolTip().startswith(label.text())  # the whole text is a hover away
    assert window.source_label.shown_text() != window.source_label.text()
    assert window.source_label.shown_text().endswith(".JPEG")  # the middle gives way
    assert window.source_label.text() == f"Source: {photo.name}"


# --- snapshots of videos carry the time in the video ----------------------------------------
def test_snapshot_of_a_video_records_its_time_and_latency(qtbot, window, video) -> None:
    window.opener.open_video(video)
    qtbot.waitUntil(lambda: window.view.frame is not None and window.view.result is not None
                    and (window.view.frame.position_s or 0) > 0.3, timeout=WAIT_MS)
    assert window.recent_menu.entries[0] == RecentEntry(video, "video")
    qtbot.keyClick(window.view, Qt.Key.Key_Space)  # pause, then Ctrl+S
    qtbot.waitUntil(lambda: window.view.badge == "Paused", timeout=WAIT_MS)
    qtbot.wait(100)  # a frame already on its way may still land
    frame = window.view.frame
    qtbot.keyClick(window.view, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    png = sorted(window.snapshot_dir.glob("*.png"))[-1]
    record = json.loads(png.with_suffix(".json").read_text())
    assert record["video_timestamp_s"] == round(frame.position_s, 3) > 0.3
    assert record["latency_ms"] > 0 and record["source"] == str(video)

    window.session.open_live(FakeCamera(video))  # a camera has no time in a file
    qtbot.waitUntil(lambda: window.view.frame is not None
                    and window.view.frame.source == "camera:99", timeout=WAIT_MS)
    assert window.view.frame.position_s is None
    record = json.loads(window.snapshot().with_suffix(".json").read_text())
    assert record["video_timestamp_s"] is None


# --- list keys and Tab ----------------------------------------------------------------------
def _links(folder: Path, photos: list[Path], count: int) -> Path:
    folder.mkdir()
    for number in range(count):
        (folder / f"{number:03d}_{photos[number % 5].name}").symlink_to(photos[number % 5])
    return folder


def test_home_end_page_keys_move_in_the_results_lists(qtbot, window, sample_images,
                                                      tmp_path) -> None:
    _drop(window, _links(tmp_path / "many", sample_images, 60))
    qtbot.waitUntil(lambda: window.results.showing_results, timeout=WAIT_MS)
    results = window.results.view
    last = results.proxy.rowCount() - 1
    assert last == 59
    for page in (0, 1):  # the table, then the thumbnail grid
        results.show_page(page)
        view = results.current_view
        view.setFocus()
        assert QApplication.focusWidget() is view
        view.setCurrentIndex(results.proxy.index(0, 0))
        qtbot.keyClick(view, Qt.Key.Key_End)
        assert view.currentIndex().row() == last
        qtbot.keyClick(view, Qt.Key.Key_Home)
        assert view.currentIndex().row() == 0
        qtbot.keyClick(view, Qt.Key.Key_PageDown)
        down = view.currentIndex().row()
        assert 0 < down < last
        qtbot.keyClick(view, Qt.Key.Key_PageUp)
        assert view.currentIndex().row() < down
        qtbot.keyClick(view, Qt.Key.Key_Right)
        # the window's ← → Home End (browse pictures) never took a key from the list
        assert window.opener.images.index == 0 and window.results.showing_results


def test_o_hides_the_overlay_and_tab_moves_the_focus(qtbot, window, sample_images,
                                                     tmp_path) -> None:
    shown = window.view.view_options.overlay_visible
    window.view.setFocus()
    qtbot.keyClick(window.view, Qt.Key.Key_O)
    assert window.view.view_options.overlay_visible is not shown
    qtbot.keyClick(window.view, Qt.Key.Key_O)
    assert window.view.view_options.overlay_visible is shown

    _drop(window, _album(tmp_path, sample_images, 3))
    qtbot.waitUntil(lambda: window.results.showing_results, timeout=WAIT_MS)
    results = window.results.view
    results.filter_edit.setFocus()
    assert QApplication.focusWidget() is results.filter_edit
    qtbot.keyClick(results.filter_edit, Qt.Key.Key_Tab)  # the focus moves on, as everywhere
    assert QApplication.focusWidget() is results.confidence_spin
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Backtab)
    assert QApplication.focusWidget() is results.filter_edit
    results.table.setFocus()  # the table is left by Tab, not walked cell by cell
    qtbot.keyClick(results.table, Qt.Key.Key_Tab)
    assert QApplication.focusWidget() is not results.table
    assert window.view.view_options.overlay_visible is shown

    window.show_shortcuts()  # and in a dialog: from its Close button on to its table
    dialog = window.shortcuts_dialog
    qtbot.waitUntil(dialog.isVisible, timeout=WAIT_MS)
    dialog.activateWindow()
    close = dialog.findChild(QDialogButtonBox).button(QDialogButtonBox.StandardButton.Close)
    close.setFocus()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is close, timeout=WAIT_MS)
    qtbot.keyClick(close, Qt.Key.Key_Tab)
    assert QApplication.focusWidget() is dialog.findChild(QTableWidget)
    assert window.view.view_options.overlay_visible is shown
    dialog.close()


# --- the results table at 640×400, and browsing what it shows --------------------------------
def _classified_album(qtbot, window: MainWindow, tmp_path: Path, sample_images: list[Path],
                      count: int):
    """Drop an album of `count` photos and wait until the results view has classified them."""
    _drop(window, _album(tmp_path, sample_images, count))
    qtbot.waitUntil(lambda: window.results.showing_results, timeout=WAIT_MS)
    results = window.results.view
    qtbot.waitUntil(lambda: results.model.done == count, timeout=WAIT_MS)
    return results


def test_results_table_keeps_the_confidence_whole_at_640_by_400(qtbot, window, sample_images,
                                                               tmp_path) -> None:
    from squeezeapp.ui.results.table_model import Column

    results = _classified_album(qtbot, window, tmp_path, sample_images, 3)
    results.table_button.click()
    window.resize(640, 400)
    qtbot.waitUntil(lambda: window.width() == 640, timeout=WAIT_MS)
    QApplication.processEvents()
    table, header = results.table, results.table.horizontalHeader()
    confidence = Column.CONFIDENCE
    room = header.sectionSize(confidence)
    widest = max(table.fontMetrics().horizontalAdvance(str(results.proxy.index(row, confidence)
                                                           .data()))
                 for row in range(results.proxy.rowCount()))
    assert widest + 8 <= room  # "98.8 %" whole, not "98.8" clipped
    right = header.sectionViewportPosition(confidence) + room
    assert right <= table.viewport().width()  # and on screen, not scrolled off to the right
    # the file name gave way instead: no column runs past the view (and, with no error in the
    # batch, the Error column takes no room)
    assert table.isColumnHidden(Column.ERROR)
    assert header.length() <= table.viewport().width()


def test_arrows_after_enter_walk_the_rows_as_sorted_and_filtered(qtbot, window, sample_images,
                                                                 tmp_path) -> None:
    from squeezeapp.ui.results.table_model import Column

    results = _classified_album(qtbot, window, tmp_path, sample_images, 6)
    results.table_button.click()
    results.table.sortByColumn(Column.CONFIDENCE, Qt.SortOrder.AscendingOrder)
    shown = results.shown_paths()
    assert shown != sorted(shown)  # the sort really changed the order (else this proves nothing)
    results.table.setCurrentIndex(results.proxy.index(1, 0))
    qtbot.keyClick(results.table, Qt.Key.Key_Return)
    _wait_result(qtbot, window, shown[1])
    qtbot.keyClick(window.view, Qt.Key.Key_Right)
    _wait_result(qtbot, window, shown[2])  # the next row on screen, not the next file by name
    assert window.view.badge == "3 / 6"

    qtbot.keyClick(window.view, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: window.results.showing_results, timeout=WAIT_MS)
    results.filter_edit.setText(shown[4].stem.split("_", 1)[1])  # one file matches
    qtbot.waitUntil(lambda: results.proxy.rowCount() == 1, timeout=WAIT_MS)
    results.table.setCurrentIndex(results.proxy.index(0, 0))
    qtbot.keyClick(results.table, Qt.Key.Key_Return)
    _wait_result(qtbot, window, shown[4])
    assert window.view.badge == ""  # one picture: nothing to browse outside the filter


def test_a_filter_that_hides_everything_says_so_above_the_list(qtbot, window, sample_images,
                                                               tmp_path) -> None:
    results = _classified_album(qtbot, window, tmp_path, sample_images, 3)
    assert not results.no_match.isVisible()
    results.filter_edit.setText("no such label anywhere")
    qtbot.waitUntil(results.no_match.isVisible, timeout=WAIT_MS)
    assert "None of the 3 results matches “no such label anywhere”" in \
        results.no_match_label.text()
    results.confidence_spin.setValue(50)
    assert "≥ 50 %" in results.no_match_label.text()
    clear = next(b for b in results.no_match.findChildren(QPushButton)
                 if b.text() == "Clear Filter")
    qtbot.mouseClick(clear, Qt.MouseButton.LeftButton)
    assert results.proxy.rowCount() == 3 and not results.no_match.isVisible()
    assert results.filter_edit.text() == "" and results.confidence_spin.value() == 0


# --- a frozen live frame is judged on its own -------------------------------------------------
def test_a_paused_or_stopped_frame_shows_its_own_predictions(qtbot, window, video,
                                                             model_dir) -> None:
    """Smoothing averages the scenes before: once the frame stays on screen it is classified
    alone, as a still, so its top-5 are about the picture the user is looking at."""
    window.opener.open_video(video)
    qtbot.waitUntil(lambda: window.view.result is not None and window.view.result.smoothed
                    and (window.view.frame.position_s or 0) > 0.6, timeout=WAIT_MS)
    qtbot.keyClick(window.view, Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: window.view.badge == "Paused", timeout=WAIT_MS)

    def alone() -> bool:
        result, frame = window.view.result, window.view.frame
        return result is not None and not result.smoothed and result.frame_id == frame.id

    qtbot.waitUntil(alone, timeout=WAIT_MS)
    from squeezeapp.core.inference.classifier import Classifier

    assert window.session.loaded.name == "squeezenet1.1"
    alone_here = Classifier.load(model_dir / "squeezenet1.1.onnx")
    expected = alone_here.classify(window.view.frame.image, top_k=5)
    assert [p.index for p in window.view.result.predictions] == \
        [p.index for p in expected.predictions]

    qtbot.keyClick(window.view, Qt.Key.Key_Space)  # playing again: smoothed again
    qtbot.waitUntil(lambda: window.view.result.smoothed, timeout=WAIT_MS)
    window.session.stop()
    qtbot.waitUntil(alone, timeout=WAIT_MS)
    assert window.view.badge == "Stopped"
