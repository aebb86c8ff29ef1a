"""Nothing vanishes silently: what a folder holds besides pictures is counted and listed."""

from __future__ import annotations

from pathlib import Path

import cv2

from squeezeapp.core.imaging.decode import expand_image_paths
from squeezeapp.core.imaging.formats import LeftOutKind
from squeezeapp.core.imaging.scan import describe_left_out, left_out_summary, scan_images
from tests.images import gradient_bgr
from tests.photos import write_photo


def mixed_folder(folder: Path) -> Path:
    """The issue's folder: 5 JPEGs, a video, a text file, 2 HEIC, a broken JPEG; and a few
    things a real photo folder has (a sidecar, an .exr this build cannot read, a subfolder)."""
    folder.mkdir(parents=True, exist_ok=True)
    for number in range(5):
        cv2.imwrite(str(folder / f"IMG_{number:04}.jpg"), gradient_bgr(96, 128))
    write_photo(folder / "IMG_0100.HEIC", gradient_bgr(96, 128), orientation=6)
    write_photo(folder / "IMG_0101.heic", gradient_bgr(96, 128))
    (folder / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0" + bytes(20))
    (folder / "holiday.mp4").write_bytes(b"\0\0\0\x18ftypmp42")
    (folder / "notes.txt").write_text("to do")
    (folder / "IMG_0001.jpg.xmp").write_text("<x:xmpmeta xmlns:x='adobe:ns:meta/'/>")
    (folder / "render.exr").write_bytes(b"v/1\x01")
    (folder / "edits").mkdir()
    return folder


def test_a_folder_says_what_it_left_out_and_why(tmp_path: Path) -> None:
    scan = scan_images([mixed_folder(tmp_path / "photos")])
    names = [path.name for path in scan.images]
    assert names == ["broken.jpg", *(f"IMG_{n:04}.jpg" for n in range(5)), "IMG_0100.HEIC",
                     "IMG_0101.heic"]
    # IMG_0001.jpg.xmp is that photo's sidecar: part of it, not "left out"
    assert scan.summary() == ("4 items left out: 1 video, 1 text file, 1 unsupported format, "
                              "1 subfolder")
    reasons = {entry.path.name: entry.reason for entry in scan.left_out}
    assert "OpenEXR" in reasons["render.exr"]
    assert "Open Video" in reasons["holiday.mp4"]
    assert "--recursive" in reasons["edits"]
    assert describe_left_out(scan.left_out, scan.left_out_total).count("\n") == 3


def test_recursive_scan_counts_what_subfolders_leave_out(tmp_path: Path) -> None:
    folder = mixed_folder(tmp_path / "photos")
    (folder / "edits" / "clip.mov").write_bytes(b"x")
    scan = scan_images([folder], recursive=True)
    assert dict(scan.counts)[LeftOutKind.VIDEO] == 2
    assert LeftOutKind.SUBFOLDER not in dict(scan.counts)
    assert scan.summary().startswith("4 files left out")


def test_summary_wording() -> None:
    assert left_out_summary({}) == ""
    assert left_out_summary({LeftOutKind.VIDEO: 2, LeftOutKind.TEXT: 1,
                             LeftOutKind.UNSUPPORTED: 1}) == (
        "4 files left out: 2 videos, 1 text file, 1 unsupported format")


def test_expand_image_paths_is_the_scans_images(tmp_path: Path) -> None:
    folder = mixed_folder(tmp_path / "photos")
    assert list(expand_image_paths([folder])) == list(scan_images([folder]).images)


def test_a_sidecar_beside_its_photo_is_not_left_out_but_an_orphan_is(tmp_path: Path) -> None:
    """Write Tags' sidecars (either naming, and their backup) would otherwise nag as "left
    out" on every run; one whose photo is gone is still said."""
    folder = tmp_path / "photos"
    folder.mkdir()
    for name in ("a.jpg", "b.JPG"):
        cv2.imwrite(str(folder / name), gradient_bgr(32, 32))
    for name in ("a.jpg.xmp", "a.jpg.xmp.squeezeapp-backup", "b.xmp", "b.JPG.pp3",
                 "gone.jpg.xmp"):
        (folder / name).write_text("<x:xmpmeta xmlns:x='adobe:ns:meta/'/>")
    scan = scan_images([folder])
    assert [path.name for path in scan.images] == ["a.jpg", "b.JPG"]
    assert scan.summary() == "1 file left out: 1 sidecar file"
    assert [entry.path.name for entry in scan.left_out] == ["gone.jpg.xmp"]


def test_the_command_line_list_gives_command_line_advice(tmp_path: Path) -> None:
    scan = scan_images([mixed_folder(tmp_path / "photos")])
    window = describe_left_out(scan.left_out, scan.left_out_total)
    cli = describe_left_out(scan.left_out, scan.left_out_total, command_line=True)
    assert "File ▸ Open Video" in window
    assert "▸" not in cli and "squeezeapp gui VIDEO" in cli
    assert "holiday.mp4: a video" in cli and "edits: a subfolder (not searched: add " \
        "--recursive)" in cli


def test_is_sidecar_of_a_given_photo(tmp_path: Path) -> None:
    from squeezeapp.core.imaging.scan import is_sidecar_of

    photo = tmp_path / "IMG_1.CR2"
    assert is_sidecar_of(tmp_path / "IMG_1.xmp", [photo])
    assert is_sidecar_of(tmp_path / "img_1.cr2.xmp", [photo])
    assert not is_sidecar_of(tmp_path / "IMG_2.xmp", [photo])
    assert not is_sidecar_of(tmp_path / "other" / "IMG_1.xmp", [photo])  # another folder
    assert not is_sidecar_of(tmp_path / "IMG_1.txt", [photo])  # not a sidecar
