"""Exceptions whose message is one clear line meant for the user, not a traceback."""


class SqueezeappError(Exception):
    """Base class: `str(error)` is shown to the user as it is."""


class ImageReadError(SqueezeappError):
    """A file could not be read as an image (missing, empty, corrupt, too large, not an image).

    `reason` is the message without the file's path, for where the path is shown beside it (a
    per-file record, a results row)."""

    def __init__(self, message: str, reason: str | None = None) -> None:
        super().__init__(message)
        self.reason = reason or message


class ModelError(SqueezeappError):
    """A model could not be found, loaded, or does not look like a classifier."""


class DownloadError(SqueezeappError):
    """A download failed or did not verify; nothing was left behind."""


class DownloadCancelledError(DownloadError):
    """The user cancelled a download; nothing was left behind."""
