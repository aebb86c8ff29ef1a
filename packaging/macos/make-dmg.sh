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
hdiutil create -volname "SqueezeApp" -srcfolder "$staging" -fs HFS+ -format UDZO -ov "$dmg"
hdiutil verify "$dmg"
