"""The output formats of classification results, and their writers: a table for people, jsonl
and csv for scripts.

`FORMATS` is the one registry: `classify --format` offers its names, the results view's Export
menu offers those with a file suffix, and `make_writer` builds the writer. Adding a format is a
writer class here and one `OutputFormat` entry in `FORMATS`. Light to import (no numpy): the
command line's parser reads it.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import IO, TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from squeezeapp.core.batch.pipeline import FileResult

CSV_COLUMNS = ("path", "model", "rank", "index", "wnid", "label", "probability", "error")


def utf8_text(text: str) -> str:
    """`text` made encodable as strict UTF-8: bytes of a file name that are not UTF-8 (which
    Python keeps as lone surrogates) are written as `\\xNN`, e.g. `bad\\xff.jpg`."""
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        pass
    try:  # the bytes the file system gave, as Python smuggled them in (PEP 383)
        raw = text.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:  # other lone surrogates (Windows names): their WTF-8 bytes
        raw = text.encode("utf-8", "surrogatepass")
    return raw.decode("utf-8", "backslashreplace")


def terminal_text(text: str) -> str:
    """`utf8_text` with control and format characters (escape sequences, bidi overrides)
    shown as `\\x1b`, `\\u202e`..., so that a file name or label cannot drive the terminal."""
    text = utf8_text(text)
    if text.isprintable():
        return text
    return "".join(char if char.isprintable() else char.encode("unicode_escape").decode("ascii")
                   for char in text)


class ResultWriter(Protocol):
    def write(self, result: FileResult) -> None: ...


class JsonlWriter:
    """One JSON object per input, in input order; errors are records too."""

    def __init__(self, stream: IO[str]) -> None:
        self.stream = stream

    def write(self, result: FileResult) -> None:
        if result.classification is None:
            record: dict[str, object] = {"path": utf8_text(str(result.path)),
                                         "error": utf8_text(result.error or "")}
        else:
            record = {
                "path": utf8_text(str(result.path)),
                "model": result.classification.model,
                "predictions": [p.as_dict() for p in result.classification.predictions],
            }
        line = json.dumps(record, ensure_ascii=False)
        if utf8_text(line) is not line:  # a label with a lone surrogate: \\u-escape everything
            line = json.dumps(record)
        self.stream.write(line + "\n")
        self.stream.flush()


class CsvWriter:
    """One row per prediction; a failed file is one row with only path and error."""

    def __init__(self, stream: IO[str]) -> None:
        self.writer = csv.writer(stream, lineterminator="\n")
        self.writer.writerow(CSV_COLUMNS)
        self.stream = stream

    def write(self, result: FileResult) -> None:
        path = utf8_text(str(result.path))
        if result.classification is None:
            self.writer.writerow([path, "", "", "", "", "", "", utf8_text(result.error or "")])
        else:
            for p in result.classification.predictions:
                self.writer.writerow([path, utf8_text(result.classification.model), p.rank,
                                      p.index, utf8_text(p.wnid), utf8_text(p.label),
                                      f"{p.probability:.6f}", ""])
        self.stream.flush()


class TableWriter:
    """For people: the file name, then ranked short names with percentages, aligned."""

    def __init__(self, stream: IO[str], emit: Emit | None = None) -> None:
        self.stream = stream
        self.emit = emit or (lambda line: stream.write(line + "\n"))

    def write(self, result: FileResult) -> None:
        if result.classification is None:
            self.emit(f"{terminal_text(str(result.path))}\n"
                      f"    error: {terminal_text(result.error or '')}")
            return
        lines = [terminal_text(str(result.path))]
        predictions = result.classification.predictions
        names = [terminal_text(p.name) for p in predictions]
        width = max(len(name) for name in names)
        for p, name in zip(predictions, names, strict=True):
            percent = p.probability * 100
            lines.append(f"  {p.rank:>2}. {percent:6.2f} %  {name:<{width}}  "
                         f"{terminal_text(p.wnid)}")
        self.emit("\n".join(lines))


Emit = Callable[[str], None]


@dataclass(frozen=True)
class OutputFormat:
    name: str  # the --format value
    title: str  # for people, with a menu mnemonic: "&CSV"
    suffix: str | None  # a file's suffix, no dot; None: for the terminal only (no export)
    make: Callable[[IO[str], Emit | None], ResultWriter]

    @property
    def plain_title(self) -> str:
        return self.title.replace("&", "")

    @property
    def file_filter(self) -> str:
        """For a save dialog: "CSV (*.csv)"."""
        return f"{self.plain_title} (*.{self.suffix})"


FORMATS: dict[str, OutputFormat] = {format.name: format for format in (
    OutputFormat("table", "&Table", None, TableWriter),
    OutputFormat("csv", "&CSV", "csv", lambda stream, _emit: CsvWriter(stream)),
    OutputFormat("jsonl", "&JSON Lines", "jsonl", lambda stream, _emit: JsonlWriter(stream)),
)}
FILE_FORMATS = {name: format for name, format in FORMATS.items() if format.suffix}
DEFAULT_FORMAT = "table"


def make_writer(kind: str, stream: IO[str], emit: Emit | None = None) -> ResultWriter:
    """The writer of format `kind` (a FORMATS name) on `stream`; `emit` prints a table's lines
    (the command line's progress bar moves them above itself)."""
    return FORMATS[kind].make(stream, emit)
