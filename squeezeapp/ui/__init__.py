"""The Qt (PySide6) desktop window. Everything here runs on the GUI thread unless it is a worker."""
