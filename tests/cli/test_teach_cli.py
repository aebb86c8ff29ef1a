"""`squeezeapp teach DIR`: cross-validated report, JSON, export, evaluation, bad folders."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

from tests.conftest import run_cli


def _image_folder(root: Path, sample_images: list[Path], classes: int = 2,
                  per_class: int = 6, offset: int = 0) -> Path:
    for label in range(classes):
        folder = root / f"kind {label}"
        folder.mkdir(parents=True)
        start = offset + label * 30
        for path in sample_images[start:start + per_class]:
            shutil.copy(path, folder)
    return root


def test_teach_prints_accuracy_and_confusion_and_exports(tmp_path, model_dir,
                                                         sample_images) -> None:
    train = _image_folder(tmp_path / "train", sample_images)
    test = _image_folder(tmp_path / "test", sample_images, per_class=3, offset=10)
    (train / "kind 0" / "notes.jpg").write_bytes(b"not a picture")
    output = tmp_path / "pets.onnx"
    result = run_cli("teach", str(train), "--output", str(output), "--evaluate", str(test))
    assert result.returncode == 0, result.stderr
    text = result.stdout
    assert "Cross-validated accuracy (leave-one-out)" in text
    assert "Confusion matrix" in text and "kind 0" in text and "kind 1" in text
    assert "Left out: notes.jpg" in text and "On the test folder" in text
    assert output.is_file()
    # the exported model classifies with its own labels; same top-1 as the head says
    classified = run_cli("classify", "--model", str(output), "--format", "jsonl", "-k", "2",
                         str(test / "kind 1"))
    assert classified.returncode == 0, classified.stderr
    rows = [json.loads(line) for line in classified.stdout.splitlines()]
    assert rows and all(r["predictions"][0]["label"] in ("kind 0", "kind 1") for r in rows)
    # info names the classes and what teach recorded (base model, cross-validated accuracy)
    info = run_cli("info", "--model", str(output))
    assert info.returncode == 0, info.stderr
    assert "2 classes (from metadata): kind 0, kind 1" in info.stdout
    assert "taught         on squeezenet1.1" in info.stdout and "12 examples" in info.stdout
    assert re.search(r"accuracy +\d+ % cross-validated \(leave-one-out\); kind 0 \d+ %",
                     info.stdout), info.stdout
    # models list and the Model menu show that accuracy too (no held-out figures in it)
    from squeezeapp.core.modeltools.profile import model_profile

    profile = model_profile(output)
    assert re.search(r"float32; \d+ % cross-validated on its taught examples",
                     profile.summary), profile.summary
    assert re.search(r" — \d+ % cross-validated", profile.menu_label), profile.menu_label
    assert "pooled Fire features" in text or "logits" in text
    assert "features: features" not in text and "features: both" not in text
    # an existing output: refused in one line, never written beside it; --force replaces it
    before = output.stat().st_mtime_ns
    again = run_cli("teach", str(train), "--output", str(output), "--format", "json")
    assert again.returncode == 2 and "exists; add --force" in again.stderr
    assert "Traceback" not in again.stderr and not (tmp_path / "pets (2).onnx").exists()
    forced = run_cli("teach", str(train), "--output", str(output), "--format", "json",
                     "--force")
    assert forced.returncode == 0, forced.stderr
    data = json.loads(forced.stdout)
    assert Path(data["output"]) == output and output.stat().st_mtime_ns != before
    assert not (tmp_path / "pets (2).onnx").exists()
    assert data["classes"][0]["examples"] == 6 and len(data["confusion"]) == 2
    # teaching with the taught model loaded teaches from its ImageNet base
    retaught = tmp_path / "again.onnx"
    result = run_cli("teach", str(train), "--model", str(output), "-o", str(retaught))
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr and "is a taught model" in result.stderr
    assert retaught.is_file()


def test_teach_bad_folders_give_one_line(tmp_path, model_dir, sample_images) -> None:
    missing = run_cli("teach", str(tmp_path / "nope"))
    assert missing.returncode == 2 and "is not a folder" in missing.stderr
    one_class = _image_folder(tmp_path / "one", sample_images, classes=1)
    (one_class / "empty").mkdir()
    result = run_cli("teach", str(one_class), "--output", str(tmp_path / "x.onnx"))
    assert result.returncode == 2 and "Add examples to 'empty'" in result.stderr
    assert "Traceback" not in result.stderr and not (tmp_path / "x.onnx").exists()


def test_teach_folder_messages_say_what_to_do(tmp_path, model_dir, sample_images) -> None:
    flat = tmp_path / "flat"
    flat.mkdir()
    for path in sample_images[:3]:
        shutil.copy(path, flat)
    result = run_cli("teach", str(flat))
    assert result.returncode == 2, result.stdout
    assert "one sub-folder per class" in result.stderr and "flat" in result.stderr
    one = _image_folder(tmp_path / "one", sample_images, classes=1, per_class=3)
    result = run_cli("teach", str(one), "-o", str(tmp_path / "y.onnx"))
    assert result.returncode == 2 and "Add a second class" in result.stderr
    assert ".;" not in result.stderr
    train = _image_folder(tmp_path / "train", sample_images)
    other = tmp_path / "other" / "dogs"
    other.mkdir(parents=True)
    shutil.copy(sample_images[0], other)
    result = run_cli("teach", str(train), "--evaluate", str(tmp_path / "other"))
    assert result.returncode == 2 and "named like the taught classes" in result.stderr
    assert "Traceback" not in result.stderr
