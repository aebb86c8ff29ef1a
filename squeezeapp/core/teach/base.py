"""Which model to teach from: always an ImageNet backbone. A taught model (its metadata has a
`teach` record) cannot be taught again (its graph already carries a head), so teaching from one
goes back to the base it was taught from, when that file is here, or to the default model."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from squeezeapp.core.common.errors import SqueezeappError
from squeezeapp.core.common.hashing import file_sha256
from squeezeapp.core.models.lookup import find_model
from squeezeapp.core.models.model_file import load_model_proto
from squeezeapp.core.teach.project import TeachError

TEACH_KEY = "teach"  # the metadata key export.py writes


def teach_record_of(path: Path) -> dict[str, Any] | None:
    """The `teach` record of a model file, or None for a model that was not taught (or whose
    metadata cannot be read: loading it says why)."""
    try:
        model = load_model_proto(path, load_external_data=False)
        metadata = {entry.key: entry.value for entry in model.metadata_props}
    except (SqueezeappError, OSError, ValueError, UnicodeDecodeError):
        return None
    text = metadata.get(TEACH_KEY)
    if not isinstance(text, str):
        return None
    try:
        record = json.loads(text)
    except ValueError:
        return {}
    return record if isinstance(record, dict) else {}


def teach_base(path: Path) -> Path:
    """`path` itself for an ImageNet model; for a taught one, the base recorded in it when that
    file is here with the same weights, else the default model. TeachError when no base is
    found (the default model is itself a taught one, or missing)."""
    record = teach_record_of(path)
    if record is None:
        return path
    name, sha = record.get("base_model"), record.get("base_sha256")
    if isinstance(name, str) and name and isinstance(sha, str):
        try:
            candidate = find_model(name).path
            if file_sha256(candidate) == sha and teach_record_of(candidate) is None:
                return candidate
        except (SqueezeappError, OSError):
            pass
    try:
        default = find_model(None).path
    except SqueezeappError as error:
        raise TeachError(f"{path.name} is a taught model and its ImageNet base was not found "
                         f"({error})") from None
    if teach_record_of(default) is not None:
        raise TeachError(f"{path.name} is a taught model; teach from an ImageNet model "
                         "(--model squeezenet1.1)")
    return default
