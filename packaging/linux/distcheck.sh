#!/usr/bin/env bash
# `make distcheck`: install the built .deb and tarball into minimal Debian 12, Ubuntu 22.04 and
# Ubuntu 24.04 roots and use them there (--selftest, classify). Not part of `make test`: it
# needs root, debootstrap and a few minutes per system the first time.
#
#   packaging/linux/distcheck.sh DIST_DIR SAMPLE_IMAGE
#
# Roots are made once with `debootstrap --variant=minbase` and cached under build/distcheck/
# (delete a folder to refresh it). Each check runs in a throw-away copy of the cached root:
#   deb      apt-get install ./squeezeapp_*.deb   (its Depends pull every system library)
#   tarball  the README's one apt line (plus xz-utils), then the tarball unpacked into /opt
# The result table (markdown) goes to stdout and build/distcheck/results.md.
set -euo pipefail

dist=$(cd "${1:?usage: distcheck.sh DIST_DIR SAMPLE_IMAGE}" && pwd)
image=$(realpath "${2:?usage: distcheck.sh DIST_DIR SAMPLE_IMAGE}")
here=$(cd "$(dirname "$0")" && pwd)
cache=$(realpath -m "$here/../../build/distcheck")
debian_mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
ubuntu_mirror=${UBUNTU_MIRROR:-http://archive.ubuntu.com/ubuntu}
# The Ubuntu archive signing key (2018); its keyring comes from the Ubuntu archive itself and is
# used only if it holds exactly this fingerprint.
ubuntu_key=F6ECB3762474EDA9D21B7022871920D1991BC93C
# The tarball's system libraries: the same line the README gives users.
tarball_apt_line=$(sed -n 's/^ *sudo apt-get install --no-install-recommends \(lib.*\)$/\1/p' \
  "$here/../../README.md" | head -1)
systems=${DISTCHECK_SYSTEMS:-"debian:bookworm ubuntu:jammy ubuntu:noble"}

[[ $(id -u) -eq 0 ]] || { echo "distcheck: needs root (debootstrap, chroot)" >&2; exit 1; }
command -v debootstrap >/dev/null || { echo "distcheck: apt-get install debootstrap" >&2; exit 1; }
mkdir -p "$cache"

ubuntu_keyring() {
  local keyring=$cache/ubuntu-archive-keyring.gpg
  if [[ ! -s $keyring ]]; then
    local tmp; tmp=$(mktemp -d)
    curl -fsSL --retry 3 -o "$tmp/k.deb" \
      "$ubuntu_mirror/pool/main/u/ubuntu-keyring/ubuntu-keyring_2021.03.26_all.deb"
    dpkg-deb -x "$tmp/k.deb" "$tmp/x"
    gpg --batch --no-default-keyring --keyring "$tmp/x/usr/share/keyrings/ubuntu-archive-keyring.gpg" \
      --with-colons --list-keys 2>/dev/null | grep -q "^fpr:*$ubuntu_key:" \
      || { echo "distcheck: Ubuntu keyring lacks $ubuntu_key" >&2; exit 1; }
    cp "$tmp/x/usr/share/keyrings/ubuntu-archive-keyring.gpg" "$keyring"
    rm -rf "$tmp"
  fi
  echo "$keyring"
}

make_root() {  # distro suite → cached root folder
  local distro=$1 suite=$2 root=$cache/$1-$2
  if [[ ! -f $root/.complete ]]; then
    rm -rf "$root"
    if [[ $distro == debian ]]; then
      debootstrap --variant=minbase "$suite" "$root" "$debian_mirror" >&2
      echo "deb $debian_mirror $suite main" > "$root/etc/apt/sources.list"
    else
      # every Ubuntu suite uses the same script; older debootstraps do not know newer names
      debootstrap --variant=minbase --components=main,universe --keyring="$(ubuntu_keyring)" \
        "$suite" "$root" "$ubuntu_mirror" /usr/share/debootstrap/scripts/gutsy >&2
      printf 'deb %s %s main universe\ndeb %s %s-updates main universe\n' \
        "$ubuntu_mirror" "$suite" "$ubuntu_mirror" "$suite" > "$root/etc/apt/sources.list"
    fi
    chroot "$root" apt-get update -qq >&2
    touch "$root/.complete"
  fi
  echo "$root"
}

in_copy() {  # root script → run script (bash) in a throw-away copy of root
  local base=$1 script=$2 work status
  work=$(mktemp -d "$cache/run.XXXXXX")
  cp -a "$base/." "$work/"
  cp "$deb" "$tarball" "$image" "$work/tmp/"
  cp /etc/resolv.conf "$work/etc/resolv.conf"
  mount -t proc proc "$work/proc"
  set +e
  chroot "$work" env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 \
    DEBIAN_FRONTEND=noninteractive QT_QPA_PLATFORM=offscreen bash -euo pipefail -c "$script"
  status=$?
  set -e
  umount "$work/proc"
  rm -rf "$work"
  return $status
}

if [[ ${DISTCHECK_ROOTS_ONLY:-} == 1 ]]; then  # prepare the cache only
  for system in $systems; do make_root "${system%%:*}" "${system#*:}"; done
  exit 0
fi
deb=$(ls "$dist"/squeezeapp_*_amd64.deb | tail -1)
tarball=$(ls "$dist"/squeezeapp-*-linux-x86_64.tar.xz | tail -1)

use='squeezeapp --selftest | tail -1 && squeezeapp classify /tmp/'"$(basename "$image")"' | head -2'
deb_check="apt-get install -y -qq --no-install-recommends /tmp/$(basename "$deb") >/dev/null; $use"
[[ -n "$tarball_apt_line" ]] || { echo "distcheck: README has no tarball apt line" >&2; exit 1; }
# xz-utils: tar needs it to unpack .tar.xz (every desktop system has it; minbase roots do not)
tar_check="apt-get install -y -qq --no-install-recommends xz-utils $tarball_apt_line >/dev/null
tar -xJf /tmp/$(basename "$tarball") -C /opt
ln -s /opt/$(basename "$tarball" .tar.xz)/squeezeapp /usr/local/bin/squeezeapp
$use"

results=$cache/results.md
{
  echo "| System | glibc | .deb (apt install, --selftest, classify) | tarball (apt line, --selftest, classify) |"
  echo "|---|---|---|---|"
} > "$results"
failed=0
for system in $systems; do
  distro=${system%%:*} suite=${system#*:}
  echo "== $distro $suite" >&2
  root=$(make_root "$distro" "$suite")
  name=$(. "$root/etc/os-release" && echo "$PRETTY_NAME")
  glibc=$(chroot "$root" dpkg-query -W -f='${Version}' libc6)
  row="| $name | $glibc"
  for check in deb tarball; do
    script=$deb_check; [[ $check == tarball ]] && script=$tar_check
    log=$cache/$distro-$suite-$check.log
    if in_copy "$root" "$script" >"$log" 2>&1; then
      row+=" | ok: top-1 $(grep -m1 -o '^ *1\. .*' "$log" | sed 's/^ *1\. *//; s/  */ /g' || true)"
    else
      row+=" | FAILED (see ${log#"$cache/../../"})"; failed=1
    fi
    sed 's/^/    /' "$log" >&2
  done
  echo "$row |" >> "$results"
done
cat "$results"
exit $failed
