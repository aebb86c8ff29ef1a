"""The results view says what happened: the folder's own count, an export or a sort confirmed
with the way to see it, a cancelled batch's rows "not classified" and a Resume, thumbnails
first, Back to Picture only with a picture, the surest results first (issue #23)."""

from __future__ import annotations

import shutil
from pathlib import Path

from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QDesktopServices

from squeezeapp import APP_NAME
from squeezeapp.ui.results.table_model import Column
from tests import ui_helpers
from tests.ui_helpers import drop_on, file_mime

WAIT_MS = 30_000
settings_file, window = ui_helpers.settings_file, ui_helpers.window  # the shared fixtures


def _folder(tmp_path: Path, name: str, photos: list[Path]) -> Path:
    folder = tmp_path / name
    folder.mkdir()
    for photo in photos:
        shutil.copy(photo, folder / photo.name)
    return folder


def _open_folder(qtbot, window, folder: Path, count: int) -> None:
    drop_on(window, file_mime(folder))
    view = window.results.view
    qtbot.waitUntil(lambda: window.results.showing_results and view.model.total == count
                    and view.last_summary is not None, timeout=WAIT_MS)


def test_a_folder_over_another_shows_its_own_count(qtbot, window, sample_images,
                                                   tmp_path) -> None:
    _open_folder(qtbot, window, _folder(tmp_path, "first", sample_images[:5]), 5)
    assert window.windowTitle() == f"first (5 images) — {APP_NAME}"
    _open_folder(qtbot, window, _folder(tmp_path, "second", sample_images[5:8]), 3)
    assert window.windowTitle() == f"second (3 images) — {APP_NAME}"
    assert window.source_label.text() == "Source: second (3 images)"


def test_export_and_sort_say_what_they_did(qtbot, window, sample_images, tmp_path,
                                           monkeypatch) -> None:
    _open_folder(qtbot, window, _folder(tmp_path, "album", sample_images[:3]), 3)
    view = window.results.view
    view.show_summaries = False
    assert not view.notice.isVisible()
    out = tmp_path / "out"
    out.mkdir()
    with qtbot.waitSignal(view.exported, timeout=WAIT_MS):
        view.export(out / "results.csv", "csv")
    assert view.notice.isVisible()
    assert view.notice_label.text() == "Exported 3 results to results.csv"
    opened: list = []
    monkeypatch.setattr(QDesktopServices, "openUrl", lambda url: opened.append(url) or True)
    qtbot.mouseClick(view.show_folder_button, Qt.MouseButton.LeftButton)
    assert [url.toLocalFile() for url in opened] == [str(out)]

    with qtbot.waitSignal(view.sortFinished, timeout=WAIT_MS):
        view.sort_into_folders(tmp_path / "sorted")
    assert view.notice_label.text().startswith("Copied 3 images into ")
    assert view.notice_label.text().endswith(" in sorted")
    assert view.show_folder_button.isVisible()


def test_cancel_leaves_rows_not_classified_and_resume_goes_on(qtbot, window, sample_dir) -> None:
    view = window.results.view
    drop_on(window, file_mime(sample_dir))
    qtbot.waitUntil(lambda: view.model.done >= 1, timeout=WAIT_MS)
    qtbot.mouseClick(view.cancel_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: view.last_summary is not None, timeout=WAIT_MS)
    done = view.model.done
    assert 0 < done < 100, "the batch finished before Cancel: make it longer"
    labels = [view.model.index(row, Column.LABEL).data() for row in range(100)]
    assert labels.count("not classified") == 100 - done and "…" not in labels
    assert view.cancel_button.text() == "Resume" and view.cancel_button.isEnabled()
    qtbot.mouseClick(view.cancel_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: view.last_summary is not None and view.model.done == 100,
                    timeout=WAIT_MS)
    assert f"{done:,} remembered" in view.status_label.text()
    assert view.cancel_button.text() == "Cancel" and not view.cancel_button.isEnabled()


def test_results_open_as_thumbnails_and_back_only_with_a_picture(qtbot, window, sample_images,
                                                                  tmp_path) -> None:
    _open_folder(qtbot, window, _folder(tmp_path, "album", sample_images[:3]), 3)
    view = window.results.view
    assert view.current_view is view.grid and view.grid_button.isChecked()
    assert not view.back_button.isVisible()  # no picture yet to go back to
    qtbot.keyClick(view.current_view, Qt.Key.Key_Return)  # opens the current one
    qtbot.waitUntil(lambda: window.view.frame is not None, timeout=WAIT_MS)
    window.results.show_results()
    assert view.back_button.isVisible() and view.back_button.text() == "Back to Picture"


def test_first_click_on_confidence_sorts_the_surest_first(qtbot, window, sample_images,
                                                          tmp_path) -> None:
    _open_folder(qtbot, window, _folder(tmp_path, "album", sample_images[:6]), 6)
    view = window.results.view
    qtbot.mouseClick(view.table_button, Qt.MouseButton.LeftButton)
    header = view.table.horizontalHeader()
    x = header.sectionViewportPosition(Column.CONFIDENCE) + header.sectionSize(
        Column.CONFIDENCE) // 2
    qtbot.mouseClick(header.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(x, 5))
    shown = [view.proxy.index(row, Column.CONFIDENCE).data() for row in range(6)]
    values = [float(text.rstrip(" %").replace("<", "")) for text in shown]
    assert values == sorted(values, reverse=True), shown
