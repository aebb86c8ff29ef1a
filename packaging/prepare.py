"""What a bundle needs before PyInstaller runs: the version, the default model, the icons.

The model is never in the repository. It is copied from `$SQUEEZEAPP_MODEL_DIR` and checked
against the registry's SHA-256; where that variable is unset (a release runner), the ONNX Model
Zoo file is downloaded with the same verified downloader the app uses.
"""

from __future__ import annotations

import logging
import os
import shutil
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = ROOT / "pyproject.toml"

logger = logging.getLogger(__name__)


def project_version() -> str:
    """The one version number, from pyproject.toml (the spec, installers and CLI agree)."""
    with PYPROJECT.open("rb") as stream:
        return tomllib.load(stream)["project"]["version"]


def stage_default_model(dest: Path) -> Path:
    """Put the default model (and labels file, if it has one) into `dest`; return the model."""
    from squeezeapp.core.download import download_known_model
    from squeezeapp.core.errors import DownloadError
    from squeezeapp.core.hashing import file_sha256
    from squeezeapp.core.models import DEFAULT_MODEL_NAME
    from squeezeapp.core.paths import MODEL_DIR_ENV
    from squeezeapp.core.registry import ZOO_MODEL, known_by_name

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
