"""`make dist`: build the PyInstaller bundle, then this platform's installers, into dist/.

    Linux    dist/squeezeapp-<version>-linux-<machine>.tar.xz
             dist/squeezeapp_<version>-1_<arch>.deb          (dpkg-deb)
    Windows  dist/squeezeapp-<version>-windows-x64-setup.exe (Inno Setup's iscc)
    macOS    dist/SqueezeApp-<version>-macos-<machine>.dmg  (hdiutil)

The default model comes from $SQUEEZEAPP_MODEL_DIR (see packaging/prepare.py).
$SQUEEZEAPP_XZ_LEVEL (0-9, default 6) sets the xz preset of the tarball and the .deb.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gzip
import hashlib
import logging
import os
import platform
import re
import shutil
import subprocess
import sys
import tarfile
import time
from collections.abc import Callable
from email.utils import format_datetime
from pathlib import Path

import elfdeps
from icons import render_icons
from manpage import render_manpage
from prepare import ROOT, project_version

HERE = Path(__file__).resolve().parent
SPEC = HERE / "squeezeapp.spec"
LINUX = HERE / "linux"
APP = "squeezeapp"
HICOLOR_SIZES = (16, 24, 32, 48, 64, 128, 256, 512)
DEB_ARCH = {"x86_64": "amd64", "aarch64": "arm64"}
MAINTAINER = "squeezeapp developers <dev@squeezeapp.invalid>"
# The .deb packages upstream release <version> as Debian revision 1 (squeezeapp_0.1.0-1_amd64.deb);
# a packaging-only fix raises the revision, not the app's version.
DEB_REVISION = "1"
METAINFO_NAME = "app.squeezeapp.SqueezeApp.metainfo.xml"

logger = logging.getLogger("build")


def build_bundle(work: Path) -> Path:
    """Run PyInstaller on the spec; return the one-folder bundle."""
    subprocess.run(
        [sys.executable, "-m", "PyInstaller", "--noconfirm", "--log-level", "WARN",
         "--distpath", str(work / "pyinstaller"), "--workpath", str(work / "pyinstaller-work"),
         str(SPEC)],
        check=True, cwd=ROOT,
    )
    bundle = work / "pyinstaller" / APP
    if not (bundle / APP).is_file() and not (bundle / f"{APP}.exe").is_file():
        raise SystemExit(f"PyInstaller produced no {APP} executable in {bundle}")
    return bundle


# --- Linux -------------------------------------------------------------------------------

def linux_installers(bundle: Path, version: str, dist: Path, work: Path) -> list[Path]:
    strip_python(bundle)
    logger.info("bundle after stripping libpython and lib-dynload: %s", _size(bundle))
    icons = render_icons(work / "icons")
    share = work / "share"
    if share.exists():
        shutil.rmtree(share)
    _install_desktop_files(share, icons, version)
    return [build_tarball(bundle, share, version, dist),
            build_deb(bundle, share, version, dist, work)]


def strip_python(bundle: Path) -> None:
    """Clean the interpreter PyInstaller copied from the build machine: libpython, lib-dynload.

    Their symbol tables go (about 23 MB; nothing reads them at run time), and so does the
    RUNPATH that points into the build machine's Python (/root/.pyenv/..., /opt/hostedtoolcache/
    ...): on a user's machine it names a folder that should never be searched. Wheels' libraries
    (numpy.libs, opencv's, onnxruntime's) stay exactly as published: they were built and
    audited (auditwheel) that way.
    """
    internal = bundle / "_internal"
    targets = [*internal.glob("libpython3*.so*"), *internal.glob("python3*/lib-dynload/*.so")]
    targets = [str(path) for path in targets if path.is_file() and not path.is_symlink()]
    for tool in ("strip", "patchelf"):
        if shutil.which(tool) is None:
            raise SystemExit(f"{tool} not found: install binutils and patchelf (make setup does)")
    subprocess.run(["strip", "--strip-unneeded", *targets], check=True)
    subprocess.run(["patchelf", "--remove-rpath", *targets], check=True)


def _install_desktop_files(share: Path, icons, version: str) -> None:
    """The freedesktop.org layout under share/: .desktop entry, hicolor icons, AppStream data."""
    _copy(LINUX / f"{APP}.desktop", share / "applications" / f"{APP}.desktop")
    _copy(icons.svg, share / "icons" / "hicolor" / "scalable" / "apps" / f"{APP}.svg")
    for size in HICOLOR_SIZES:
        hicolor = share / "icons" / "hicolor" / f"{size}x{size}" / "apps"
        _copy(icons.pngs[size], hicolor / f"{APP}.png")
    metainfo = (LINUX / f"{APP}.metainfo.xml").read_text(encoding="utf-8")
    metainfo = metainfo.replace("{version}", version).replace("{date}", release_date().isoformat())
    _write(share / "metainfo" / METAINFO_NAME, metainfo)


def build_tarball(bundle: Path, share: Path, version: str, dist: Path) -> Path:
    """The bundle plus share/ (desktop entry, icons, metainfo) under one top folder, xz."""
    top = f"{APP}-{version}-linux-{platform.machine()}"
    target = dist / f"{top}.tar.xz"
    with tarfile.open(target, "w:xz", preset=xz_level()) as tar:
        tar.add(bundle, arcname=top, filter=_owned_by_root)
        tar.add(share, arcname=f"{top}/share", filter=_owned_by_root)
    return target


def xz_level() -> int:
    """xz preset for the tarball and the .deb: 6 for releases; $SQUEEZEAPP_XZ_LEVEL overrides.

    `make test` builds with 0: same files, same formats, several minutes less on two cores.
    """
    return int(os.environ.get("SQUEEZEAPP_XZ_LEVEL", "6"))


def _owned_by_root(info: tarfile.TarInfo) -> tarfile.TarInfo:
    info.uid = info.gid = 0
    info.uname = info.gname = "root"
    return info


def build_deb(bundle: Path, share: Path, version: str, dist: Path, work: Path) -> Path:
    """/opt/squeezeapp, /usr/bin/squeezeapp, desktop files, docs and man page, by dpkg-deb."""
    arch = DEB_ARCH.get(platform.machine(), platform.machine())
    root = work / "deb-root"
    if root.exists():
        shutil.rmtree(root)
    shutil.copytree(bundle, root / "opt" / APP, symlinks=True)
    (root / "usr" / "bin").mkdir(parents=True)
    (root / "usr" / "bin" / APP).symlink_to(f"/opt/{APP}/{APP}")
    shutil.copytree(share, root / "usr" / "share", dirs_exist_ok=True)
    doc = root / "usr" / "share" / "doc" / APP
    _copy(LINUX / "copyright", doc / "copyright")
    _copy(LINUX / "lintian-overrides", root / "usr" / "share" / "lintian" / "overrides" / APP)
    _write_gzip(doc / "changelog.Debian.gz", debian_changelog(version))
    _write_gzip(root / "usr" / "share" / "man" / "man1" / f"{APP}.1.gz", manual_page(version))
    control = (LINUX / "control.in").read_text(encoding="utf-8").format(
        version=f"{version}-{DEB_REVISION}",
        arch=arch,
        installed_size=_installed_size_kib(root),
        depends=", ".join(debian_depends(bundle)),
        recommends=", ".join(_listed(LINUX / "recommends.txt")),
    )
    _write(root / "DEBIAN" / "control", control)
    for path in root.rglob("*"):  # dpkg-deb insists on sane modes; umasks vary between machines
        if not path.is_symlink():
            path.chmod(0o755 if path.is_dir() or _is_program(path) else 0o644)
    _write(root / "DEBIAN" / "md5sums", _md5sums(root))
    (root / "DEBIAN" / "md5sums").chmod(0o644)
    target = dist / f"{APP}_{version}-{DEB_REVISION}_{arch}.deb"
    subprocess.run(["dpkg-deb", "--root-owner-group", "-Zxz", f"-z{xz_level()}", "--build",
                    str(root), str(target)],
                   check=True, stdout=subprocess.DEVNULL)
    return target


def debian_depends(bundle: Path) -> list[str]:
    """libc6 and the C/C++ runtimes (versions from the bundle's ELF symbol versions), then
    packaging/linux/depends.txt (GL, X, Wayland, fonts: libraries PyInstaller never bundles)."""
    return [*elfdeps.runtime_depends(elfdeps.scan(bundle)), *_listed(LINUX / "depends.txt")]


def _listed(path: Path) -> list[str]:
    """The package clauses of a list file (one per line; # starts a comment line)."""
    return [line.strip() for line in path.read_text().splitlines()
            if line.strip() and not line.startswith("#")]


def release_date() -> dt.date:
    """The date of the release: $SOURCE_DATE_EPOCH, else the last commit, else today.

    Reproducible builds set SOURCE_DATE_EPOCH; a build from git gets the same date every time.
    """
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if not epoch:
        done = subprocess.run(["git", "log", "-1", "--format=%ct"], cwd=ROOT, capture_output=True,
                              text=True, check=False)
        epoch = done.stdout.strip() if done.returncode == 0 else ""
    if not epoch:
        return dt.datetime.now(dt.UTC).date()
    return dt.datetime.fromtimestamp(int(epoch), dt.UTC).date()


def debian_changelog(version: str) -> str:
    """One entry for this binary release (Debian policy 12.7 wants changelog.Debian.gz)."""
    when = dt.datetime.combine(release_date(), dt.time(12, 0), dt.UTC)
    return (f"{APP} ({version}-{DEB_REVISION}) stable; urgency=medium\n\n"
            f"  * Standalone build of squeezeapp {version} (PyInstaller bundle in /opt).\n"
            f"  * Release notes: https://github.com/squeezeapp/squeezeapp/releases\n\n"
            f" -- {MAINTAINER}  {format_datetime(when)}\n")


def manual_page(version: str) -> str:
    """squeezeapp(1) from the CLI's argparse parser (packaging/manpage.py)."""
    from squeezeapp.cli.main import build_parser

    return render_manpage(build_parser(), version, release_date())


def _is_program(path: Path) -> bool:
    """Executable bit set and not a shared library (wheels ship their .so files as 0755)."""
    return os.access(path, os.X_OK) and not re.search(r"\.so(\.|$)", path.name)


def _md5sums(root: Path) -> str:
    """DEBIAN/md5sums: every regular file outside DEBIAN/, as dpkg --verify reads it."""
    lines = []
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(root)
        if path.is_file() and not path.is_symlink() and relative.parts[0] != "DEBIAN":
            lines.append(f"{hashlib.md5(path.read_bytes()).hexdigest()}  {relative.as_posix()}")
    return "\n".join(lines) + "\n"


def _installed_size_kib(root: Path) -> int:
    total = sum(p.stat().st_size for p in root.rglob("*") if p.is_file() and not p.is_symlink())
    return (total + 1023) // 1024


# --- Windows and macOS (run by .github/workflows/release.yml) ----------------------------

def windows_installer(bundle: Path, version: str, dist: Path, work: Path) -> list[Path]:
    iscc = shutil.which("iscc") or r"C:\Program Files (x86)\Inno Setup 6\ISCC.exe"
    if not Path(iscc).is_file():
        raise SystemExit("Inno Setup's iscc not found: choco install innosetup")
    icons = render_icons(work / "icons")
    subprocess.run(
        [iscc, f"/DAppVersion={version}", f"/DBundleDir={bundle}", f"/DIconFile={icons.ico}",
         f"/DOutputDir={dist}", str(HERE / "windows" / f"{APP}.iss")],
        check=True,
    )
    return [dist / f"{APP}-{version}-windows-x64-setup.exe"]


def macos_dmg(bundle: Path, version: str, dist: Path, work: Path) -> list[Path]:
    app = bundle.parent / "SqueezeApp.app"
    target = dist / f"SqueezeApp-{version}-macos-{platform.machine()}.dmg"
    subprocess.run(["bash", str(HERE / "macos" / "make-dmg.sh"), str(app), str(target)], check=True)
    return [target]


# --- helpers -----------------------------------------------------------------------------

def _copy(source: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, target)


def _write(target: Path, text: str) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text, encoding="utf-8")


def _write_gzip(target: Path, text: str) -> None:
    """gzip -9n: no name, no timestamp, so the same text gives the same bytes."""
    target.parent.mkdir(parents=True, exist_ok=True)
    with target.open("wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", compresslevel=9,
                                                 filename="", mtime=0) as stream:
        stream.write(text.encode("utf-8"))


def _size(path: Path) -> str:
    total = path.stat().st_size if path.is_file() else sum(
        p.stat().st_size for p in path.rglob("*") if p.is_file() and not p.is_symlink())
    return f"{total / 1e6:.1f} MB"


INSTALLERS: dict[str, Callable[[Path, str, Path, Path], list[Path]]] = {
    "linux": linux_installers,
    "win32": windows_installer,
    "darwin": macos_dmg,
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dist", type=Path, default=ROOT / "dist", help="where installers go")
    parser.add_argument("--work", type=Path, default=ROOT / "build", help="scratch folder")
    parser.add_argument("--bundle-only", action="store_true", help="skip the installers")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="build: %(message)s")
    version = project_version()
    args.dist.mkdir(parents=True, exist_ok=True)

    started = time.perf_counter()
    bundle = build_bundle(args.work.resolve())
    logger.info("bundle %s: %s in %.0f s", bundle, _size(bundle), time.perf_counter() - started)
    if args.bundle_only:
        return 0
    make = INSTALLERS.get("linux" if sys.platform.startswith("linux") else sys.platform)
    if make is None:
        raise SystemExit(f"no installer recipe for {sys.platform}")
    for artifact in make(bundle, version, args.dist.resolve(), args.work.resolve()):
        logger.info("%s: %s", artifact, _size(artifact))
    logger.info("done in %.0f s", time.perf_counter() - started)
    return 0


if __name__ == "__main__":
    sys.exit(main())
