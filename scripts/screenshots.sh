#!/usr/bin/env bash
# Regenerate docs/screenshot-*.png and print live metrics: the real window under Xvfb, on a real
# photo and on a 30 fps 1280x720 clip made from the shared photos; the results view of the shared
# photos' folder, the heatmap on a still and on the clip, and the teach panel. Then the pictures
# of every window state and their gallery, docs/state-*.png and docs/states.md. Last, the figures: the live
# metrics, and the largest GUI stall while folders of 2,000 and 10,000 links are classified.
set -euo pipefail
cd "$(dirname "$0")/.."
images=${SQUEEZEAPP_SAMPLE_IMAGES:?point SQUEEZEAPP_SAMPLE_IMAGES at the shared photos}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export XDG_CONFIG_HOME="$work/config"   # do not touch the user's settings
export SQUEEZEAPP_CACHE_DIR="$work/cache"  # nor the user's model cache
photos=("$images"/n01820546_*.JPEG "$images"/n01530575_*.JPEG "$images"/n02114548_*.JPEG \
        "$images"/n02444819_*.JPEG "$images"/n04562935_*.JPEG)
.venv/bin/python -m tests.fakes "$work/clip.mp4" 1280x720 "${photos[@]}"
run() { xvfb-run -a -s "-screen 0 1280x800x24" .venv/bin/squeezeapp gui "$@"; }
run --source "$images/n02007558_flamingo.JPEG" --exit-after 3 --screenshot docs/screenshot-photo.png
run --source "$work/clip.mp4" --exit-after 5 --screenshot docs/screenshot-live.png
xvfb-run -a -s "-screen 0 1280x800x24" .venv/bin/python -m scripts.window_screenshots "$work/clip.mp4"
xvfb-run -a -s "-screen 0 1280x800x24" .venv/bin/python -m scripts.state_screenshots
XDG_DATA_HOME="$work/data" xvfb-run -a -s "-screen 0 1280x800x24" \
  .venv/bin/python -m scripts.teach_screenshots
QT_QPA_PLATFORM=offscreen .venv/bin/squeezeapp gui --source "$work/clip.mp4" --exit-after 20 \
  --metrics-json "$work/metrics.json"
# keep the committed pictures small (a 256-colour palette is plenty for a UI screenshot); the
# ones full of photos are dithered, or their gradients (and heatmaps) turn into flat bands
.venv/bin/python - docs/state-*.png -- docs/screenshot-*.png <<'PY'
import sys
from PIL import Image
dither = False
for name in sys.argv[1:]:
    if name == "--":
        dither = True
        continue
    picture = Image.open(name).convert("RGB")
    palette = picture.quantize(256, dither=Image.Dither.NONE)
    if dither:
        palette = picture.quantize(palette=palette, dither=Image.Dither.FLOYDSTEINBERG)
    palette.save(name, optimize=True)
PY
cat "$work/metrics.json"
xvfb-run -a -s "-screen 0 1280x800x24" .venv/bin/python -m scripts.results_stall --files 2000 10000
