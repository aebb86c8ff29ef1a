"""`--recursive` walks folders iteratively, to a bounded depth, one report per folder it cannot
or will not search (issue #19: 1,500 nested folders raised RecursionError and gave no records)."""

from __future__ import annotations

from pathlib import Path

import pytest

from squeezeapp.core.common.errors import ImageReadError
from squeezeapp.core.imaging.decode import MAX_FOLDER_DEPTH, expand_image_paths, read_image


def _remove_nested(top: Path) -> None:
    """Deepest first, without recursion (shutil.rmtree recurses, and so pytest's clean-up)."""
    deepest = top
    while (deepest / "d").is_dir():
        deepest = deepest / "d"
    while deepest != top:
        for child in deepest.iterdir():
            child.unlink()
        deepest.rmdir()
        deepest = deepest.parent


def test_1500_nested_folders_give_records_not_a_recursion_error(tmp_path) -> None:
    try:
        _check_nested(tmp_path)
    finally:
        _remove_nested(tmp_path)


def _check_nested(tmp_path: Path) -> None:
    (tmp_path / "top.jpg").write_bytes(b"not really")
    folder = tmp_path
    for _ in range(1500):  # os.makedirs itself recurses
        folder = folder / "d"
        folder.mkdir()
    (folder / "bottom.jpg").write_bytes(b"too deep to be found")
    shallow = tmp_path / "d" / "d" / "near.png"
    shallow.write_bytes(b"found")
    found = list(expand_image_paths([tmp_path], recursive=True))
    assert tmp_path / "top.jpg" in found and shallow in found
    too_deep = [p for p in found if p.suffix not in {".jpg", ".png"}]
    assert len(too_deep) == 1 and len(too_deep[0].relative_to(tmp_path).parts) == \
        MAX_FOLDER_DEPTH + 1
    with pytest.raises(ImageReadError, match=f"nested more than {MAX_FOLDER_DEPTH} levels"):
        read_image(too_deep[0])
    assert len(found) == 3
