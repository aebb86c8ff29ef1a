"""PyInstaller runtime hook: telemetry off before any module of the frozen app is imported.

squeezeapp/__init__.py sets the same variable; this hook makes the frozen bundle independent of
import order (it runs before the entry script).
"""

import os

os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")
