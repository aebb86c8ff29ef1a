"""Smoke tests of what users install: the frozen bundle, the tarball and the .deb (Linux).

All are marked `slow`. `make test` runs them as their own step (`make test-packaging`): it
builds first, with its own time limit, and hands the result over in $SQUEEZEAPP_PACKAGING_BUILD
(build.py's --work folder, installers in its dist/). Run alone (`pytest -m slow`), the session
fixture runs packaging/build.py itself, and each test's timeout leaves room for that build.
The frozen program then does real work on the shared photos and must agree with the source
install; the .deb is installed with dpkg, used, verified and removed (CI runs as root).
"""

from __future__ import annotations

import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tarfile
import tomllib
from dataclasses import dataclass
from pathlib import Path

import pytest

from squeezeapp.core.common.hashing import file_sha256
from squeezeapp.core.models.registry import known_by_name
from squeezeapp.core.modeltools.profile import model_profile
from tests.conftest import IN_CI, REPO, run_cli
from tests.privacy import assert_private, fresh_user_env, run_traced

APP = "squeezeapp"
BUILD_TIMEOUT_S = 1200
PREBUILT_ENV = "SQUEEZEAPP_PACKAGING_BUILD"
FAST_MODEL_FILE = "squeezenet1.1-int8.onnx"  # built at packaging time (packaging/prepare.py)
GLIBC_FLOOR_LIMIT = (2, 35)  # Ubuntu 22.04, the oldest system we support
SYSTEM_RUNTIME = ("libstdc++.so.6", "libgcc_s.so.1", "libexpat.so.1")
# System libraries only an optional part loads (OpenVINO's GPU device), and the package the .deb
# recommends for each: they may be missing on the build machine.
OPTIONAL_SYSTEM_LIBRARIES = {"libOpenCL.so.1": "ocl-icd-libopencl1"}

pytestmark = [
    pytest.mark.skipif(not sys.platform.startswith("linux"),
                       reason="the Linux installers are built and tested on Linux"),
    pytest.mark.slow,
    # the first test may wait for the session's build; the pytest-wide 300 s would kill it
    pytest.mark.timeout(BUILD_TIMEOUT_S + 300),
]


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
def built(tmp_path_factory, model_dir: Path, sample_dir: Path) -> Built:
    prebuilt = os.environ.get(PREBUILT_ENV)
    if prebuilt:
        work = Path(prebuilt).resolve()
    else:
        work = tmp_path_factory.mktemp("packaging") / "build"
        done = subprocess.run(
            [sys.executable, "packaging/build.py", "--work", str(work),
             "--dist", str(work / "dist")],
            cwd=REPO, capture_output=True, text=True, timeout=BUILD_TIMEOUT_S, check=False,
            # xz level 0 unless told otherwise, as in `make test`: the same files, minutes sooner
            env={"SQUEEZEAPP_XZ_LEVEL": "0", **os.environ, "SQUEEZEAPP_MODEL_DIR": str(model_dir),
                 "SQUEEZEAPP_SAMPLE_IMAGES": str(sample_dir), "SQUEEZEAPP_FAST_MODEL": "required"},
        )
        assert done.returncode == 0, f"build failed:\n{done.stdout[-4000:]}\n{done.stderr[-4000:]}"
        print(done.stderr[-600:])  # the build's size and time lines, for `pytest -s`
    version = _version()
    result = Built(
        version=version,
        bundle=work / "pyinstaller" / APP,
        tarball=work / "dist" / f"{APP}-{version}-linux-x86_64.tar.xz",
        deb=work / "dist" / f"{APP}_{version}-1_amd64.deb",  # Debian revision 1
    )
    for path in (result.executable, result.tarball, result.deb):
        assert path.exists(), f"{path} missing: was the build in {work} complete?"
    return result


def _user_env(tmp_path: Path) -> dict[str, str]:
    """An environment like a user's: no model folder override, no Python settings."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("SQUEEZEAPP_", "PYTHON", "VIRTUAL_ENV", "LD_LIBRARY_PATH",
                                "ORT_", "XDG_"))}
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
    assert not (tmp_path / ".cache" / "Microsoft").exists(), "onnxruntime telemetry files"


def test_frozen_classify_reads_phone_and_camera_photos(built, sample_dir, tmp_path) -> None:
    """HEIC (libheif through pi-heif, which needs Pillow in the bundle) and DNG (LibRaw) are
    read by the bundle as by the source install, upright, and the rest is named as left out."""
    import cv2

    from tests.photos import write_photo
    from tests.rawfiles import write_dng

    photo = cv2.imread(str(sample_dir / "n04562935_water_tower.JPEG"))
    photo = photo[: photo.shape[0] // 2 * 2, : photo.shape[1] // 2 * 2]
    sideways = cv2.rotate(photo, cv2.ROTATE_90_COUNTERCLOCKWISE)  # shown turned clockwise
    folder = tmp_path / "phone"
    folder.mkdir()
    write_photo(folder / "IMG_0001.HEIC", sideways, 6)
    write_dng(folder / "DSC_0001.DNG", sideways[:, :, ::-1].copy(), orientation=6)
    (folder / "notes.txt").write_text("x")
    frozen = _run([built.executable, "classify", "--format", "jsonl", folder],
                  _user_env(tmp_path))
    assert frozen.returncode == 0, frozen.stderr
    assert "1 file left out: 1 text file" in frozen.stderr
    tops = _top1(frozen.stdout)
    assert {name: index for name, (index, _p) in tops.items()} == {
        "DSC_0001.DNG": 900, "IMG_0001.HEIC": 900}  # water tower, upright


def test_frozen_models_list_shows_both_models_side_by_side(built, tmp_path) -> None:
    done = _run([built.executable, "models", "list"], _user_env(tmp_path))
    assert done.returncode == 0, done.stdout + done.stderr
    bundled = str(built.bundle / "_internal" / "resources" / "models")
    # one row per model (its line, then its profile's): the display name first, the file last
    rows = re.split(r"\n  (?=\S)", done.stdout.split("Downloadable")[0])[1:]
    by_file = {Path(row.splitlines()[0].split("  ")[-1]).name: row for row in rows}
    assert set(by_file) == {"squeezenet1.1.onnx", FAST_MODEL_FILE}, done.stdout
    fp32, int8 = by_file["squeezenet1.1.onnx"], by_file[FAST_MODEL_FILE]
    assert fp32.startswith("SqueezeNet 1.1 ") and int8.startswith("SqueezeNet 1.1 (fast, int8) ")
    assert bundled in fp32 and bundled in int8
    for row in (fp32, int8):  # accuracy and speed side by side, both measured here too
        assert re.search(r"top-1 \d+ %, top-5 \d+ % on 50 held-out photos", row), row
        assert "ms/image on 1 thread here" in row, row
    assert "float32; reference speed" in fp32, fp32
    assert re.search(r"int8; \d\.\d× the float model's speed", int8), int8


def test_frozen_fast_model_answers_like_the_float_one(built, sample_dir, tmp_path) -> None:
    env = _user_env(tmp_path)
    fast = _run([built.executable, "classify", "--model", "squeezenet1.1-int8", "--format",
                 "jsonl", sample_dir], env)
    assert fast.returncode == 0, fast.stderr
    reference = _run([built.executable, "classify", "--format", "jsonl", sample_dir], env)
    assert reference.returncode == 0, reference.stderr
    assert '"model": "squeezenet1.1-int8"' in fast.stdout
    fast_top1, float_top1 = _top1(fast.stdout), _top1(reference.stdout)
    assert fast_top1.keys() == float_top1.keys() and len(fast_top1) == 100
    agree = sum(fast_top1[name][0] == float_top1[name][0] for name in float_top1)
    assert agree >= 90, f"int8 and float agree on {agree} of 100 photos (94-97 measured)"


def test_frozen_selftest_stays_private(built, tmp_path) -> None:
    """The runtime hook switches onnxruntime's telemetry off in the bundle (fresh HOME)."""
    _assert_selftest_passes(built.executable, _user_env(tmp_path), built.bundle)
    assert not (tmp_path / ".cache" / "Microsoft").exists(), "onnxruntime telemetry files"


def test_frozen_openvino_engine_agrees_and_stays_private(built, model_dir, sample_dir,
                                                         tmp_path) -> None:
    """The bundle carries the OpenVINO plugin where its wheel exists (x86-64): the CPU engine
    opens in the bundle, answers like onnxruntime on the shared photos, and connects nowhere
    and writes nothing outside our folders (no ~/intel telemetry consent, no telemetry module)."""
    from squeezeapp.core.inference.engines import openvino_installed

    if platform.machine() != "x86_64" or not openvino_installed():
        pytest.skip("the OpenVINO plugin has no wheel for this machine or is not installed")
    plugin = built.bundle / "_internal" / "onnxruntime_ep_openvino"
    for needed in ("libonnxruntime_providers_openvino_plugin.so", "libopenvino.so.*",
                   "libopenvino_intel_cpu_plugin.so", "libopenvino_onnx_frontend.so.*",
                   "libtbb.so.*", "third-party-programs.txt"):
        assert list(plugin.glob(needed)), needed
    # no top-level copy or link that LD_LIBRARY_PATH would load instead of the plugin's own
    assert not list((built.bundle / "_internal").glob("libopenvino*"))
    home = tmp_path / "home"
    home.mkdir()
    # the bundle's own model: no model folder, no Python settings from this test run
    env = {k: v for k, v in fresh_user_env(home, model_dir).items()
           if not k.startswith(("SQUEEZEAPP_", "PYTHON", "VIRTUAL_ENV", "LD_LIBRARY_PATH"))}
    info = run_traced([str(built.executable), "info", "--provider", "openvino-cpu"], env,
                      tmp_path / "info.strace")
    assert "OpenVINO CPU" in info, info
    assert_private(home, tmp_path / "info.strace")
    trace = tmp_path / "classify.strace"
    openvino = run_traced([str(built.executable), "classify", "--provider", "openvino-cpu",
                           "--format", "jsonl", str(sample_dir)], env, trace)
    assert_private(home, trace)
    reference = _run([built.executable, "classify", "--provider", "cpu", "--format", "jsonl",
                      sample_dir], env)
    ours, theirs = _top1(openvino), _top1(reference.stdout)
    assert len(ours) == 100 and ours.keys() == theirs.keys()
    agree = sum(ours[name][0] == theirs[name][0] for name in theirs)
    assert agree >= 97, f"OpenVINO and onnxruntime agree on {agree} of 100 photos"


def _glibc_needs(path: Path) -> set[tuple[int, int]]:
    """GLIBC_x.y versions one ELF file imports (its dynamic symbol table)."""
    dump = subprocess.run(["objdump", "-T", str(path)], capture_output=True, text=True,
                          check=False).stdout
    return {(int(major), int(minor)) for line in dump.splitlines() if "*UND*" in line
            for major, minor in re.findall(r"\bGLIBC_(\d+)\.(\d+)\b", line)}


def test_bundle_runs_on_glibc_2_35_and_the_deb_says_so(built) -> None:
    needs = {path: _glibc_needs(path) for path in built.bundle.rglob("*") if _is_elf(path)}
    floor = max(version for versions in needs.values() for version in versions)
    newest = sorted((max(v), str(p.relative_to(built.bundle))) for p, v in needs.items() if v)
    assert floor <= GLIBC_FLOOR_LIMIT, f"glibc {floor} needed by {newest[-3:]}"
    depends = _depends(built.deb)
    assert f"libc6 (>= {floor[0]}.{floor[1]})" in depends, depends
    for name in SYSTEM_RUNTIME:  # the system's own copies serve, never the build machine's
        assert not list(built.bundle.rglob(name)), name
    assert re.search(r"\blibstdc\+\+6 \(>= \d+(\.\d+)?\)", depends), depends
    assert "libgcc-s1" in depends


def test_python_is_stripped_and_numpy_libs_are_not(built) -> None:
    internal = built.bundle / "_internal"
    for path in [*internal.glob("libpython3*.so*"), *internal.glob("python3*/lib-dynload/*.so")]:
        sections = subprocess.run(["objdump", "-h", str(path)], capture_output=True, text=True,
                                  check=True).stdout
        assert ".symtab" not in sections, path
        dynamic = subprocess.run(["objdump", "-p", str(path)], capture_output=True, text=True,
                                 check=True).stdout
        assert "RUNPATH" not in dynamic and "RPATH" not in dynamic, f"{path}: build machine path"
    # numpy.libs (auditwheel-repaired, hash-named) ships exactly as the wheel published it
    import numpy

    installed = Path(numpy.__file__).parent.parent / "numpy.libs"
    bundled = sorted(p.name for p in (internal / "numpy.libs").iterdir() if _is_elf(p))
    assert bundled and bundled == sorted(p.name for p in installed.iterdir() if _is_elf(p))
    for name in bundled:
        assert file_sha256(internal / "numpy.libs" / name) == file_sha256(installed / name), name


def test_bundle_holds_the_model_and_nothing_unused(built) -> None:
    internal = built.bundle / "_internal"
    models = sorted((internal / "resources" / "models").iterdir())
    assert [m.name for m in models] == [FAST_MODEL_FILE, "squeezenet1.1.onnx"]
    float_sha256 = file_sha256(models[1])
    assert float_sha256 == known_by_name("squeezenet1.1").sha256
    fast = model_profile(models[0])
    assert (fast.precision, fast.display_name) == ("int8", "SqueezeNet 1.1 (fast, int8)")
    assert fast.source_sha256 == float_sha256 and fast.held_out_photos == 50
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
    for test_only in ("sklearn", "scipy", "pytest", "pillow_heif"):  # test extras stay out
        assert not (internal / test_only).exists(), test_only


def _depends(deb: Path, field: str = "Depends") -> str:
    return subprocess.run(["dpkg-deb", "-f", str(deb), field], capture_output=True,
                          text=True, check=True).stdout


def _declared_packages(deb: Path, field: str = "Depends") -> set[str]:
    names = set()
    for clause in _depends(deb, field).split(","):
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
    recommended = _declared_packages(built.deb, "Recommends")
    missing = sorted(name for name, path in libraries.items()
                     if path is None and OPTIONAL_SYSTEM_LIBRARIES.get(name) not in recommended)
    assert not missing, f"libraries neither bundled nor installed: {missing}"
    declared = _declared_packages(built.deb) | recommended
    undeclared = {}
    for name, path in libraries.items():
        if path is None:  # an optional one, recommended (checked above)
            continue
        package = _owning_package(Path(path))
        if package not in declared:
            undeclared[name] = package or "no package"
    assert not undeclared, f"system libraries whose package is not in Depends: {undeclared}"


def test_deb_control_and_contents(built) -> None:
    fields = subprocess.run(["dpkg-deb", "-f", str(built.deb)], capture_output=True, text=True,
                            check=True).stdout
    assert f"Package: {APP}\n" in fields
    assert f"Version: {built.version}-1\n" in fields
    assert "Architecture: amd64\n" in fields
    declared = _declared_packages(built.deb)
    assert {"libc6", "libxcb-cursor0", "libegl1", "libxkbcommon-x11-0"} <= declared
    listing = subprocess.run(["dpkg-deb", "-c", str(built.deb)], capture_output=True, text=True,
                             check=True).stdout
    for entry in ("./opt/squeezeapp/squeezeapp", "./usr/share/applications/squeezeapp.desktop",
                  "./usr/share/icons/hicolor/scalable/apps/squeezeapp.svg",
                  "./usr/share/icons/hicolor/256x256/apps/squeezeapp.png",
                  "./usr/share/doc/squeezeapp/copyright",
                  "./usr/share/doc/squeezeapp/changelog.Debian.gz",
                  "./usr/share/man/man1/squeezeapp.1.gz",
                  "./usr/share/metainfo/app.squeezeapp.SqueezeApp.metainfo.xml",
                  "./usr/share/lintian/overrides/squeezeapp",
                  "./opt/squeezeapp/_internal/resources/models/squeezenet1.1.onnx",
                  f"./opt/squeezeapp/_internal/resources/models/{FAST_MODEL_FILE}"):
        assert f" {entry}\n" in listing, entry
    assert "./usr/bin/squeezeapp -> /opt/squeezeapp/squeezeapp" in listing
    assert "root/root" in listing and not [line for line in listing.splitlines()
                                           if "root/root" not in line]
    libraries = [line for line in listing.splitlines()
                 if re.search(r"\.so(\.[^/ ]*)?$", line) and not line.startswith("l")]
    assert libraries and all(line.startswith("-rw-r--r--") for line in libraries)
    assert re.search(r"^-rwxr-xr-x .* \./opt/squeezeapp/squeezeapp$", listing, re.MULTILINE)
    md5sums = subprocess.run(["dpkg-deb", "-I", str(built.deb), "md5sums"], capture_output=True,
                             text=True, check=True).stdout
    assert "  opt/squeezeapp/squeezeapp\n" in md5sums and "  usr/bin/" not in md5sums


def test_man_page_in_the_deb_renders_cleanly(built, tmp_path) -> None:
    if shutil.which("man") is None:
        pytest.skip("man-db not installed")
    subprocess.run(["dpkg-deb", "-x", str(built.deb), str(tmp_path)], check=True)
    page = tmp_path / "usr" / "share" / "man" / "man1" / "squeezeapp.1.gz"
    done = subprocess.run(["man", "--warnings", "-E", "UTF-8", "-l", "-Tutf8", str(page)],
                          capture_output=True, text=True, check=False,
                          env={**os.environ, "MANWIDTH": "80", "LC_ALL": "C.UTF-8"})
    assert done.returncode == 0 and not done.stderr.strip(), done.stderr
    text = re.sub(r".\x08", "", done.stdout)  # man's bold/underline overstrikes
    assert "squeezeapp classify" in text and "PRIVACY" in text


def test_tarball_unpacks_to_a_working_program(built, sample_dir, tmp_path) -> None:
    top = f"{APP}-{built.version}-linux-x86_64"
    with tarfile.open(built.tarball) as tar:
        names = tar.getnames()
        assert all(n == top or n.startswith(f"{top}/") for n in names)
        assert f"{top}/share/applications/squeezeapp.desktop" in names
    (tmp_path / "opt").mkdir()
    # unpacked with GNU tar, as the README tells users to
    subprocess.run(["tar", "-xJf", str(built.tarball), "-C", str(tmp_path / "opt")], check=True)
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
        verify = subprocess.run(["dpkg", "--verify", APP], capture_output=True, text=True,
                                check=False)  # every file matches DEBIAN/md5sums
        assert verify.returncode == 0 and not verify.stdout.strip(), verify.stdout
    finally:
        remove = subprocess.run(["dpkg", "-r", APP], capture_output=True, text=True, check=False)
    assert remove.returncode == 0, remove.stdout + remove.stderr
    assert not _installed()
    assert not Path("/usr/bin/squeezeapp").exists() and not Path("/opt/squeezeapp").exists()
