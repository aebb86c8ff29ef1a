"""Exceptions whose message is one clear line meant for the user, not a traceback."""


class SqueezeappError(Exception):
    """Base class: `str(error)` is shown to the user as it is."""


class ImageReadError(SqueezeappError):
    """A file could not be read as an image (missing, empty, corrupt, too large, not an image)."""


class ModelError(SqueezeappError):
    """A model could not be found, loaded, or does not look like a 1000-class classifier."""


class DownloadError(SqueezeappError):
    """A download failed or did not verify; nothing was left behind."""


class DownloadCancelledError(DownloadError):
    """The user cancelled a download; nothing was left behind."""
