"""The frozen program's entry point, shared by both executables of the bundle.

`squeezeapp` is a console program (the CLI; with no command it opens the window) and
`squeezeapp-gui` a windowed one (no console window on Windows, the .app's executable on macOS).
One script serves both so that they cannot drift apart: the executable's name picks the mode.
"""

import sys
from pathlib import Path

if Path(sys.executable).stem.lower().endswith("-gui"):
    from squeezeapp.cli.main import gui_main as main
else:
    from squeezeapp.cli.main import main

sys.exit(main())
