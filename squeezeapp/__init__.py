"""squeezeapp: SqueezeNet image classification on the desktop and the command line."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("squeezeapp")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.1.0"

APP_NAME = "squeezeapp"
