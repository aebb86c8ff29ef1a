"""Ctrl+S writes through core.common.files: never through a link planted under the snapshot's
name, and a failure names the snapshot, not a temporary file."""

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
