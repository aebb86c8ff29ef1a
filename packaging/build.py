"""`make dist`: build the PyInstaller bundle, then this platform's installers, into dist/.

    Linux    dist/squeezeapp-<version>-linux-<machine>.tar.gz
             dist/squeezeapp_<version>_<arch>.deb          (dpkg-deb)
    Windows  dist/squeezeapp-<version>-windows-x64-setup.exe (Inno Setup's iscc)
    macOS    dist/SqueezeApp-<version>-macos-<machine>.dmg  (hdiutil)

The default model comes from $SQUEEZEAPP_MODEL_DIR (see packaging/prepare.py).
"""

from __future__ import annotations

import argparse
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
from pathlib import Path

from icons import render_icons
from prepare import ROOT, project_version

HERE = Path(__file__).resolve().parent
SPEC = HERE / "squeezeapp.spec"
LINUX = HERE / "linux"
APP = "squeezeapp"
HICOLOR_SIZES = (16, 24, 32, 48, 64, 128, 256, 512)
DEB_ARCH = {"x86_64": "amd64", "aarch64": "arm64"}

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
    icons = render_icons(work / "icons")
    share = work / "share"
    if share.exists():
        shutil.rmtree(share)
    _install_desktop_files(share, icons)
    return [build_tarball(bundle, share, version, dist),
            build_deb(bundle, share, version, dist, work)]


def _install_desktop_files(share: Path, icons) -> None:
    """The freedesktop.org layout under share/: .desktop entry and hicolor icons."""
    _copy(LINUX / f"{APP}.desktop", share / "applications" / f"{APP}.desktop")
    _copy(icons.svg, share / "icons" / "hicolor" / "scalable" / "apps" / f"{APP}.svg")
    for size in HICOLOR_SIZES:
        hicolor = share / "icons" / "hicolor" / f"{size}x{size}" / "apps"
        _copy(icons.pngs[size], hicolor / f"{APP}.png")


def build_tarball(bundle: Path, share: Path, version: str, dist: Path) -> Path:
    """The bundle plus share/ (desktop entry, icons) under one top folder."""
    top = f"{APP}-{version}-linux-{platform.machine()}"
    target = dist / f"{top}.tar.gz"
    with tarfile.open(target, "w:gz", compresslevel=6) as tar:
        tar.add(bundle, arcname=top, filter=_owned_by_root)
        tar.add(share, arcname=f"{top}/share", filter=_owned_by_root)
    return target


def _owned_by_root(info: tarfile.TarInfo) -> tarfile.TarInfo:
    info.uid = info.gid = 0
    info.uname = info.gname = "root"
    return info


def build_deb(bundle: Path, share: Path, version: str, dist: Path, work: Path) -> Path:
    """/opt/squeezeapp, /usr/bin/squeezeapp, the desktop entry and icons, built by dpkg-deb."""
    arch = DEB_ARCH.get(platform.machine(), platform.machine())
    root = work / "deb-root"
    if root.exists():
        shutil.rmtree(root)
    shutil.copytree(bundle, root / "opt" / APP, symlinks=True)
    (root / "usr" / "bin").mkdir(parents=True)
    (root / "usr" / "bin" / APP).symlink_to(f"/opt/{APP}/{APP}")
    shutil.copytree(share, root / "usr" / "share", dirs_exist_ok=True)
    _copy(LINUX / "copyright", root / "usr" / "share" / "doc" / APP / "copyright")
    control = (LINUX / "control.in").read_text(encoding="utf-8").format(
        version=version,
        arch=arch,
        installed_size=_installed_size_kib(root),
        depends=", ".join(debian_depends(bundle)),
    )
    _write(root / "DEBIAN" / "control", control)
    for path in root.rglob("*"):  # dpkg-deb insists on sane modes; umasks vary between machines
        if not path.is_symlink():
            path.chmod(0o755 if path.is_dir() or os.access(path, os.X_OK) else 0o644)
    target = dist / f"{APP}_{version}_{arch}.deb"
    subprocess.run(["dpkg-deb", "--root-owner-group", "-Zxz", "--build", str(root), str(target)],
                   check=True, stdout=subprocess.DEVNULL)
    return target


def debian_depends(bundle: Path) -> list[str]:
    """packaging/linux/depends.txt, led by the libc6 the bundle's symbol versions require."""
    listed = [line.strip() for line in (LINUX / "depends.txt").read_text().splitlines()
              if line.strip() and not line.startswith("#")]
    return [f"libc6 (>= {glibc_requirement(bundle)})", *listed]


def glibc_requirement(bundle: Path) -> str:
    """The newest GLIBC_x.y symbol version any ELF file in the bundle imports."""
    if shutil.which("objdump") is None:
        raise SystemExit("objdump not found: install binutils (make setup does)")
    newest = (2, 17)
    for path in _elf_files(bundle):
        # check=False: a file without dynamic symbols makes objdump complain; it imports none
        dump = subprocess.run(["objdump", "-T", str(path)], capture_output=True, text=True,
                              check=False).stdout
        for line in dump.splitlines():
            if "*UND*" in line:
                for found in re.findall(r"\bGLIBC_(\d+)\.(\d+)", line):
                    newest = max(newest, (int(found[0]), int(found[1])))
    return f"{newest[0]}.{newest[1]}"


def _elf_files(folder: Path):
    for path in folder.rglob("*"):
        if path.is_file() and not path.is_symlink():
            with path.open("rb") as stream:
                if stream.read(4) == b"\x7fELF":
                    yield path


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
