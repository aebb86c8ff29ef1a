"""Class-name files: a synset file (`<wnid> <names>` per line) or one plain label per line."""

from __future__ import annotations

import re
from pathlib import Path

from squeezeapp.core.common.errors import ModelError

_WNID_LINE = re.compile(r"^(n\d{8})\s+(.+)$")
MAX_LABELS_BYTES = 4 << 20  # 1000 ImageNet labels take about 30 KB


def read_labels_file(path: Path) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Return (labels, wnids); wnids are empty strings when the file has none."""
    try:
        if path.stat().st_size > MAX_LABELS_BYTES:
            raise ModelError(f"labels file {path} is larger than {MAX_LABELS_BYTES >> 20} MB")
        lines = [ln.strip() for ln in path.read_text(encoding="utf-8").splitlines() if ln.strip()]
    except (OSError, UnicodeDecodeError) as error:
        raise ModelError(f"cannot read labels file {path}: {error}") from None
    labels: list[str] = []
    wnids: list[str] = []
    for line in lines:
        match = _WNID_LINE.match(line)
        if match:
            wnids.append(match.group(1))
            labels.append(match.group(2).strip())
        else:
            wnids.append("")
            labels.append(line)
    return tuple(labels), tuple(wnids)
