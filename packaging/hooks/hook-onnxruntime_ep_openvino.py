"""PyInstaller hook for the OpenVINO execution-provider plugin (the `openvino` extra).

The app imports the package by name at run time (core/inference/engines.py) and onnxruntime,
then OpenVINO, load its libraries by path (dlopen), so no analysis finds them: every library in
the package's folder ships as a binary where the wheel has it (they find each other through
their $ORIGIN RPATH/RUNPATH, or on Windows in their own folder), everything else (the GPU kernel
cache, the licence notices) as data. The plugin library's versioned copies (the wheel's
symlinks, 3 MB each) are loaded by nobody.

No top-level links to those libraries: the bootloader puts the bundle's top on LD_LIBRARY_PATH,
which the dynamic linker searches before a library's RUNPATH, so OpenVINO would load from there,
look for its device plugins beside itself, find none, and offer no engine.
"""

import re
from pathlib import Path

from PyInstaller.utils.hooks import copy_metadata, get_package_paths

PACKAGE = "onnxruntime_ep_openvino"
_LIBRARY = re.compile(r"\.(so(\.\d+)*|dll)$", re.IGNORECASE)
_UNUSED_COPY = re.compile(r"^libonnxruntime_providers_openvino_plugin\.so\.")

binaries = []
datas = copy_metadata("onnxruntime-ep-openvino")  # the version `info` reports
_folder = Path(get_package_paths(PACKAGE)[1])
for _path in sorted(_folder.rglob("*")):
    if (not _path.is_file() or _path.suffix in (".py", ".pyc") or "__pycache__" in _path.parts
            or _UNUSED_COPY.match(_path.name)):
        continue
    _destination = str(Path(PACKAGE, _path.parent.relative_to(_folder)))
    (binaries if _LIBRARY.search(_path.name) else datas).append((str(_path), _destination))

bindepend_symlink_suppression = [f"**/{PACKAGE}/**/*", f"**/{PACKAGE}/*"]
