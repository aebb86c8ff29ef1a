"""One line per bad file: the image libraries' own messages are kept off the terminal.

libjpeg ("Corrupt JPEG data: …") and libpng ("libpng error: …", "libpng warning: …") print to the
process's standard error themselves, from C, beside the one line squeezeapp writes per bad file
(up to 6 lines for one file). OpenCV's own log is silenced through its log level
(`decode.show_library_logs`); for the C libraries, file descriptor 2 becomes a pipe read by a
thread that logs those lines at DEBUG (shown with -vv) and passes every other line on unchanged.
Python's `sys.stderr` writes to the real standard error directly, so nothing of ours is delayed.
"""

from __future__ import annotations

import io
import logging
import os
import re
import sys

from squeezeapp.core.common.threads import start_thread

logger = logging.getLogger(__name__)

LIBRARY_NOISE = re.compile(
    rb"^(Corrupt JPEG data|Premature end of JPEG file|Invalid SOS parameters|"
    rb"Unsupported marker|Warning: unknown JFIF revision|libpng (error|warning)|"
    rb"TIFF(Read|Fetch|Fill|Error|Warning)|\[ ?(ERROR|WARN|INFO):)", re.IGNORECASE)
_MAX_LINE = 64 * 1024


def filter_library_noise() -> bool:
    """Route file descriptor 2 through the filter; False where it cannot (no pipes, no fd 2)."""
    try:
        sys.stderr.flush()
        real = os.dup(2)
        read_end, write_end = os.pipe()
        os.dup2(write_end, 2)
        os.close(write_end)
    except (OSError, AttributeError, ValueError):
        return False
    errors = sys.stderr.errors if isinstance(sys.stderr, io.TextIOWrapper) else "replace"
    encoding = getattr(sys.stderr, "encoding", None) or "utf-8"
    sys.stderr = io.TextIOWrapper(os.fdopen(os.dup(real), "wb", buffering=0),
                                  encoding=encoding, errors=errors or "replace",
                                  line_buffering=True, write_through=True)
    start_thread(lambda: _pass_on(read_end, real), "stderr-filter")
    return True


def _pass_on(read_end: int, real: int) -> None:
    pending = b""
    while chunk := os.read(read_end, 4096):
        pending += chunk
        *lines, pending = pending.split(b"\n")
        if len(pending) > _MAX_LINE:  # no newline for ever: pass it on as it is
            lines.append(pending)
            pending = b""
        for line in lines:
            if not line.strip():  # a library's lone newline (seen once, under load): no news
                continue
            if LIBRARY_NOISE.match(line):
                logger.debug("image library: %s", line.decode(errors="replace"))
            else:
                os.write(real, line + b"\n")
