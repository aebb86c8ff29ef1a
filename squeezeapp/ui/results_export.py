"""Getting results out of the results view: files in the CLI's formats, and text for the clipboard.

Export goes through `squeezeapp.formats.make_writer`, the writer `squeezeapp classify --format`
uses, so a file exported here is byte for byte what the command line prints for the same files.
The file appears complete or not at all (written beside, then renamed over the target).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from squeezeapp.core.pipeline import FileResult
from squeezeapp.formats import make_writer

EXPORT_FORMATS = {"csv": "CSV (*.csv)", "jsonl": "JSON Lines (*.jsonl)"}
CLIPBOARD_HEADER = ("file", "top-1 label", "confidence", "error")


def export_format_for(path: Path, default: str = "csv") -> str:
    """The format a file name asks for (by suffix), else `default`."""
    suffix = path.suffix.lower().lstrip(".")
    return suffix if suffix in EXPORT_FORMATS else default


def export_results(path: Path, kind: str, results: Iterable[FileResult]) -> int:
    """Write `results` to `path` as `kind` ("csv" or "jsonl"); returns how many were written."""
    if kind not in EXPORT_FORMATS:
        raise ValueError(f"unknown export format {kind!r}")
    partial = path.with_name(f".{path.name}.part")
    count = 0
    try:
        with partial.open("w", encoding="utf-8", newline="") as stream:
            writer = make_writer(kind, stream)
            for result in results:
                writer.write(result)
                count += 1
        partial.replace(path)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
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
