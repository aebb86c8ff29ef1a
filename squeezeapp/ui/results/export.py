"""Getting results out of the results view: files in the CLI's formats, and text for the clipboard.

Export goes through `squeezeapp.core.batch.formats.make_writer`, the writer of `classify --format`,
so a file exported here is byte for byte what the command line prints for the same files.
The file appears complete or not at all (`core.common.files.atomic_writer`).
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from pathlib import Path

from squeezeapp.core.batch.formats import FILE_FORMATS, make_writer
from squeezeapp.core.batch.pipeline import FileResult
from squeezeapp.core.common.files import atomic_writer

CLIPBOARD_HEADER = ("file", "top-1 label", "confidence", "error")


def export_format_for(path: Path, default: str = "csv") -> str:
    """The format a file name asks for (by suffix), else `default`."""
    suffix = path.suffix.lower().lstrip(".")
    return next((name for name, format in FILE_FORMATS.items() if format.suffix == suffix),
                default)


def export_results(path: Path, kind: str, results: Iterable[FileResult]) -> int:
    """Write `results` to `path` as `kind` (a FILE_FORMATS name); returns how many were written."""
    if kind not in FILE_FORMATS:
        raise ValueError(f"unknown export format {kind!r}")
    count = 0
    with atomic_writer(path, overwrite=True) as pending:  # the user confirmed the name
        text = io.TextIOWrapper(pending.stream, encoding="utf-8", newline="")
        writer = make_writer(kind, text)
        for result in results:
            writer.write(result)
            count += 1
        text.flush()
        text.detach()
    return count


def rows_as_text(results: Iterable[FileResult]) -> str:
    """Tab-separated rows with a header (pastes into a spreadsheet as columns)."""
    lines = ["\t".join(CLIPBOARD_HEADER)]
    for result in results:
        top = result.classification.top if result.classification else None
        cells = (str(result.path), top.name if top else "",
                 f"{top.probability * 100:.1f} %" if top else "", result.error or "")
        lines.append("\t".join(cell.replace("\t", " ").replace("\n", " ") for cell in cells))
    return "\n".join(lines) + "\n"
