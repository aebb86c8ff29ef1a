"""What a Linux bundle needs from the system, read from its ELF files (objdump, binutils).

The bundle carries everything except the C and C++ runtimes (SYSTEM_RUNTIME below) and the
libraries listed in packaging/linux/depends.txt (GL, X, Wayland, fonts). For the runtimes the
minimum package version follows from the symbol versions the bundle imports, the way
dpkg-shlibdeps derives it: GLIBC_2.35 needs libc6 2.35, GLIBCXX_3.4.29 needs GCC 11's libstdc++.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class RuntimeLibrary:
    """A system library the bundle must not carry, and the Debian package that provides it."""

    soname: str
    package: str
    symbol_prefix: str | None  # the ELF version namespace its symbols use (None: unversioned)


SYSTEM_RUNTIME = (
    RuntimeLibrary("libstdc++.so.6", "libstdc++6", "GLIBCXX_"),
    RuntimeLibrary("libgcc_s.so.1", "libgcc-s1", "GCC_"),
    RuntimeLibrary("libexpat.so.1", "libexpat1", None),
)
SYSTEM_RUNTIME_SONAMES = frozenset(lib.soname for lib in SYSTEM_RUNTIME)

# GLIBCXX_3.4.N → the GCC release whose libstdc++ first exported it (libstdc++ manual, "ABI
# Policy and Guidelines"); Debian's libstdc++6 package carries the GCC version.
GLIBCXX_GCC = {19: "4.8", 20: "4.9", 21: "5", 22: "6", 23: "7", 24: "7.2", 25: "8", 26: "9",
               27: "9.2", 28: "9.3", 29: "11", 30: "12", 31: "13", 32: "13.2", 33: "14"}


def elf_files(folder: Path) -> Iterator[Path]:
    """Every regular file under folder that starts with the ELF magic number."""
    for path in sorted(folder.rglob("*")):
        if path.is_file() and not path.is_symlink():
            with path.open("rb") as stream:
                if stream.read(4) == b"\x7fELF":
                    yield path


def _objdump(*args: str) -> str:
    if shutil.which("objdump") is None:
        raise SystemExit("objdump not found: install binutils (make setup does)")
    # check=False: a file without dynamic symbols makes objdump complain; it imports none
    return subprocess.run(["objdump", *args], capture_output=True, text=True, check=False).stdout


@dataclass(frozen=True)
class ElfNeeds:
    """The union over a folder's ELF files of what they import."""

    sonames: frozenset[str]
    versions: frozenset[str]  # e.g. GLIBC_2.34, GLIBCXX_3.4.29, GCC_3.0

    def newest(self, prefix: str) -> tuple[int, ...] | None:
        """The highest version number with this prefix (GLIBC_ → (2, 35)), or None."""
        found = [tuple(int(part) for part in v.removeprefix(prefix).split("."))
                 for v in self.versions
                 if v.startswith(prefix) and re.fullmatch(r"[\d.]+", v.removeprefix(prefix))]
        return max(found, default=None)


def scan(folder: Path) -> ElfNeeds:
    """Read NEEDED entries and version references (objdump -p) of every ELF file in folder."""
    sonames: set[str] = set()
    versions: set[str] = set()
    files = [str(path) for path in elf_files(folder)]
    for start in range(0, len(files), 200):  # one objdump per 200 files: fast, short arg lists
        dump = _objdump("-p", *files[start:start + 200])
        sonames.update(re.findall(r"^\s+NEEDED\s+(\S+)$", dump, re.MULTILINE))
        versions.update(re.findall(r"^\s+0x[0-9a-f]+ 0x\d+ \d+ (\S+)$", dump, re.MULTILINE))
    return ElfNeeds(frozenset(sonames), frozenset(versions))


def _dotted(version: tuple[int, ...]) -> str:
    return ".".join(str(part) for part in version)


def glibc_floor(needs: ElfNeeds) -> str:
    """The oldest glibc that has every GLIBC_x.y version the bundle imports."""
    return _dotted(needs.newest("GLIBC_") or (2, 17))


def runtime_depends(needs: ElfNeeds) -> list[str]:
    """Debian Depends for libc6 and for each system runtime library the bundle links to."""
    depends = [f"libc6 (>= {glibc_floor(needs)})"]
    for lib in SYSTEM_RUNTIME:
        if lib.soname not in needs.sonames:
            continue
        newest = needs.newest(lib.symbol_prefix) if lib.symbol_prefix else None
        if newest is None:
            depends.append(lib.package)
        elif lib.symbol_prefix == "GLIBCXX_":
            gcc = GLIBCXX_GCC.get(newest[-1]) if newest[:2] == (3, 4) else None
            if gcc is None:
                raise SystemExit(f"GLIBCXX_{_dotted(newest)}: add its GCC release to GLIBCXX_GCC")
            depends.append(f"{lib.package} (>= {gcc})")
        else:
            depends.append(f"{lib.package} (>= {_dotted(newest)})")
    return depends
