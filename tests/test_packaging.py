"""Smoke tests of what users install: the frozen bundle, the tarball and the .deb (Linux).

`packaging/build.py` runs once per session (the same command as `make dist`), into a temporary
folder. The frozen program then does real work on the shared photos and must agree with the
source install; the .deb is installed with dpkg, used, and removed (CI runs as root).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tarfile
import tomllib
from dataclasses import dataclass
from pathlib import Path

import pytest

from squeezeapp.core.hashing import file_sha256
from squeezeapp.core.registry import known_by_name
from tests.conftest import IN_CI, REPO, run_cli

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"),
                                reason="the Linux installers are built and tested on Linux")

APP = "squeezeapp"
BUILD_TIMEOUT_S = 1200


@dataclass(frozen=True)
class Built:
    """What one `packaging/build.py` run produced."""

    version: str
    bundle: Path
    tarball: Path
    deb: Path

    @property
    def executable(self) -> Path:
        return self.bundle / APP


def _version() -> str:
    with (REPO / "pyproject.toml").open("rb") as stream:
        return tomllib.load(stream)["project"]["version"]


@pytest.fixture(scope="session")
def built(tmp_path_factory, model_dir: Path) -> Built:
    work = tmp_path_factory.mktemp("packaging")
    done = subprocess.run(
        [sys.executable, "packaging/build.py", "--work", str(work / "build"),
         "--dist", str(work / "dist")],
        cwd=REPO, capture_output=True, text=True, timeout=BUILD_TIMEOUT_S, check=False,
        env={**os.environ, "SQUEEZEAPP_MODEL_DIR": str(model_dir)},
    )
    assert done.returncode == 0, f"build failed:\n{done.stdout[-4000:]}\n{done.stderr[-4000:]}"
    print(done.stderr[-600:])  # the build's size and time lines, for `pytest -s`
    version = _version()
    return Built(
        version=version,
        bundle=work / "build" / "pyinstaller" / APP,
        tarball=work / "dist" / f"{APP}-{version}-linux-x86_64.tar.gz",
        deb=work / "dist" / f"{APP}_{version}_amd64.deb",
    )


def _user_env(tmp_path: Path) -> dict[str, str]:
    """An environment like a user's: no model folder override, no Python settings."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("SQUEEZEAPP_", "PYTHON", "VIRTUAL_ENV", "LD_LIBRARY_PATH"))}
    env.update(SQUEEZEAPP_CACHE_DIR=str(tmp_path / "cache"), QT_QPA_PLATFORM="offscreen",
               HOME=str(tmp_path))
    return env


def _run(command: list[str | Path], env: dict[str, str], timeout: float = 300):
    return subprocess.run([str(c) for c in command], capture_output=True, text=True,
                          timeout=timeout, env=env, check=False, cwd=env.get("HOME"))


def _top1(jsonl: str) -> dict[str, tuple[int, float]]:
    rows = [json.loads(line) for line in jsonl.splitlines() if line.strip()]
    return {Path(r["path"]).name: (r["predictions"][0]["index"], r["predictions"][0]["probability"])
            for r in rows}


def _assert_selftest_passes(executable: Path, env: dict[str, str], bundle_root: Path) -> None:
    done = _run([executable, "--selftest"], env)
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].endswith("self-test (bundle)")
    assert sum(line.startswith("ok ") for line in lines) == 5, done.stdout
    assert str(bundle_root / "_internal" / "resources" / "models") in done.stdout
    assert lines[-1] == "self-test passed"


def test_frozen_classify_matches_the_source_install(built, sample_dir, tmp_path) -> None:
    frozen = _run([built.executable, "classify", "--format", "jsonl", sample_dir],
                  _user_env(tmp_path))
    assert frozen.returncode == 0, frozen.stderr
    source = run_cli("classify", "--format", "jsonl", str(sample_dir))
    assert source.returncode == 0, source.stderr
    frozen_top1, source_top1 = _top1(frozen.stdout), _top1(source.stdout)
    assert len(frozen_top1) == 100
    assert frozen_top1.keys() == source_top1.keys()
    for name, (index, probability) in source_top1.items():
        assert frozen_top1[name][0] == index, name
        assert frozen_top1[name][1] == pytest.approx(probability, abs=1e-4), name
    assert '"model": "squeezenet1.1"' in frozen.stdout


def test_frozen_selftest(built, tmp_path) -> None:
    _assert_selftest_passes(built.executable, _user_env(tmp_path), built.bundle)


def test_bundle_holds_the_model_and_nothing_unused(built) -> None:
    internal = built.bundle / "_internal"
    models = sorted((internal / "resources" / "models").iterdir())
    assert [m.name for m in models] == ["squeezenet1.1.onnx"]
    assert file_sha256(models[0]) == known_by_name("squeezenet1.1").sha256
    assert (internal / "resources" / "icons" / "squeezeapp.svg").is_file()
    qt = internal / "PySide6" / "Qt"
    for needed in ("platforms/libqxcb.so", "platforms/libqwayland.so", "platforms/libqoffscreen.so",
                   "imageformats/libqsvg.so", "iconengines/libqsvgicon.so"):
        assert (qt / "plugins" / needed).is_file(), needed
    for unused in ("translations", "plugins/tls", "plugins/platformthemes/libqgtk3.so",
                   "plugins/egldeviceintegrations", "plugins/imageformats/libqpdf.so",
                   "lib/libQt6Network.so.6", "lib/libQt6Qml.so.6"):
        assert not (qt / unused).exists(), unused
    assert not (internal / "PySide6" / "QtNetwork.abi3.so").exists()
    assert not list(internal.glob("libgtk-3*")) and not list(internal.glob("libcairo*"))
    assert not [p for p in built.bundle.rglob("*") if p.is_symlink() and not p.exists()]
    assert not list(built.bundle.rglob("*.JPEG")), "the shared photos must never ship"


def _declared_packages(deb: Path) -> set[str]:
    depends = subprocess.run(["dpkg-deb", "-f", str(deb), "Depends"], capture_output=True,
                             text=True, check=True).stdout
    names = set()
    for clause in depends.split(","):
        for alternative in clause.split("|"):
            names.add(alternative.split("(")[0].strip())
    return names


def _is_elf(path: Path) -> bool:
    if not path.is_file() or path.is_symlink():
        return False
    with path.open("rb") as stream:
        return stream.read(4) == b"\x7fELF"


def _system_libraries(bundle: Path) -> dict[str, str | None]:
    """soname → path for every library the bundle loads from outside itself (None: missing)."""
    internal = bundle / "_internal"
    env = {**os.environ, "LD_LIBRARY_PATH": str(internal)}  # what the bootloader sets up
    found: dict[str, str | None] = {}
    for path in bundle.rglob("*"):
        if not _is_elf(path):
            continue
        listing = subprocess.run(["ldd", str(path)], capture_output=True, text=True, env=env,
                                 check=False).stdout
        for line in listing.splitlines():
            name, _, target = line.strip().partition(" => ")
            if not target:
                continue
            resolved = target.split(" (")[0].strip()
            if resolved == "not found":
                found[name] = None
            elif not resolved.startswith(str(bundle)):
                found[name] = resolved
    return found


def _owning_package(path: Path) -> str:
    """The Debian package of a file, by the path as found or with symlinks resolved.

    dpkg records glibc under /lib while ldd may report /usr/lib (merged /usr), or the reverse.
    """
    for candidate in dict.fromkeys((path, path.resolve())):
        owner = subprocess.run(["dpkg-query", "-S", str(candidate)], capture_output=True,
                               text=True, check=False).stdout
        if owner:
            return owner.split(":")[0].strip()
    return ""


def test_every_system_library_comes_from_a_declared_package(built) -> None:
    if shutil.which("dpkg-query") is None:
        pytest.skip("not a Debian system")
    libraries = _system_libraries(built.bundle)
    missing = sorted(name for name, path in libraries.items() if path is None)
    assert not missing, f"libraries neither bundled nor installed: {missing}"
    declared = _declared_packages(built.deb)
    undeclared = {}
    for name, path in libraries.items():
        package = _owning_package(Path(path))
        if package not in declared:
            undeclared[name] = package or "no package"
    assert not undeclared, f"system libraries whose package is not in Depends: {undeclared}"


def test_deb_control_and_contents(built) -> None:
    fields = subprocess.run(["dpkg-deb", "-f", str(built.deb)], capture_output=True, text=True,
                            check=True).stdout
    assert f"Package: {APP}\n" in fields
    assert f"Version: {built.version}\n" in fields
    assert "Architecture: amd64\n" in fields
    declared = _declared_packages(built.deb)
    assert {"libc6", "libxcb-cursor0", "libegl1", "libxkbcommon-x11-0"} <= declared
    listing = subprocess.run(["dpkg-deb", "-c", str(built.deb)], capture_output=True, text=True,
                             check=True).stdout
    for entry in ("./opt/squeezeapp/squeezeapp", "./usr/share/applications/squeezeapp.desktop",
                  "./usr/share/icons/hicolor/scalable/apps/squeezeapp.svg",
                  "./usr/share/icons/hicolor/256x256/apps/squeezeapp.png",
                  "./usr/share/doc/squeezeapp/copyright",
                  "./opt/squeezeapp/_internal/resources/models/squeezenet1.1.onnx"):
        assert f" {entry}\n" in listing, entry
    assert "./usr/bin/squeezeapp -> /opt/squeezeapp/squeezeapp" in listing
    assert "root/root" in listing and not [line for line in listing.splitlines()
                                           if "root/root" not in line]


def test_desktop_entry_is_valid() -> None:
    validator = shutil.which("desktop-file-validate")
    if validator is None:
        if IN_CI:
            pytest.fail("desktop-file-validate missing (make setup installs desktop-file-utils)")
        pytest.skip("desktop-file-validate not installed")
    entry = REPO / "packaging" / "linux" / f"{APP}.desktop"
    done = subprocess.run([validator, str(entry)], capture_output=True, text=True, check=False)
    assert done.returncode == 0 and not done.stdout.strip(), done.stdout + done.stderr


def test_tarball_unpacks_to_a_working_program(built, sample_dir, tmp_path) -> None:
    top = f"{APP}-{built.version}-linux-x86_64"
    with tarfile.open(built.tarball) as tar:
        names = tar.getnames()
        assert all(n == top or n.startswith(f"{top}/") for n in names)
        assert f"{top}/share/applications/squeezeapp.desktop" in names
    (tmp_path / "opt").mkdir()
    # unpacked with GNU tar, as the README tells users to
    subprocess.run(["tar", "-xzf", str(built.tarball), "-C", str(tmp_path / "opt")], check=True)
    executable = tmp_path / "opt" / top / APP
    env = _user_env(tmp_path)
    done = _run([executable, "classify", "--format", "jsonl",
                 sample_dir / "n01440764_tench.JPEG"], env)
    assert done.returncode == 0, done.stderr
    assert _top1(done.stdout)["n01440764_tench.JPEG"][0] == 0  # tench is class 0
    _assert_selftest_passes(executable, env, tmp_path / "opt" / top)


def _installed() -> bool:
    status = subprocess.run(["dpkg-query", "-W", "-f=${Status}", APP], capture_output=True,
                            text=True, check=False).stdout
    return status.endswith("installed") and "not-installed" not in status


def test_deb_installs_runs_and_removes(built, sample_dir, tmp_path) -> None:
    if shutil.which("dpkg") is None or os.geteuid() != 0:
        if IN_CI:
            pytest.fail("CI must run as root on Debian to install the .deb")
        pytest.skip("installing a .deb needs root and dpkg")
    if _installed() and not IN_CI:
        pytest.skip("squeezeapp is already installed here; not touching it")
    install = subprocess.run(["dpkg", "-i", str(built.deb)], capture_output=True, text=True,
                             check=False)
    try:
        assert install.returncode == 0, install.stdout + install.stderr
        env = _user_env(tmp_path)
        done = _run(["/usr/bin/squeezeapp", "classify", "--format", "jsonl",
                     sample_dir / "n01530575_brambling.JPEG"], env)
        assert done.returncode == 0, done.stderr
        assert _top1(done.stdout)["n01530575_brambling.JPEG"][0] == 10  # brambling
        _assert_selftest_passes(Path("/usr/bin/squeezeapp"), env, Path("/opt/squeezeapp"))
    finally:
        remove = subprocess.run(["dpkg", "-r", APP], capture_output=True, text=True, check=False)
    assert remove.returncode == 0, remove.stdout + remove.stderr
    assert not _installed()
    assert not Path("/usr/bin/squeezeapp").exists() and not Path("/opt/squeezeapp").exists()
