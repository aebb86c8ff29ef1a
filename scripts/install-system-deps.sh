#!/usr/bin/env bash
# Install the Debian/Ubuntu packages Qt's xcb/Wayland plugins and the tests need (binutils:
# objdump and strip for the .deb's Depends and the bundle; patchelf: drops the build machine's
# RUNPATH; desktop-file-utils, appstream, man-db: validators of the desktop entry, metainfo and
# man page; strace: the privacy tests watch for network connections; xz-utils: the tarball;
# libimage-exiftool-perl: test-only, the XMP sidecar tests read what was written with exiftool).
# Runs apt-get only for missing packages, and only as root with apt available; otherwise it
# prints the command to run and carries on (the CLI works without them).
set -euo pipefail

packages=(
  libegl1 libgl1 libglib2.0-0 libxkbcommon0 libxkbcommon-x11-0 libfontconfig1 libfreetype6
  fonts-dejavu-core libdbus-1-3 libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 libxcb-shape0
  libxcb-xinerama0 libxcb-randr0 libxcb-render-util0 libxcb-image0 libxcb-xkb1 libx11-xcb1
  libwayland-client0 libwayland-cursor0 libwayland-egl1
  xvfb xauth binutils patchelf desktop-file-utils appstream man-db strace xz-utils
  libimage-exiftool-perl
)

if ! command -v dpkg-query >/dev/null 2>&1; then
  echo "install-system-deps: not a Debian/Ubuntu system; install Qt 6's xcb dependencies yourself" >&2
  exit 0
fi

missing=()
for pkg in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
  [[ "$status" == "install ok installed" ]] || missing+=("$pkg")
done
[[ ${#missing[@]} -eq 0 ]] && exit 0

if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null 2>&1; then
  echo "install-system-deps: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  echo "install-system-deps: missing system packages: ${missing[*]}" >&2
  echo "  run: sudo apt-get install ${missing[*]}" >&2
fi
