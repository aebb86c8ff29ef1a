"""Writers for `squeezeapp classify` results: a table for people, jsonl and csv for scripts."""

from __future__ import annotations

import csv
import json
from typing import IO, Protocol

from squeezeapp.core.pipeline import FileResult

FORMATS = ("table", "jsonl", "csv")
CSV_COLUMNS = ("path", "model", "rank", "index", "wnid", "label", "probability", "error")


class ResultWriter(Protocol):
    def write(self, result: FileResult) -> None: ...


class JsonlWriter:
    """One JSON object per input, in input order; errors are records too."""

    def __init__(self, stream: IO[str]) -> None:
        self.stream = stream

    def write(self, result: FileResult) -> None:
        if result.classification is None:
            record: dict[str, object] = {"path": str(result.path), "error": result.error}
        else:
            record = {
                "path": str(result.path),
                "model": result.classification.model,
                "predictions": [p.as_dict() for p in result.classification.predictions],
            }
        self.stream.write(json.dumps(record, ensure_ascii=False) + "\n")
        self.stream.flush()


class CsvWriter:
    """One row per prediction; a failed file is one row with only path and error."""

    def __init__(self, stream: IO[str]) -> None:
        self.writer = csv.writer(stream, lineterminator="\n")
        self.writer.writerow(CSV_COLUMNS)
        self.stream = stream

    def write(self, result: FileResult) -> None:
        path = str(result.path)
        if result.classification is None:
            self.writer.writerow([path, "", "", "", "", "", "", result.error])
        else:
            for p in result.classification.predictions:
                self.writer.writerow([path, result.classification.model, p.rank, p.index, p.wnid,
                                      p.label, f"{p.probability:.6f}", ""])
        self.stream.flush()


class TableWriter:
    """For people: the file name, then ranked short names with percentages, aligned."""

    def __init__(self, stream: IO[str], emit=None) -> None:
        self.stream = stream
        self.emit = emit or (lambda line: stream.write(line + "\n"))

    def write(self, result: FileResult) -> None:
        if result.classification is None:
            self.emit(f"{result.path}\n    error: {result.error}")
            return
        lines = [str(result.path)]
        predictions = result.classification.predictions
        width = max(len(p.name) for p in predictions)
        for p in predictions:
            percent = p.probability * 100
            lines.append(f"  {p.rank:>2}. {percent:6.2f} %  {p.name:<{width}}  {p.wnid}")
        self.emit("\n".join(lines))


def make_writer(kind: str, stream: IO[str], emit=None) -> ResultWriter:
    if kind == "jsonl":
        return JsonlWriter(stream)
    if kind == "csv":
        return CsvWriter(stream)
    return TableWriter(stream, emit)
