"""What the CLI writes (issue #19): `classify --heatmap DIR` never overwrites a file, never
follows a link planted under a heatmap's name and leaves no truncated PNG on a full disk;
`models quantize --output` onto an existing file refuses without --force."""

from __future__ import annotations

import sys

import pytest

from squeezeapp.core.common.files import PART_SUFFIX
from tests.conftest import run_cli
from tests.mounts import small_tmpfs


@pytest.mark.skipif(sys.platform == "win32", reason="symbolic links need privileges")
def test_heatmaps_never_overwrite_nor_follow_a_link(model_dir, sample_images, tmp_path):
    first, second = sample_images[:2]
    out = tmp_path / "maps"
    out.mkdir()
    (out / f"{first.stem}.heatmap.png").write_bytes(b"the user's picture")
    victim = tmp_path / "victim.txt"
    victim.write_bytes(b"precious")
    (out / f"{second.stem}.heatmap.png").symlink_to(victim)
    result = run_cli("classify", "--format", "jsonl", "--heatmap", str(out), str(first),
                     str(second))
    assert result.returncode == 0, result.stderr
    assert (out / f"{first.stem}.heatmap.png").read_bytes() == b"the user's picture"
    assert victim.read_bytes() == b"precious"
    assert (out / f"{second.stem}.heatmap.png").is_symlink()
    for photo in (first, second):
        written = out / f"{photo.stem}.heatmap (2).png"
        assert written.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert not list(out.glob(f".*{PART_SUFFIX}"))


def test_heatmaps_on_a_full_disk_leave_no_truncated_png(model_dir, sample_images, tmp_path):
    with small_tmpfs(tmp_path / "small", "96k") as out:
        result = run_cli("classify", "--format", "jsonl", "--heatmap", str(out),
                         *map(str, sample_images[:2]))
        left = sorted(p.name for p in out.iterdir())
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert "disk is full" in result.stderr and "Errno" not in result.stderr
    assert PART_SUFFIX not in result.stderr
    assert all(name.endswith(".heatmap.png") for name in left)
    assert len(left) < 2  # the photos' heatmaps are ~200 kB each: at most one could fit
    assert len(result.stdout.splitlines()) == 2  # every photo still classified


def test_quantize_output_onto_an_existing_file_refuses_without_force(model_dir, tmp_path):
    existing = tmp_path / "mine.onnx"
    existing.write_bytes(b"the user's model")
    result = run_cli("models", "quantize", "--calibrate", str(tmp_path), "--output",
                     str(existing))
    assert result.returncode == 2
    assert "exists" in result.stderr and "--force" in result.stderr
    assert "Traceback" not in result.stderr
    assert existing.read_bytes() == b"the user's model"


def test_quantize_into_a_read_only_folder_is_one_line(model_dir, sample_images, tmp_path):
    photos = tmp_path / "photos"
    photos.mkdir()
    for photo in sample_images[:10]:
        (photos / photo.name).symlink_to(photo)
    with small_tmpfs(tmp_path / "ro", read_only=True) as folder:
        result = run_cli("models", "quantize", "-m", str(model_dir / "squeezenet1.1.onnx"),
                         "--calibrate", str(photos), "--output", str(folder / "int8.onnx"))
    assert result.returncode == 2, result.stderr
    assert result.stderr.strip() == (f"squeezeapp: error: {folder / 'int8.onnx'}: the folder is "
                                     "on a read-only file system"), result.stderr
