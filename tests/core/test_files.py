"""core.common.files: every write is atomic, exclusive and never follows a link; copies read
their source as the decoder does. Crashes, full disks and read-only folders are real where the
machine lets a test make them (a subprocess killed with SIGKILL, a small tmpfs), faked otherwise."""

from __future__ import annotations

import errno
import os
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

from squeezeapp.core.common import files
from squeezeapp.core.common.files import (
    PART_SUFFIX,
    SourceChangedError,
    atomic_writer,
    copy_file_atomic,
    describe_os_error,
    fit_name,
    remove_stale_parts,
    short_path,
    write_atomic,
)
from tests.mounts import small_tmpfs
from tests.processes import kill_after_lines

posix_only = pytest.mark.skipif(sys.platform == "win32", reason="POSIX special files")


def visible(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if not p.name.endswith(PART_SUFFIX))


def test_write_is_exclusive_and_numbers_the_new_file(tmp_path):
    target = tmp_path / "photo.png"
    target.write_bytes(b"the user's")
    written = write_atomic(target, b"ours")
    assert written == tmp_path / "photo (2).png"
    assert target.read_bytes() == b"the user's"
    assert written.read_bytes() == b"ours"
    assert write_atomic(target, b"again").name == "photo (3).png"


def test_overwrite_replaces_only_when_asked(tmp_path):
    target = tmp_path / "settings.json"
    write_atomic(target, "1")
    assert write_atomic(target, "2", overwrite=True) == target
    assert target.read_text() == "2"


@posix_only
def test_a_planted_symlink_is_never_followed(tmp_path):
    victim = tmp_path / "victim.txt"
    victim.write_bytes(b"precious")
    out = tmp_path / "out"
    out.mkdir()
    (out / "photo.heatmap.png").symlink_to(victim)
    written = write_atomic(out / "photo.heatmap.png", b"PNG")
    assert victim.read_bytes() == b"precious"
    assert written.name == "photo.heatmap (2).png"
    assert (out / "photo.heatmap.png").is_symlink()
    # overwrite=True replaces the link itself, never the file it points to
    write_atomic(out / "photo.heatmap.png", b"PNG", overwrite=True)
    assert victim.read_bytes() == b"precious"
    assert not (out / "photo.heatmap.png").is_symlink()


def test_a_users_dot_part_file_is_never_touched(tmp_path):
    mine = tmp_path / ".export.tsv.part"
    mine.write_bytes(b"the user's")
    write_atomic(tmp_path / "export.tsv", b"rows")
    assert mine.read_bytes() == b"the user's"
    assert files.temporary_name(tmp_path / "a") != files.temporary_name(tmp_path / "a")


def test_a_failed_write_leaves_nothing(tmp_path):
    with pytest.raises(RuntimeError), atomic_writer(tmp_path / "x.png") as pending:
        pending.stream.write(b"half")
        raise RuntimeError("encoder failed")
    assert list(tmp_path.iterdir()) == []


def test_full_disk_leaves_no_file_and_names_the_users_file(tmp_path):
    """ENOSPC on a real, small tmpfs (the copy cannot fit)."""
    with small_tmpfs(tmp_path / "small", "64k") as small:
        with pytest.raises(OSError) as caught:
            write_atomic(small / "photo.heatmap.png", os.urandom(1 << 20))
        assert caught.value.errno == errno.ENOSPC
        assert list(small.iterdir()) == []
        message = describe_os_error(caught.value)
        assert "photo.heatmap.png" in message and PART_SUFFIX not in message
        assert "disk is full" in message and "Errno" not in message


def test_full_disk_found_at_fsync_removes_the_temporary_file(tmp_path, monkeypatch):
    """A file system that only says ENOSPC when the data is flushed (delayed allocation)."""
    def full(_fd):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(files.os, "fsync", full)
    with pytest.raises(OSError) as caught:
        write_atomic(tmp_path / "photo.png", b"x" * 1000)
    assert caught.value.filename == str(tmp_path / "photo.png")
    assert list(tmp_path.iterdir()) == []


def test_read_only_folder_is_one_clear_line(tmp_path):
    with small_tmpfs(tmp_path / "ro", read_only=True) as folder, \
            pytest.raises(OSError) as caught:
        write_atomic(folder / "snapshot.png", b"x")
    message = describe_os_error(caught.value)
    assert message == f"{folder / 'snapshot.png'}: the folder is on a read-only file system"


def test_kill_mid_write_leaves_no_complete_looking_file(tmp_path):
    """SIGKILL while a large file is being written: only a temporary name remains, which the next
    run's clean-up removes."""
    target = tmp_path / "copy.jpg"
    script = textwrap.dedent(f"""
        import sys
        from squeezeapp.core.common.files import atomic_writer
        with atomic_writer({str(target)!r}) as pending:
            for _ in range(100000):
                pending.stream.write(b"x" * 65536)
                pending.stream.flush()
                print("writing", flush=True)
    """)
    kill_after_lines(script, 20)  # > 1 MB written
    assert not target.exists()
    assert visible(tmp_path) == []
    parts = list(tmp_path.glob(f".*{PART_SUFFIX}"))
    assert len(parts) == 1 and parts[0].stat().st_size > 1 << 20
    assert remove_stale_parts(tmp_path, max_age_s=3600) == 0  # could be a live writer's
    assert remove_stale_parts(tmp_path, max_age_s=0) == 1
    assert list(tmp_path.iterdir()) == []


def test_a_name_at_the_length_limit_is_shortened_keeping_its_extension(tmp_path):
    name = "é" * 124 + "ab.jpeg"  # 255 bytes in UTF-8
    assert len(name.encode()) == 255
    (tmp_path / name).write_bytes(b"the user's")
    written = write_atomic(tmp_path / name, b"ours")
    assert written.suffix == ".jpeg" and written.name.endswith(" (2).jpeg")
    assert len(written.name.encode()) <= 255
    assert (tmp_path / name).read_bytes() == b"the user's"
    longer = fit_name("x" * 300 + ".heatmap.png")
    assert longer.endswith(".png") and len(longer.encode()) == 255


def test_copy_keeps_bytes_and_time_and_never_overwrites(tmp_path):
    source = tmp_path / "photo.jpg"
    source.write_bytes(os.urandom(3 << 20))
    os.utime(source, (1_000_000_000, 1_000_000_000))
    out = tmp_path / "out"
    out.mkdir()
    (out / "photo.jpg").write_bytes(b"already here")
    copy = copy_file_atomic(source, out / "photo.jpg", expected_size=3 << 20)
    assert copy.name == "photo (2).jpg"
    assert copy.read_bytes() == source.read_bytes()
    assert copy.stat().st_mtime == 1_000_000_000
    assert (out / "photo.jpg").read_bytes() == b"already here"


@posix_only
def test_copy_refuses_a_fifo_without_blocking(tmp_path):
    fifo = tmp_path / "photo.jpg"
    os.mkfifo(fifo)
    outcome: list[BaseException] = []

    def copy() -> None:
        try:
            copy_file_atomic(fifo, tmp_path / "out.jpg")
        except BaseException as error:  # handed to the test thread
            outcome.append(error)

    worker = threading.Thread(target=copy, daemon=True)
    worker.start()
    worker.join(10)
    if worker.is_alive():  # unblock it before failing
        os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
        pytest.fail("copying a FIFO blocked")
    assert isinstance(outcome[0], SourceChangedError)
    assert "FIFO" in describe_os_error(outcome[0])
    assert not (tmp_path / "out.jpg").exists()


@posix_only
def test_copy_refuses_a_link_to_dev_zero_and_a_changed_size(tmp_path):
    link = tmp_path / "photo.jpg"
    link.symlink_to("/dev/zero")
    started = time.monotonic()
    with pytest.raises(SourceChangedError, match="character device"):
        copy_file_atomic(link, tmp_path / "out.jpg")
    assert time.monotonic() - started < 5
    real = tmp_path / "real.jpg"
    real.write_bytes(b"x" * 100)
    with pytest.raises(SourceChangedError, match="changed since"):
        copy_file_atomic(real, tmp_path / "out.jpg", expected_size=50)
    assert visible(tmp_path) == ["photo.jpg", "real.jpg"]
    assert list(tmp_path.glob(f".*{PART_SUFFIX}")) == []


def test_short_path_keeps_start_and_name():
    long = "/data/" + "nested/" * 700 + "photo.jpg"
    shown = short_path(long)
    assert len(shown) <= 120 and shown.endswith("photo.jpg") and shown.startswith("/data/")
    assert short_path("/a/b.jpg") == "/a/b.jpg"
