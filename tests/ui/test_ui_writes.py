"""What the window writes goes through core.common.files: a snapshot never through a link
planted under its name, and a failure names the user's file in words, not a temporary file."""

from __future__ import annotations

import sys

import numpy as np
import pytest

from squeezeapp.core.common.files import PART_SUFFIX, describe_os_error
from squeezeapp.ui.common.view_options import ViewOptions
from squeezeapp.ui.picture import snapshot
from squeezeapp.ui.picture.snapshot import save_frame_snapshot
from tests.mounts import small_tmpfs

FRAME = np.full((48, 64, 3), 90, np.uint8)


@pytest.mark.skipif(sys.platform == "win32", reason="symbolic links need privileges")
def test_a_link_planted_under_the_snapshots_name_is_not_followed(qtbot, tmp_path, monkeypatch):
    monkeypatch.setattr(snapshot.time, "strftime", lambda fmt: "fixed")
    victim = tmp_path / "elsewhere.png"  # a dangling link: writing through it creates this
    folder = tmp_path / "snaps"
    folder.mkdir()
    (folder / "fixed.png").symlink_to(victim)
    png = save_frame_snapshot(folder, FRAME, "photo.jpg", None, ViewOptions())
    assert not victim.exists()
    assert png.name == "fixed-2.png" and png.read_bytes()[:4] == b"\x89PNG"
    assert png.with_suffix(".json").is_file()
    assert not list(folder.glob(f".*{PART_SUFFIX}"))


def test_a_read_only_folder_names_the_snapshot(qtbot, tmp_path, monkeypatch):
    monkeypatch.setattr(snapshot.time, "strftime", lambda fmt: "fixed")
    with small_tmpfs(tmp_path / "ro", read_only=True) as folder, \
            pytest.raises(OSError) as caught:
        save_frame_snapshot(folder, FRAME, "photo.jpg", None, ViewOptions())
    message = describe_os_error(caught.value)
    assert message == f"{folder / 'fixed.png'}: the folder is on a read-only file system"


def test_export_to_a_read_only_folder_says_why_in_words(qtbot, tmp_path) -> None:
    from squeezeapp.core.batch.result_cache import ResultCache
    from squeezeapp.ui.results.view import ResultsView

    view = ResultsView(ResultCache())
    qtbot.addWidget(view)
    with small_tmpfs(tmp_path / "ro", read_only=True) as folder, \
            qtbot.waitSignal(view.errorShown, timeout=10_000) as shown:
        view.export(folder / "results.csv", "csv")
    message = shown.args[0]
    assert message == (f"Export failed: {folder / 'results.csv'}: the folder is on a read-only "
                       "file system"), message
    view.shutdown()
