"""Hostile input end to end (issue #12): the generated corpus of tests/corpus.py through the real
CLI, as a script would run it on a strict UTF-8 stream.

For every run: no traceback, the documented exit code, one jsonl record per input in order,
peak RSS of the `classify` process under 1 GB (measured as its parent sees it, with
getrusage(RUSAGE_CHILDREN) in a fresh wrapper process), and no run longer than 30 s.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests import corpus
from tests.conftest import REPO

RUN_LIMIT_S = 30
RSS_LIMIT_KB = 1024 * 1024
STRICT_UTF8 = {"PYTHONIOENCODING": "utf-8:strict"}

# Runs the command, then reports the child's peak RSS, its time and its output (as hex, so that
# what we check is the exact bytes it wrote).
_MEASURE = textwrap.dedent("""
    import json, resource, subprocess, sys, time
    started = time.monotonic()
    try:
        done = subprocess.run(sys.argv[2:], capture_output=True, timeout=float(sys.argv[1]))
        code, out, err = done.returncode, done.stdout, done.stderr
    except subprocess.TimeoutExpired as expired:
        code, out, err = None, expired.stdout or b"", expired.stderr or b""
    print(json.dumps({"code": code, "seconds": time.monotonic() - started,
                      "rss_kb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss,
                      "out": out.hex(), "err": err.hex()}))
""")


@dataclass(frozen=True)
class Run:
    code: int | None
    seconds: float
    rss_kb: int
    stdout: bytes
    stderr: str


def measured_cli(*args: str | Path, env: dict[str, str] | None = None) -> Run:
    command = [sys.executable, "-m", "squeezeapp", *map(os.fsdecode, args)]
    wrapper = subprocess.run(
        [sys.executable, "-c", _MEASURE, str(RUN_LIMIT_S), *command], capture_output=True,
        text=True, check=True, cwd=REPO, timeout=RUN_LIMIT_S + 30,
        env={**os.environ, **STRICT_UTF8, **(env or {})},
    )
    report = json.loads(wrapper.stdout)
    return Run(report["code"], report["seconds"], report["rss_kb"], bytes.fromhex(report["out"]),
               bytes.fromhex(report["err"]).decode("utf-8", "replace"))


def _check_run(run: Run, what: str) -> None:
    assert run.code is not None, f"{what}: still running after {RUN_LIMIT_S} s"
    assert run.seconds < RUN_LIMIT_S, f"{what}: took {run.seconds:.1f} s"
    assert "Traceback" not in run.stderr, f"{what}:\n{run.stderr}"
    assert run.rss_kb < RSS_LIMIT_KB, f"{what}: peak RSS {run.rss_kb / 1024:.0f} MB"


def _shown(path: Path) -> str:
    """How a path appears in a record: undecodable bytes as \\xNN (see the README)."""
    return os.fsencode(path).decode("utf-8", "backslashreplace")


@pytest.fixture(scope="module")
def image_corpus(tmp_path_factory) -> tuple[list[Path], list[corpus.Case]]:
    """(arguments to pass, the records they must produce in order)."""
    folder = tmp_path_factory.mktemp("corpus")
    files = (corpus.damaged_images(folder) + corpus.header_bombs(folder)
             + corpus.special_files(folder))
    arguments = [case.path for case in files]
    expected = list(files)
    for given, records in corpus.folders(folder):
        arguments.append(given)
        expected += records
    return arguments, expected


def test_image_corpus_through_classify(model_dir, image_corpus) -> None:
    arguments, expected = image_corpus
    run = measured_cli("classify", "--format", "jsonl", *arguments)
    _check_run(run, "classify on the corpus")
    print(f"corpus: {len(arguments)} arguments, {len(expected)} records, "
          f"{run.seconds:.1f} s, peak RSS {run.rss_kb / 1024:.0f} MB")
    assert run.code == 1  # documented: 1 when some files failed
    records = [json.loads(line) for line in run.stdout.decode("utf-8").splitlines()]
    assert [r["path"] for r in records] == [_shown(case.path) for case in expected]
    for case, record in zip(expected, records, strict=True):
        if case.expect == "ok":
            assert "predictions" in record, record
        elif case.expect == "error":
            assert case.fragment in record.get("error", ""), (case, record)
        assert ("error" in record) != ("predictions" in record)
        assert "\n" not in record.get("error", "")


def test_header_bombs_are_refused_before_decoding(model_dir, tmp_path) -> None:
    """Bombs alone, with a small budget: refused from the header, so memory stays small."""
    bombs = corpus.header_bombs(tmp_path)
    run = measured_cli("classify", "--format", "jsonl", "--memory-budget", "64",
                       *[case.path for case in bombs])
    _check_run(run, "classify on header bombs")
    records = [json.loads(line) for line in run.stdout.decode("utf-8").splitlines()]
    assert len(records) == len(bombs)
    for case, record in zip(bombs, records, strict=True):
        if case.expect == "error":
            assert case.fragment in record["error"], record


def test_strict_utf8_stream_with_undecodable_and_escape_names(model_dir, tmp_path) -> None:
    good = corpus.base_images()["jpeg.jpg"]
    names = ["good-1.jpg", os.fsdecode(b"bad\xff.jpg"), "\x1b[2J\x1b[31mred\u202e.jpg",
             "good-2.jpg"]
    paths = []
    for name in names:
        path = tmp_path / name
        path.write_bytes(good)
        paths.append(path)
    for kind in ("jsonl", "csv", "table"):
        run = measured_cli("classify", "--format", kind, *paths)
        _check_run(run, f"classify --format {kind}")
        assert run.code == 0, run.stderr
        text = run.stdout.decode("utf-8")  # strict: every byte is valid UTF-8
        assert ("bad\\\\xff.jpg" if kind == "jsonl" else "bad\\xff.jpg") in text
        if kind == "table":
            assert "\x1b" not in text and "\u202e" not in text
            assert "\\x1b[2J\\x1b[31mred\\u202e.jpg" in text
    records = [json.loads(line) for line in measured_cli(
        "classify", "--format", "jsonl", *paths).stdout.decode("utf-8").splitlines()]
    assert len(records) == 4 and records[1]["path"].endswith("bad\\xff.jpg")


def test_byte_budget_is_configurable(model_dir, tmp_path) -> None:
    """A real 2000×2000 16-bit RGBA PNG: 32 MB decoded, about 60 MB with its conversions."""
    import cv2
    import numpy as np

    ramp = np.linspace(0, 65535, 2000, dtype=np.uint16)
    image = np.dstack([np.tile(ramp, (2000, 1))] * 3 + [np.full((2000, 2000), 65535, np.uint16)])
    path = tmp_path / "deep.png"
    assert cv2.imwrite(str(path), image, [cv2.IMWRITE_PNG_COMPRESSION, 1])
    small = measured_cli("classify", "--format", "jsonl", "--memory-budget", "32", path)
    assert small.code == 1 and "memory budget" in small.stdout.decode()
    roomy = measured_cli("classify", "--format", "jsonl", path,
                         env={"SQUEEZEAPP_MEMORY_BUDGET_MB": "128"})
    assert roomy.code == 0, roomy.stderr
    bad = measured_cli("classify", path, env={"SQUEEZEAPP_MEMORY_BUDGET_MB": "-5"})
    assert bad.code == 2 and "SQUEEZEAPP_MEMORY_BUDGET_MB" in bad.stderr


@pytest.fixture(scope="module")
def model_corpus(model_dir, tmp_path_factory) -> list[corpus.ModelCase]:
    return corpus.malformed_models(model_dir / "squeezenet1.1.onnx",
                                   tmp_path_factory.mktemp("models"))


def test_malformed_models_one_line_exit_2_and_info_agrees(model_corpus, model_dir,
                                                          capsys) -> None:
    """`classify` as a script runs it (a process each, measured); `info` in this process (the
    same `main`), to keep the module fast on a shared 2-core machine."""
    from squeezeapp.cli.main import main

    image = model_corpus[0].path.parent / "photo.jpg"
    image.write_bytes(corpus.base_images()["jpeg.jpg"])

    def classify(case: corpus.ModelCase) -> Run:
        return measured_cli("classify", "--format", "jsonl", "--model", case.path, image)

    with ThreadPoolExecutor(max_workers=2) as pool:
        runs = list(pool.map(classify, model_corpus))
    slowest = max(run.seconds for run in runs)
    peak = max(run.rss_kb for run in runs)
    with capsys.disabled():
        print(f"{len(model_corpus)} models: slowest classify {slowest:.1f} s, "
              f"peak RSS {peak / 1024:.0f} MB")
    for case, run in zip(model_corpus, runs, strict=True):
        name = case.path.name
        _check_run(run, f"classify --model {name}")
        info_code = main(["info", "--model", str(case.path)])
        info_out = capsys.readouterr().out
        assert "\x1b" not in info_out and "\u202e" not in info_out
        if not case.fragment:
            assert run.code == 0 and info_code == 0, (name, run.stderr, info_out)
            continue
        assert run.code == 2, (name, run.code, run.stderr)
        lines = run.stderr.strip().splitlines()
        assert len(lines) == 1 and case.fragment in lines[0], (name, run.stderr)
        assert run.stdout == b""
        assert info_code == 2 and case.fragment in info_out, (name, info_out)


def test_quantize_without_a_decodable_image(model_dir, tmp_path) -> None:
    for index in range(12):
        (tmp_path / f"broken{index}.jpg").write_bytes(b"not a photo")
    run = measured_cli("models", "quantize", "--calibrate", tmp_path)
    _check_run(run, "models quantize")
    assert run.code == 2
    assert run.stderr.strip().splitlines()[-1] == \
        "squeezeapp: error: none of the 12 calibration images could be read"
