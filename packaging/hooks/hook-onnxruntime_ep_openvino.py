"""PyInstaller hook for the OpenVINO execution-provider plugin (the `openvino` extra).

The app imports the package by name at run time (core/inference/engines.py) and onnxruntime,
then OpenVINO, load its libraries by path (dlopen), so no analysis finds them: every library in
the package's folder ships as a binary beside it (their RPATH is $ORIGIN), the GPU kernel cache
and the licence notices as data. The plugin library's versioned copies (the wheel's symlinks,
3 MB each) are loaded by nobody.

No top-level links to those libraries: the bootloader puts the bundle's top on LD_LIBRARY_PATH,
ahead of the libraries' own RPATH, so OpenVINO would load from there, look for its device
plugins beside itself, find none, and offer no engine.
"""

import re
from pathlib import Path

from PyInstaller.utils.hooks import copy_metadata, get_package_paths

PACKAGE = "onnxruntime_ep_openvino"
_LIBRARY = re.compile(r"\.(so(\.\d+)*|dll)$")
_UNUSED_COPY = re.compile(r"^libonnxruntime_providers_openvino_plugin\.so\.")

binaries = []
datas = copy_metadata("onnxruntime-ep-openvino")  # the version `info` reports
for _path in sorted(Path(get_package_paths(PACKAGE)[1]).iterdir()):
    if not _path.is_file() or _path.suffix in (".py", ".pyc") or _UNUSED_COPY.match(_path.name):
        continue
    (binaries if _LIBRARY.search(_path.name) else datas).append((str(_path), PACKAGE))

bindepend_symlink_suppression = [f"**/{PACKAGE}/*"]
