"""Fast checks of the packaging recipes that need no build: metadata files, the man page,
the release lock, the macOS minimum, the .deb's runtime Depends and the fast model's staging
(its policy without photos and its cache, with a stand-in for the 40-second build).
tests/packaging/test_packaging.py builds and installs the real thing, marked slow."""

from __future__ import annotations

import datetime as dt
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from tests.conftest import IN_CI, REPO

sys.path.insert(0, str(REPO / "packaging"))
import elfdeps
import macos_version
import prepare
from manpage import render_manpage

LINUX = REPO / "packaging" / "linux"
LOCK = REPO / "packaging" / "requirements-release.txt"


def _tool(name: str, package: str) -> str:
    path = shutil.which(name)
    if path is None:
        if IN_CI:
            pytest.fail(f"{name} missing (make setup installs {package})")
        pytest.skip(f"{name} not installed")
    return path


def test_desktop_entry_is_valid() -> None:
    validator = _tool("desktop-file-validate", "desktop-file-utils")
    done = subprocess.run([validator, str(LINUX / "squeezeapp.desktop")], capture_output=True,
                          text=True, check=False)
    assert done.returncode == 0 and not done.stdout.strip(), done.stdout + done.stderr


def test_appstream_metainfo_is_valid(tmp_path) -> None:
    validator = _tool("appstreamcli", "appstream")
    text = (LINUX / "squeezeapp.metainfo.xml").read_text(encoding="utf-8")
    assert "{version}" in text and "{date}" in text  # build.py fills these in
    target = tmp_path / "app.squeezeapp.SqueezeApp.metainfo.xml"
    target.write_text(text.replace("{version}", "0.1.0").replace("{date}", "2026-01-01"))
    done = subprocess.run([validator, "validate", "--no-net", str(target)], capture_output=True,
                          text=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "camera" in text and "uploaded" in text and "<screenshot" in text


def test_man_page_covers_every_command_and_renders(tmp_path) -> None:
    from squeezeapp.cli.main import build_parser

    page = render_manpage(build_parser(), "9.9", dt.date(2026, 1, 2))
    assert page.startswith('.TH SQUEEZEAPP 1 "2026-01-02" "squeezeapp 9.9"')
    for command in ("classify", "info", "models download", "models quantize", "bench", "gui"):
        assert f".SS squeezeapp {command}" in page, command
    for option in (r"\-\-selftest", r"\-\-format", r"\-\-exit\-after", r"\-\-calibrate"):
        assert option in page, option
    if shutil.which("man") is None:
        pytest.skip("man-db not installed")
    (tmp_path / "squeezeapp.1").write_text(page)
    done = subprocess.run(["man", "--warnings", "-l", str(tmp_path / "squeezeapp.1")],
                          capture_output=True, text=True, check=False,
                          env={"PATH": "/usr/bin:/bin", "MANWIDTH": "80", "LC_ALL": "C.UTF-8"})
    assert done.returncode == 0 and not done.stderr.strip(), done.stderr


def _locked() -> dict[str, str]:
    return dict(re.findall(r"^([a-z0-9][a-z0-9._-]*)==(\S+)", LOCK.read_text(), re.MULTILINE))


def test_release_lock_pins_every_dependency_with_hashes() -> None:
    from packaging.requirements import Requirement

    text = LOCK.read_text()
    requirements = [line for line in text.splitlines() if re.match(r"^[a-z0-9]", line)]
    assert requirements and all("==" in line for line in requirements)
    assert text.count("--hash=sha256:") >= len(requirements)
    assert not re.search(r"^[a-z0-9][^\n]*\\\n(?!\s+--hash)", text, re.MULTILINE)
    locked = _locked()
    with (REPO / "pyproject.toml").open("rb") as stream:
        project = tomllib.load(stream)["project"]
    extras = project["optional-dependencies"]
    wanted = [*project["dependencies"], *extras["package"], *extras["openvino"]]
    for spec in map(Requirement, wanted):
        name = re.sub(r"[-_.]+", "-", spec.name).lower()
        assert name in locked, f"{name} is not in {LOCK.name}: run make lock"
        assert spec.specifier.contains(locked[name], prereleases=True), (spec, locked[name])


def test_macos_minimum_is_the_highest_wheel_minimum() -> None:
    wheels = [
        ["cp311-cp311-macosx_14_0_arm64"],  # onnxruntime 1.32
        ["cp39-abi3-macosx_13_0_arm64"],  # PySide6 6.11
        ["cp37-abi3-macosx_13_0_arm64"],  # opencv 5
        ["cp311-cp311-macosx_10_9_universal2"],
        ["py3-none-any"],
        ["cp311-cp311-macosx_10_9_x86_64", "cp311-cp311-macosx_12_0_arm64"],
    ]
    assert macos_version.bundle_minimum(wheels, "arm64") == "14.0"
    assert macos_version.bundle_minimum(wheels[3:], "arm64") == "12.0"
    assert macos_version.bundle_minimum([["py3-none-any"]], "arm64") == "11.0"
    assert macos_version.wheel_minimum(["cp311-cp311-macosx_10_9_x86_64.macosx_11_0_arm64"],
                                       "arm64") == (11, 0)
    assert macos_version.wheel_minimum(["cp311-cp311-macosx_14_0_arm64"], "x86_64") is None
    assert all(isinstance(tags, list) for tags in macos_version.installed_wheel_tags())


def test_runtime_depends_follow_symbol_versions() -> None:
    needs = elfdeps.ElfNeeds(
        sonames=frozenset({"libc.so.6", "libstdc++.so.6", "libgcc_s.so.1", "libm.so.6"}),
        versions=frozenset({"GLIBC_2.2.5", "GLIBC_2.34", "GLIBC_2.17", "GLIBCXX_3.4.29",
                            "GLIBCXX_3.4.9", "CXXABI_1.3.13", "GCC_3.0", "GCC_4.2.0"}),
    )
    assert elfdeps.glibc_floor(needs) == "2.34"
    assert elfdeps.runtime_depends(needs) == [
        "libc6 (>= 2.34)", "libstdc++6 (>= 11)", "libgcc-s1 (>= 4.2.0)"]
    expat = elfdeps.ElfNeeds(frozenset({"libexpat.so.1"}), frozenset({"GLIBC_2.14"}))
    assert elfdeps.runtime_depends(expat) == ["libc6 (>= 2.14)", "libexpat1"]


def test_elf_scan_reads_a_real_library() -> None:
    if shutil.which("objdump") is None:
        pytest.skip("objdump not installed")
    import numpy

    needs = elfdeps.scan(REPO.parent / "no-such-folder")
    assert needs.sonames == frozenset() and elfdeps.glibc_floor(needs) == "2.17"
    needs = elfdeps.scan(Path(numpy.__file__).parent)
    assert "libc.so.6" in needs.sonames and needs.newest("GLIBC_") >= (2, 2)


class _FakeBuild:
    """Stands in for build_fast_model (40 s) where only the staging around it is tested."""

    def __init__(self) -> None:
        self.calls: list[tuple[Path, Path]] = []

    def __call__(self, source: Path, photos: Path, target: Path) -> None:
        self.calls.append((source, photos))
        target.write_bytes(b"int8 of " + source.read_bytes())


def test_fast_model_staging_builds_once_per_model_and_photo_set(tmp_path, sample_images,
                                                              capsys) -> None:
    staging, cache, photos = tmp_path / "models", tmp_path / "cache", tmp_path / "photos"
    staging.mkdir()
    photos.mkdir()
    float_model = staging / "squeezenet1.1.onnx"
    float_model.write_bytes(b"float weights")
    for image in sample_images[:4]:
        shutil.copy(image, photos)
    build = _FakeBuild()
    staged = prepare.stage_fast_model(float_model, photos, "required", cache, build)
    assert staged == staging / "squeezenet1.1-int8.onnx"
    assert staged.read_bytes() == b"int8 of float weights" and len(build.calls) == 1
    assert "fast model: built squeezenet1.1-int8-" in capsys.readouterr().err
    staged.unlink()
    assert prepare.stage_fast_model(float_model, photos, "auto", cache, build) == staged
    assert staged.is_file() and len(build.calls) == 1  # the same inputs: from the cache
    assert "fast model: reusing" in capsys.readouterr().err
    shutil.copy(sample_images[4], photos)  # another photo set: another model
    prepare.stage_fast_model(float_model, photos, "auto", cache, build)
    float_model.write_bytes(b"other float weights")  # another float model: another one
    prepare.stage_fast_model(float_model, photos, "auto", cache, build)
    assert len(build.calls) == 3 and len(list(cache.glob("*.onnx"))) == 3
    assert not list(cache.glob(".*"))  # no partial file left behind


def test_fast_model_staging_without_photos_follows_the_policy(tmp_path, monkeypatch,
                                                             capsys) -> None:
    float_model = tmp_path / "squeezenet1.1.onnx"
    float_model.write_bytes(b"float weights")
    build, empty = _FakeBuild(), tmp_path / "empty"
    empty.mkdir()
    for variable in (prepare.CALIBRATION_ENV, prepare.SAMPLE_IMAGES_ENV):
        monkeypatch.delenv(variable, raising=False)
    with pytest.raises(SystemExit, match="SQUEEZEAPP_FAST_MODEL=required"):
        prepare.stage_fast_model(float_model, None, "required", tmp_path / "cache", build)
    with pytest.raises(SystemExit, match=f"no photos in {empty}"):
        prepare.stage_fast_model(float_model, empty, "required", tmp_path / "cache", build)
    capsys.readouterr()
    assert prepare.stage_fast_model(float_model, None, "auto", tmp_path / "cache", build) is None
    warning = capsys.readouterr().err
    assert "WARNING: no calibration photos" in warning and "float model only" in warning
    assert prepare.stage_fast_model(float_model, empty, "off", tmp_path / "cache", build) is None
    assert not build.calls and not (tmp_path / "squeezenet1.1-int8.onnx").exists()
    monkeypatch.setenv(prepare.FAST_MODEL_ENV, "sometimes")
    with pytest.raises(SystemExit, match="expected one of auto, required, off"):
        prepare.fast_model_policy()
    monkeypatch.setenv(prepare.SAMPLE_IMAGES_ENV, str(empty))
    monkeypatch.setenv(prepare.CALIBRATION_ENV, str(tmp_path))
    assert prepare.calibration_photos_dir() == tmp_path  # the explicit one wins


def test_make_run_is_quiet_the_licence_is_an_spdx_string_and_setup_says_each_step() -> None:
    """`make run` on a fresh clone: no wall of setuptools licence deprecation warnings (the
    `license = {text = …}` table), and one line per set-up step instead of pip's output."""
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    assert project["project"]["license"] == "BSD-3-Clause"
    requires = project["build-system"]["requires"]
    assert any(re.fullmatch(r"setuptools>=(\d+)", r) and int(r.split(">=")[1]) >= 77
               for r in requires), requires  # PEP 639 strings need setuptools 77
    makefile = (REPO / "Makefile").read_text(encoding="utf-8")
    recipe = makefile.split("$(STAMP): pyproject.toml", 1)[1].split("\n\n", 1)[0]
    steps = re.findall(r'@echo "setup (\d)/(\d):', recipe)
    assert [int(n) for n, _ in steps] == list(range(1, len(steps) + 1)) and len(steps) >= 3
    commands = [line.strip() for line in recipe.splitlines()[1:]
                if line.startswith("\t") and not line.startswith("\t\t")]
    assert all(line.startswith("@") for line in commands), commands  # nothing echoed raw
