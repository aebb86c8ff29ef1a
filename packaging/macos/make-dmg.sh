#!/usr/bin/env bash
# Turn the PyInstaller .app into a drag-to-Applications disk image (runs on macOS only).
#   packaging/macos/make-dmg.sh build/pyinstaller/SqueezeApp.app dist/SqueezeApp-0.1.0-macos-arm64.dmg
# PyInstaller has already signed the bundle ad hoc, which is enough for the Mac that builds it
# and, after "Open" in the Finder's context menu, for others. With CODESIGN_IDENTITY set (a
# "Developer ID Application" certificate in the keychain) the app is re-signed with the
# hardened runtime and the camera entitlement, ready for `xcrun notarytool submit`.
set -euo pipefail

app=${1:?usage: make-dmg.sh APP DMG}
dmg=${2:?usage: make-dmg.sh APP DMG}
here=$(cd "$(dirname "$0")" && pwd)
plist="$app/Contents/Info.plist"

[[ -d "$app/Contents/MacOS" ]] || { echo "make-dmg: not an .app bundle: $app" >&2; exit 1; }
# Without NSCameraUsageDescription macOS kills the app the moment it opens the camera.
/usr/libexec/PlistBuddy -c "Print :NSCameraUsageDescription" "$plist" >/dev/null
executable=$(/usr/libexec/PlistBuddy -c "Print :CFBundleExecutable" "$plist")
[[ -x "$app/Contents/MacOS/$executable" ]] || { echo "make-dmg: $executable missing" >&2; exit 1; }

if [[ -n "${CODESIGN_IDENTITY:-}" ]]; then
  codesign --force --deep --timestamp --options runtime \
    --entitlements "$here/entitlements.plist" --sign "$CODESIGN_IDENTITY" "$app"
fi
codesign --verify --deep --strict "$app"

staging=$(mktemp -d)
trap 'rm -rf "$staging"' EXIT
ditto "$app" "$staging/$(basename "$app")"
ln -s /Applications "$staging/Applications"
mkdir -p "$(dirname "$dmg")"
rm -f "$dmg"
# hdiutil create fails now and then on hosted runners ("Resource busy", a Spotlight or XProtect
# scan holding the staging folder): try again, up to 5 times, with a growing pause.
for attempt in 1 2 3 4 5; do
  if hdiutil create -volname "SqueezeApp" -srcfolder "$staging" -fs HFS+ -format UDZO -ov "$dmg"; then
    break
  fi
  [[ $attempt -lt 5 ]] || { echo "make-dmg: hdiutil create failed 5 times" >&2; exit 1; }
  echo "make-dmg: hdiutil create failed (attempt $attempt), retrying" >&2
  sleep $((attempt * 10))
done
hdiutil verify "$dmg"
