"""The one name a model is shown by, wherever a person reads it: the Model menu, the status bar,
the canvas, About, `squeezeapp info` and `squeezeapp models list`.

The rule, in order: the `display_name` the file states (its ONNX metadata, else its sidecar
JSON); else a readable form of its `model_name` ('squeezenet1.1-caffe' is shown as 'SqueezeNet
1.1 (Caffe)'); else the file's stem, as the user named the file. It comes from a file, so it is
always one line of at most MAX_DISPLAY_NAME characters. `model_name` itself stays the model's
identifier (results, exports, caches); the file name stays beside the display name where there
is room (tooltips, About, the path column of `models list`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path

DISPLAY_NAME_KEY = "display_name"
MODEL_NAME_KEY = "model_name"
MAX_DISPLAY_NAME = 80  # characters: a menu item, a status bar label
# words of model names as their authors spell them; any other word is kept as written
_SPELLINGS = {"squeezenet": "SqueezeNet", "caffe": "Caffe"}
_VERSION = re.compile(r"v?\d+(?:\.\d+)*")
_FAMILY_AND_VERSION = re.compile(rf"([A-Za-z]+?)({_VERSION.pattern})")  # squeezenet1.1, mobilenetv2


def display_name(path: Path, *sources: Mapping[str, object]) -> str:
    """The name to show for the model file at `path`, from its metadata `sources` (the first
    that states a key wins: the ONNX metadata, then the sidecar)."""
    stated = _first_text(sources, DISPLAY_NAME_KEY)
    if stated:
        return one_line(stated)
    model_name = _first_text(sources, MODEL_NAME_KEY)
    return one_line(readable_model_name(model_name) if model_name else path.stem)


def readable_model_name(model_name: str) -> str:
    """'squeezenet1.1' -> 'SqueezeNet 1.1', 'squeezenet1.1-caffe' -> 'SqueezeNet 1.1 (Caffe)':
    the first word is the family and its version, the words after it (split at - and _) the
    variant. A name with spaces was written for people already: it is kept as it is."""
    words = [word for word in re.split(r"[-_]+", model_name) if word]
    if not words or any(char.isspace() for char in model_name):
        return model_name
    first, *variant = words
    if match := _FAMILY_AND_VERSION.fullmatch(first):
        first = f"{_spelled(match[1])} {match[2]}"
    elif variant and _VERSION.fullmatch(variant[0]):  # squeezenet_1.1
        first = f"{_spelled(first)} {variant.pop(0)}"
    else:
        first = _spelled(first)
    return with_qualifier(first, " ".join(_spelled(word) for word in variant))


def with_qualifier(name: str, qualifier: str) -> str:
    """'SqueezeNet 1.1' and 'fast, int8' -> 'SqueezeNet 1.1 (fast, int8)'; a name that ends in
    parentheses already gets it inside them: 'SqueezeNet 1.1 (Caffe, fast, int8)'."""
    if not qualifier:
        return name
    if name.endswith(")") and "(" in name:
        return f"{name[:-1]}, {qualifier})"
    return f"{name} ({qualifier})"


def one_line(text: str, limit: int = MAX_DISPLAY_NAME) -> str:
    """A name from a model file, fit for a menu item: one line, at most `limit` characters."""
    flat = " ".join(str(text).split())
    return flat if len(flat) <= limit else f"{flat[:limit - 1]}…"


def _spelled(word: str) -> str:
    return _SPELLINGS.get(word.lower(), word)


def _first_text(sources: tuple[Mapping[str, object], ...], key: str) -> str:
    for source in sources:
        value = source.get(key)
        if isinstance(value, str) and value.strip():
            return value
    return ""
