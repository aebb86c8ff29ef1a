"""Render resources/icons/squeezeapp.svg to the icon files each platform wants.

Qt's SVG renderer draws the PNGs (the same renderer the app uses for its window icon); Pillow
writes the multi-size Windows .ico and macOS .icns, which Qt's own writers cannot (they store
one size per file).

    python packaging/icons.py OUT_DIR
"""

from __future__ import annotations

import argparse
import os
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SOURCE_SVG = ROOT / "resources" / "icons" / "squeezeapp.svg"
PNG_SIZES = (16, 24, 32, 48, 64, 128, 256, 512, 1024)
ICO_SIZES = (16, 24, 32, 48, 64, 128, 256)


@dataclass(frozen=True)
class IconSet:
    """Where the rendered icons are: one PNG per size, plus .ico and .icns."""

    svg: Path
    pngs: dict[int, Path]
    ico: Path
    icns: Path


def render_icons(out_dir: Path, svg: Path = SOURCE_SVG) -> IconSet:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PIL import Image
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QGuiApplication, QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    _app = QGuiApplication.instance() or QGuiApplication([sys.argv[0]])
    renderer = QSvgRenderer(str(svg))
    if not renderer.isValid():
        raise SystemExit(f"cannot read {svg}")
    out_dir.mkdir(parents=True, exist_ok=True)
    pngs: dict[int, Path] = {}
    for size in PNG_SIZES:
        image = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
        image.fill(Qt.GlobalColor.transparent)
        painter = QPainter(image)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        renderer.render(painter)
        painter.end()
        pngs[size] = out_dir / f"squeezeapp-{size}.png"
        if not image.save(str(pngs[size]), "PNG"):
            raise SystemExit(f"cannot write {pngs[size]}")
    largest = Image.open(pngs[max(PNG_SIZES)])
    ico = out_dir / "squeezeapp.ico"
    largest.save(ico, sizes=[(s, s) for s in ICO_SIZES])
    icns = out_dir / "squeezeapp.icns"
    largest.save(icns)
    return IconSet(svg=svg, pngs=pngs, ico=ico, icns=icns)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out_dir", type=Path)
    icons = render_icons(parser.parse_args().out_dir)
    print("\n".join(str(p) for p in (*icons.pngs.values(), icons.ico, icons.icns)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
