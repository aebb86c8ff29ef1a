"""XMP sidecars as photo managers read them: checked with exiftool, never touching a photo."""

from __future__ import annotations

import json
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from squeezeapp.core.batch import xmp
from squeezeapp.core.batch.xmp import Outcome, SidecarNaming, remove_tags, write_tags
from tests.corpus import permissions_bind

EXIFTOOL = shutil.which("exiftool")
pytestmark = pytest.mark.skipif(EXIFTOOL is None, reason="exiftool (libimage-exiftool-perl) "
                                "is installed by make test")
OTHER_TAGS = ["XMP:Rating", "XMP:Title", "XMP:GPSLatitude", "XMP:GPSLongitude",
              "XMP:RegionPersonDisplayName", "XMP:Subject"]


def _exiftool(*args: str) -> subprocess.CompletedProcess[str]:
    assert EXIFTOOL is not None
    return subprocess.run([EXIFTOOL, *args], capture_output=True, text=True, check=False,
                          timeout=120)


def _tags(path: Path, *names: str) -> dict:
    result = _exiftool("-j", "-struct", *(f"-{name}" for name in names), str(path))
    assert result.returncode == 0, result.stderr
    record = json.loads(result.stdout)[0]
    record.pop("SourceFile")
    return record


def _photo(folder: Path, name: str = "IMG_0001.jpg") -> Path:
    photo = folder / name
    photo.write_bytes(b"\xff\xd8\xff\xd9 not decoded: the photo is never opened")
    return photo


def _tagged_by_a_person(photo: Path) -> Path:
    """A sidecar as a photo manager leaves it: rating, title, GPS, a person, a keyword."""
    sidecar = photo.with_name(photo.name + ".xmp")
    result = _exiftool("-q", "-o", str(sidecar), "-XMP:Rating=4", "-XMP:Title=At the lake",
                       "-XMP:GPSLatitude=48.85", "-XMP:GPSLongitude=2.35",
                       "-XMP-MP:RegionPersonDisplayName=Ann", "-XMP:Subject=holiday",
                       "-XMP:Subject=tench", str(photo))
    assert result.returncode == 0, result.stderr
    return sidecar


def test_keywords_are_read_back_by_exiftool(tmp_path: Path) -> None:
    photo = _photo(tmp_path)
    before = photo.read_bytes()
    result = write_tags(photo, ["pool table", "tench"], "squeezenet1.1")
    assert result.outcome is Outcome.WRITTEN and result.sidecar == tmp_path / "IMG_0001.jpg.xmp"
    tags = _tags(result.sidecar, "XMP:Subject", "XMP:HierarchicalSubject", "XMP-squeezeapp:all")
    assert tags["Subject"] == ["pool table", "tench"]
    assert tags["HierarchicalSubject"] == ["squeezeapp|pool table", "squeezeapp|tench"]
    assert tags["Model"] == "squeezenet1.1" and tags["Date"]
    assert photo.read_bytes() == before
    # a sidecar this app made, holding nothing else, goes again
    assert remove_tags(photo).outcome is Outcome.REMOVED
    assert not result.sidecar.exists() and photo.read_bytes() == before


def test_an_existing_sidecar_is_merged_and_remove_restores_it(tmp_path: Path) -> None:
    photo = _photo(tmp_path)
    sidecar = _tagged_by_a_person(photo)
    original = sidecar.read_bytes()
    before = _tags(sidecar, *OTHER_TAGS)
    assert write_tags(photo, ["tench", "lakeside"], "squeezenet1.1").outcome is Outcome.WRITTEN
    after = _tags(sidecar, *OTHER_TAGS)
    assert after["Subject"] == ["holiday", "tench", "lakeside"]  # the user's "tench" stays theirs
    assert {k: v for k, v in after.items() if k != "Subject"} == {
        k: v for k, v in before.items() if k != "Subject"}
    assert (tmp_path / "IMG_0001.jpg.xmp.squeezeapp-backup").read_bytes() == original

    # running again changes nothing, not a byte
    written = sidecar.read_bytes()
    assert write_tags(photo, ["tench", "lakeside"], "squeezenet1.1").outcome is Outcome.UNCHANGED
    assert sidecar.read_bytes() == written

    # another model's labels replace ours, never the user's
    write_tags(photo, ["canoe"], "other-model")
    assert _tags(sidecar, "XMP:Subject")["Subject"] == ["holiday", "tench", "canoe"]

    assert remove_tags(photo).outcome is Outcome.REMOVED
    assert _tags(sidecar, *OTHER_TAGS) == before
    assert "squeezeapp" not in sidecar.read_text()
    assert remove_tags(photo).outcome is Outcome.UNCHANGED
    # the backup is the first state, never replaced
    assert (tmp_path / "IMG_0001.jpg.xmp.squeezeapp-backup").read_bytes() == original


def test_any_namespace_and_prefix_survives(tmp_path: Path) -> None:
    """A tool's own namespace, even under a prefix ElementTree keeps for itself (ns1)."""
    photo = _photo(tmp_path)
    sidecar = tmp_path / "IMG_0001.jpg.xmp"
    sidecar.write_text(
        "<x:xmpmeta xmlns:x='adobe:ns:meta/'><rdf:RDF "
        "xmlns:rdf='http://www.w3.org/1999/02/22-rdf-syntax-ns#'><rdf:Description rdf:about='' "
        "xmlns:ns1='http://ns.example.com/tool/' xmlns:xmp='http://ns.adobe.com/xap/1.0/' "
        "ns1:Flag='picked' xmp:Rating='3'/></rdf:RDF></x:xmpmeta>")
    assert write_tags(photo, ["tench"], "squeezenet1.1").outcome is Outcome.WRITTEN
    text = sidecar.read_text()
    assert "http://ns.example.com/tool/" in text and "picked" in text
    assert _tags(sidecar, "XMP:Rating", "XMP:Subject") in (
        {"Rating": 3, "Subject": "tench"}, {"Rating": 3, "Subject": ["tench"]})


def test_sidecar_naming_for_lightroom(tmp_path: Path) -> None:
    photo = _photo(tmp_path, "DSC_0001.NEF")
    result = write_tags(photo, ["tench"], "squeezenet1.1", naming=SidecarNaming.STEM)
    assert result.sidecar == tmp_path / "DSC_0001.xmp"
    assert _tags(result.sidecar, "XMP:Subject")["Subject"] in ("tench", ["tench"])


@pytest.mark.parametrize("content", [
    b"<x:xmpmeta xmlns:x='adobe:ns:meta/'><rdf:RDF",  # truncated
    b"this is not xml",
    # entity expansion ("billion laughs"): refused by defusedxml, never expanded
    b"<?xml version='1.0'?><!DOCTYPE x [<!ENTITY a 'aaaaaaaaaa'><!ENTITY b '&a;&a;&a;&a;'>]>"
    b"<x:xmpmeta xmlns:x='adobe:ns:meta/'>&b;</x:xmpmeta>",
])
def test_a_sidecar_that_is_not_xmp_is_left_untouched(tmp_path: Path, content: bytes) -> None:
    photo = _photo(tmp_path)
    sidecar = tmp_path / "IMG_0001.jpg.xmp"
    sidecar.write_bytes(content)
    result = write_tags(photo, ["tench"], "squeezenet1.1")
    assert result.outcome is Outcome.FAILED
    assert result.error is not None and str(sidecar) in result.error
    assert "left as is" in result.error
    assert sidecar.read_bytes() == content
    assert sorted(p.name for p in tmp_path.iterdir()) == ["IMG_0001.jpg", "IMG_0001.jpg.xmp"]


def test_a_sidecar_that_is_a_fifo_or_a_folder_is_refused_without_blocking(tmp_path: Path
                                                                         ) -> None:
    import os

    fifo_photo, folder_photo = _photo(tmp_path, "a.jpg"), _photo(tmp_path, "b.jpg")
    os.mkfifo(tmp_path / "a.jpg.xmp")
    (tmp_path / "b.jpg.xmp").mkdir()
    for photo in (fifo_photo, folder_photo):
        result = write_tags(photo, ["tench"], "squeezenet1.1")
        assert result.outcome is Outcome.FAILED
        assert "is not a regular file (left as is)" in (result.error or "")


def test_a_read_only_folder_fails_per_file_and_the_batch_goes_on(tmp_path: Path,
                                                                 monkeypatch) -> None:
    locked, open_folder = tmp_path / "locked", tmp_path / "open"
    locked.mkdir()
    open_folder.mkdir()
    photos = [_photo(locked), _photo(open_folder)]
    if permissions_bind(tmp_path):
        locked.chmod(0o555)
    else:  # as root, permissions do not bind: the file system's refusal is simulated
        real = xmp.write_atomic

        def refuse(target, data, **kwargs):
            if Path(target).parent == locked:
                raise PermissionError(13, "Permission denied", str(target))
            return real(target, data, **kwargs)

        monkeypatch.setattr(xmp, "write_atomic", refuse)
    try:
        results = [write_tags(photo, ["tench"], "squeezenet1.1") for photo in photos]
    finally:
        locked.chmod(0o755)
    assert results[0].outcome is Outcome.FAILED
    assert "permission denied" in (results[0].error or "")
    assert results[1].outcome is Outcome.WRITTEN
    assert xmp.describe(results) == "Wrote tags to 1 sidecar (1 failed)"


def _classification():
    from squeezeapp.core.inference.classifier import Classification, Prediction

    return Classification((Prediction(1, 0, "n01440764", "tench, Tinca tinca", 0.6),
                           Prediction(2, 736, "n03982430", "pool table, billiard table", 0.35),
                           Prediction(3, 1, "n01443537", "goldfish", 0.02)), 1.0,
                          "squeezenet1.1")


def test_a_raw_and_its_jpeg_sharing_a_sidecar_get_one_write(tmp_path: Path) -> None:
    """With photo.xmp naming IMG_1.CR2 and IMG_1.JPG share IMG_1.xmp: one write, both labels."""
    from squeezeapp.core.inference.classifier import Classification, Prediction

    raw, jpeg = _photo(tmp_path, "IMG_1.CR2"), _photo(tmp_path, "IMG_1.JPG")
    other = Classification((Prediction(1, 2, "n01484850", "great white shark", 0.8),), 1.0,
                           "squeezenet1.1")
    results = xmp.tag_results([(raw, _classification()), (jpeg, other)], xmp.TagRule(0.3, 1),
                              naming=SidecarNaming.STEM)
    assert [r.sidecar.name for r in results] == ["IMG_1.xmp"]
    assert _tags(tmp_path / "IMG_1.xmp", "XMP:Subject")["Subject"] == ["tench",
                                                                       "great white shark"]
    removed = xmp.untag_photos([raw, jpeg], naming=SidecarNaming.STEM)
    assert [r.outcome for r in removed] == [Outcome.REMOVED]


def test_tag_rule_threshold_and_top_k() -> None:
    assert xmp.TagRule(0.3, 1).labels(_classification()) == ["tench"]
    assert xmp.TagRule(0.3, 5).labels(_classification()) == ["tench", "pool table"]
    assert xmp.TagRule(0.7, 5).labels(_classification()) == []


def test_a_thousand_photos_are_tagged_in_under_five_seconds(tmp_path: Path) -> None:
    photos = [_photo(tmp_path, f"IMG_{number:04}.jpg") for number in range(1000)]
    for photo in photos[::10]:  # a tenth already has a person's sidecar
        _tagged_by_a_person(photo) if photo is photos[0] else shutil.copy(
            tmp_path / "IMG_0000.jpg.xmp", photo.with_name(photo.name + ".xmp"))
    started = time.perf_counter()
    results = xmp.tag_results([(photo, _classification()) for photo in photos],
                              xmp.TagRule(0.3, top_k=2))
    elapsed = time.perf_counter() - started
    print(f"1,000 sidecars in {elapsed:.2f} s")
    assert all(result.outcome is Outcome.WRITTEN for result in results)
    assert elapsed < 5.0
    listing = _exiftool("-q", "-T", "-XMP:Subject", "-ext", "xmp", str(tmp_path))
    lines = listing.stdout.splitlines()
    assert len(lines) == 1000 and all("tench" in line for line in lines)


def test_below_the_threshold_is_said_apart_never_up_to_date(tmp_path: Path) -> None:
    """A photo whose best guess is under the threshold gets no sidecar ("below 30 % not
    tagged"), and a stricter threshold later takes our keywords out and says so."""
    sure, unsure = _photo(tmp_path, "sure.jpg"), _photo(tmp_path, "unsure.jpg")
    from squeezeapp.core.inference.classifier import Classification, Prediction

    low = Classification((Prediction(1, 0, "n01440764", "tench, Tinca tinca", 0.18),), 1.0,
                         "squeezenet1.1")
    first = xmp.tag_results([(sure, _classification()), (unsure, low)], xmp.TagRule(0.3, 1))
    assert [r.outcome for r in first] == [Outcome.WRITTEN, Outcome.BELOW]
    assert not (tmp_path / "unsure.jpg.xmp").exists()
    assert xmp.describe(first, min_confidence=0.3) == (
        "Wrote tags to 1 sidecar; 1 below 30 % not tagged")
    stricter = xmp.tag_results([(sure, _classification()), (unsure, low)], xmp.TagRule(0.9, 1))
    assert [r.outcome for r in stricter] == [Outcome.CLEARED, Outcome.BELOW]
    assert not (tmp_path / "sure.jpg.xmp").exists()  # only we had written it: deleted
    assert xmp.describe(stricter, min_confidence=0.9) == (
        "Wrote tags to 0 sidecars; 1 below 90 % not tagged; removed squeezeapp's keywords "
        "from 1 now below 90 %")
