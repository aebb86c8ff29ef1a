"""Sort into Folders never leaves a truncated copy, never blocks on a special file and never writes
through a file or link where a label folder should be."""

from __future__ import annotations

import os
import sys
import textwrap
import threading
from dataclasses import replace
from pathlib import Path

import pytest

from squeezeapp.core.batch.label_folders import SortSummary, copy_into_label_folders
from squeezeapp.core.batch.pipeline import CHANGED_ON_DISK, FileResult, FileStamp
from squeezeapp.core.common.files import PART_SUFFIX
from squeezeapp.core.inference.classifier import Classification, Prediction
from tests.processes import kill_after_lines

posix_only = pytest.mark.skipif(sys.platform == "win32", reason="POSIX special files")


def classified(path: Path, label: str = "tabby, tabby cat") -> FileResult:
    prediction = Prediction(1, 281, "n02123045", label, 0.9)
    return FileResult(path, Classification((prediction,), 1.0, "test"))


def sort_in_thread(results: list[FileResult], destination: Path,
                   timeout_s: float = 20) -> SortSummary:
    """The sort, failing the test instead of hanging it."""
    box: list[SortSummary] = []
    worker = threading.Thread(target=lambda: box.append(
        copy_into_label_folders(results, destination)), daemon=True)
    worker.start()
    worker.join(timeout_s)
    assert not worker.is_alive(), "the sort blocked"
    return box[0]


def test_killed_mid_copy_leaves_no_file_named_like_the_photo(tmp_path):
    source = tmp_path / "big.jpg"
    source.write_bytes(os.urandom(8 << 20))
    destination = tmp_path / "sorted"
    script = textwrap.dedent(f"""
        from pathlib import Path
        from squeezeapp.core.common import files
        from tests.core.test_label_folders import classified
        from squeezeapp.core.batch.label_folders import copy_into_label_folders

        opened = files.open_regular_source
        class Slow:
            def __init__(self, stream): self.stream = stream
            def __enter__(self): return self
            def __exit__(self, *a): self.stream.close()
            def fileno(self): return self.stream.fileno()
            def read(self, n):
                print("read", flush=True)
                import time; time.sleep(0.01)
                return self.stream.read(min(n, 65536))
        def slow(path, expected_size=None):
            stream, size = opened(path, expected_size)
            return Slow(stream), size
        files.open_regular_source = slow
        copy_into_label_folders([classified(Path({str(source)!r}))], Path({str(destination)!r}))
    """)
    kill_after_lines(script, 30, cwd=Path(__file__).parents[2])  # ~2 MB of the 8 MB copied
    folder = destination / "tabby"
    assert not (folder / "big.jpg").exists()
    parts = list(folder.glob(f".*{PART_SUFFIX}"))
    assert len(parts) == 1
    os.utime(parts[0], (0, 0))  # as if left by a run a day ago: the next sort cleans it
    summary = copy_into_label_folders([classified(source)], destination)
    assert [copy.name for _, copy in summary.copied] == ["big.jpg"]
    assert (folder / "big.jpg").read_bytes() == source.read_bytes()
    assert sorted(p.name for p in folder.iterdir()) == ["big.jpg"]


@posix_only
def test_a_source_that_became_a_fifo_is_reported_without_blocking(tmp_path):
    fifo, photo = tmp_path / "was-a-photo.jpg", tmp_path / "photo.jpg"
    os.mkfifo(fifo)
    photo.write_bytes(b"jpeg bytes")
    summary = sort_in_thread([classified(fifo), classified(photo)], tmp_path / "out")
    assert [source for source, _ in summary.copied] == [photo]
    assert len(summary.failures) == 1 and "FIFO" in summary.failures[0][1]
    assert "was-a-photo.jpg" in summary.failures[0][1]
    assert sorted(p.name for p in (tmp_path / "out" / "tabby").iterdir()) == ["photo.jpg"]


@posix_only
def test_a_source_replaced_by_a_link_to_dev_zero_is_not_copied(tmp_path):
    link = tmp_path / "photo.jpg"
    link.symlink_to("/dev/zero")
    summary = sort_in_thread([classified(link)], tmp_path / "out")
    assert not summary.copied and "character device" in summary.failures[0][1]
    assert list((tmp_path / "out" / "tabby").iterdir()) == []


@posix_only
def test_a_file_or_link_where_a_label_folder_should_be(tmp_path):
    destination = tmp_path / "out"
    destination.mkdir()
    (destination / "tabby").write_bytes(b"the user's file")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (destination / "tiger").symlink_to(elsewhere)
    photo = tmp_path / "photo.jpg"
    photo.write_bytes(b"jpeg bytes")
    summary = copy_into_label_folders([classified(photo), classified(photo, "tiger")],
                                      destination)
    assert (destination / "tabby").read_bytes() == b"the user's file"
    assert list(elsewhere.iterdir()) == []
    assert (destination / "tabby (2)" / "photo.jpg").read_bytes() == b"jpeg bytes"
    assert (destination / "tiger (2)" / "photo.jpg").exists()
    assert summary.moved_folders == (("tabby", "tabby (2)"), ("tiger", "tiger (2)"))
    assert '"tabby" is a file, not a folder' in summary.describe()


def test_a_long_name_that_collides_is_shortened_keeping_its_extension(tmp_path):
    name = "x" * 250 + ".jpeg"
    photo = tmp_path / name
    photo.write_bytes(b"jpeg bytes")
    destination = tmp_path / "out"
    first = copy_into_label_folders([classified(photo)], destination)
    second = copy_into_label_folders([classified(photo)], destination)
    assert not first.failures and not second.failures
    copy = second.copied[0][1]
    assert copy.name.endswith(" (2).jpeg") and len(copy.name.encode()) <= 255
    assert second.renamed == 1


def test_a_file_changed_since_it_was_classified_is_not_sorted(tmp_path):
    """The label belongs to the file as it was classified: one written or replaced since is
    skipped, and the summary says why and what to do; unchanged files are copied."""
    photos = tmp_path / "photos"
    photos.mkdir()
    for name in ("kept.jpg", "rewritten.jpg", "touched.jpg", "gone.jpg"):
        (photos / name).write_bytes(b"\xff\xd8 a photo " + name.encode())
    results = [replace(classified(path), stamp=FileStamp.of(path))
               for path in sorted(photos.iterdir())]
    (photos / "rewritten.jpg").write_bytes(b"\xff\xd8 another picture, longer than before")
    touched = photos / "touched.jpg"
    os.utime(touched, ns=(touched.stat().st_atime_ns, touched.stat().st_mtime_ns + 10**9))
    (photos / "gone.jpg").unlink()
    summary = sort_in_thread(results, tmp_path / "sorted")
    assert [source.name for source, _ in summary.copied] == ["kept.jpg"]
    assert sorted(path.name for path, _ in summary.skipped) == \
        ["gone.jpg", "rewritten.jpg", "touched.jpg"]
    assert {why for _, why in summary.skipped} == {CHANGED_ON_DISK}
    assert "3 skipped: changed on disk since classified (classify them again to sort " \
        "them)." in summary.describe()
    assert [p.name for p in (tmp_path / "sorted" / "tabby").iterdir()] == ["kept.jpg"]
    unstamped = sort_in_thread([classified(photos / "rewritten.jpg")], tmp_path / "other")
    assert len(unstamped.copied) == 1  # no stamp (results from elsewhere): copied as before
