"""The macOS a bundle needs: the highest minimum among the wheels whose binaries it carries.

A wheel's platform tag states the oldest macOS its binaries load on (macosx_14_0_arm64: 14.0).
The .app can start only where every one of them loads, so LSMinimumSystemVersion is the highest
of those minimums. For one wheel the lowest of its own tags counts (a wheel tagged for two
macOS versions loads on the older). Pure-Python wheels (py3-none-any) constrain nothing.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from importlib.metadata import distributions

MACOS_TAG = re.compile(r"macosx_(\d+)_(\d+)_(\w+)$")
# A wheel tagged for one of these architectures has binaries for the machine named.
ARCH_TAGS = {
    "arm64": {"arm64", "universal2", "universal"},
    "x86_64": {"x86_64", "intel", "universal2", "universal", "fat64", "fat3"},
}


def wheel_minimum(tags: Iterable[str], machine: str) -> tuple[int, int] | None:
    """The oldest macOS one wheel (given its tags, e.g. cp311-cp311-macosx_14_0_arm64) runs on."""
    versions = []
    for tag in tags:
        for platform_tag in tag.split("-")[-1].split("."):  # compressed tag sets: a.b
            match = MACOS_TAG.match(platform_tag)
            if match and match[3] in ARCH_TAGS[machine]:
                versions.append((int(match[1]), int(match[2])))
    return min(versions, default=None)


def bundle_minimum(wheels: Iterable[Iterable[str]], machine: str,
                   floor: tuple[int, int] = (11, 0)) -> str:
    """LSMinimumSystemVersion ("14.0") for the wheels (each an iterable of tags) in a bundle."""
    found = [wheel_minimum(tags, machine) for tags in wheels]
    newest = max([floor, *(version for version in found if version is not None)])
    return f"{newest[0]}.{newest[1]}"


def installed_wheel_tags() -> list[list[str]]:
    """Tag lines of every installed distribution's WHEEL file (the bundle's sources: the
    release environment holds only the lock, packaging/requirements-release.txt)."""
    tags = []
    for dist in distributions():
        wheel = dist.read_text("WHEEL") or ""
        tags.append([line.partition(":")[2].strip() for line in wheel.splitlines()
                     if line.startswith("Tag:")])
    return tags
