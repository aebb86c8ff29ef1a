"""What a bundle needs before PyInstaller runs: the version, the models, the icons.

The model is never in the repository. It is copied from `$SQUEEZEAPP_MODEL_DIR` and checked
against the registry's SHA-256; where that variable is unset (a release runner), the ONNX Model
Zoo file is downloaded with the same verified downloader the app uses.

The fast int8 model is built from it here (`stage_fast_model`), calibrated and evaluated on
labelled photos from `$SQUEEZEAPP_CALIBRATION_IMAGES`, else `$SQUEEZEAPP_SAMPLE_IMAGES` (the
Makefile points it at ../shared/images/imagenet-sample). `$SQUEEZEAPP_FAST_MODEL` says what
happens without photos: `auto` (default) bundles the float model alone and says so loudly,
`required` stops the build (`make test-packaging` in CI), `off` skips the fast model. A build
takes about 40 s and 3.7 GB of memory on two cores, so the result is cached in
build/fast-model-cache (`$SQUEEZEAPP_FAST_MODEL_CACHE`), keyed by everything it depends on.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import sys
import time
import tomllib
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = ROOT / "pyproject.toml"
CALIBRATION_ENV = "SQUEEZEAPP_CALIBRATION_IMAGES"
SAMPLE_IMAGES_ENV = "SQUEEZEAPP_SAMPLE_IMAGES"
FAST_MODEL_ENV = "SQUEEZEAPP_FAST_MODEL"
FAST_MODEL_POLICIES = ("auto", "required", "off")
FAST_CACHE_ENV = "SQUEEZEAPP_FAST_MODEL_CACHE"
DEFAULT_FAST_CACHE = ROOT / "build" / "fast-model-cache"

logger = logging.getLogger(__name__)


def project_version() -> str:
    """The one version number, from pyproject.toml (the spec, installers and CLI agree)."""
    with PYPROJECT.open("rb") as stream:
        return tomllib.load(stream)["project"]["version"]


def stage_default_model(dest: Path) -> Path:
    """Put the default model (and labels file, if it has one) into `dest`; return the model."""
    from squeezeapp.core.common.errors import DownloadError
    from squeezeapp.core.common.hashing import file_sha256
    from squeezeapp.core.models.download import download_known_model
    from squeezeapp.core.models.lookup import DEFAULT_MODEL_NAME
    from squeezeapp.core.models.paths import MODEL_DIR_ENV
    from squeezeapp.core.models.registry import ZOO_MODEL, known_by_name

    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    source_dir = os.environ.get(MODEL_DIR_ENV)
    if not source_dir:
        logger.warning("%s is unset: bundling the downloaded %s", MODEL_DIR_ENV, ZOO_MODEL.name)
        try:
            return download_known_model(ZOO_MODEL, dest)
        except DownloadError as error:
            raise SystemExit(f"{error}\nSet {MODEL_DIR_ENV} to a folder with "
                             f"{DEFAULT_MODEL_NAME}.onnx to build offline.") from None
    source = Path(source_dir) / f"{DEFAULT_MODEL_NAME}.onnx"
    known = known_by_name(DEFAULT_MODEL_NAME)
    if not source.is_file():
        raise SystemExit(f"{source} not found ({MODEL_DIR_ENV}={source_dir})")
    digest = file_sha256(source)
    if known is None or digest != known.sha256:
        raise SystemExit(f"{source}: SHA-256 {digest} is not the registry's {DEFAULT_MODEL_NAME}")
    target = dest / source.name
    shutil.copyfile(source, target)
    return target


def calibration_photos_dir() -> Path | None:
    """Where the fast model's calibration and held-out photos come from, or None."""
    for env in (CALIBRATION_ENV, SAMPLE_IMAGES_ENV):
        value = os.environ.get(env, "").strip()
        if value:
            return Path(value).expanduser()
    return None


def fast_model_policy() -> str:
    policy = os.environ.get(FAST_MODEL_ENV, "auto").strip().lower() or "auto"
    if policy not in FAST_MODEL_POLICIES:
        raise SystemExit(f"{FAST_MODEL_ENV}={policy!r}: expected one of "
                         f"{', '.join(FAST_MODEL_POLICIES)}")
    return policy


def stage_fast_model(float_model: Path, photos: Path | None = None, policy: str | None = None,
                     cache: Path | None = None,
                     build: Callable[[Path, Path, Path], object] | None = None) -> Path | None:
    """Build `<stem>-int8.onnx` beside `float_model` (None when skipped, see the module doc).

    `build` defaults to quantize.build_fast_model (tests pass a stand-in to check the policy
    and the cache without a 40-second build)."""
    from squeezeapp.core.imaging.decode import expand_image_paths
    from squeezeapp.core.models.lookup import FAST_SUFFIX

    policy = policy or fast_model_policy()
    photos = photos if photos is not None else calibration_photos_dir()
    if policy == "off":
        logger.info("%s=off: no fast model", FAST_MODEL_ENV)
        return None
    found = (sorted(expand_image_paths([photos], recursive=True))
             if photos is not None and photos.is_dir() else [])
    if not found:
        why = (f"no calibration photos ({CALIBRATION_ENV} and {SAMPLE_IMAGES_ENV} are unset)"
               if photos is None else f"no photos in {photos}")
        if policy == "required":
            raise SystemExit(f"{why}, and {FAST_MODEL_ENV}=required: the fast int8 model cannot "
                             f"be built. Point {CALIBRATION_ENV} at a folder of labelled "
                             "photos (<wnid>_<name>.JPEG, 50 or more).")
        _loud_warning(f"{why}: the installers will ship the float model only, without "
                      "'SqueezeNet 1.1 (fast, int8)'")
        return None
    target = float_model.with_name(f"{float_model.stem}{FAST_SUFFIX}{float_model.suffix}")
    cache = cache or Path(os.environ.get(FAST_CACHE_ENV) or DEFAULT_FAST_CACHE)
    cached = cache / f"{float_model.stem}{FAST_SUFFIX}-{fast_model_key(float_model, found)}.onnx"
    if cached.is_file():
        print(f"fast model: reusing {cached}", file=sys.stderr)
    else:
        if build is None:
            from squeezeapp.core.modeltools.quantize import build_fast_model as build
        cache.mkdir(parents=True, exist_ok=True)
        partial = cached.with_name(f".{cached.stem}.part{cached.suffix}")
        started = time.perf_counter()
        build(float_model, photos, partial)
        partial.replace(cached)
        print(f"fast model: built {cached.name} from {len(found)} photos in "
              f"{time.perf_counter() - started:.1f} s", file=sys.stderr)
    shutil.copyfile(cached, target)
    return target


def fast_model_key(float_model: Path, photos: list[Path]) -> str:
    """What a built fast model depends on: the float file, each photo (name and content), the
    recipe's version and the onnxruntime/onnx versions that quantised it."""
    import onnx
    import onnxruntime

    from squeezeapp.core.common.hashing import file_sha256
    from squeezeapp.core.modeltools.quantize import RECIPE_VERSION

    facts = {
        "recipe": RECIPE_VERSION, "onnxruntime": onnxruntime.__version__,
        "onnx": onnx.__version__, "float_sha256": file_sha256(float_model),
        "photos": [[path.name, file_sha256(path)] for path in photos],
    }
    return hashlib.sha256(json.dumps(facts, sort_keys=True).encode()).hexdigest()[:16]


def _loud_warning(message: str) -> None:
    """Seen in a terminal's scroll-back and, on GitHub Actions, as an annotation on the run."""
    logger.warning(message)
    banner = "!" * 78
    print(f"\n{banner}\nWARNING: {message}\n{banner}\n", file=sys.stderr)
    if os.environ.get("GITHUB_ACTIONS") == "true":
        print(f"::warning title=No fast int8 model::{message}", file=sys.stderr)
