"""squeezeapp: SqueezeNet image classification on the desktop and the command line."""

# Private by default. onnxruntime (1.32, Linux) otherwise writes a device id and an event queue
# to ~/.cache/Microsoft/DeveloperTools/.onnxruntime and, in a GUI session, resolves
# mobile.events.data.microsoft.com. Only this variable, set before onnxruntime is first imported,
# stops it (onnxruntime.disable_telemetry_events() does not). Every entry point imports this
# package first: the CLI, the window, `python -m squeezeapp`, the tests; the frozen bundle also
# sets it in a PyInstaller runtime hook (packaging/hooks/rthook_privacy.py). setdefault: a user
# who explicitly sets another value keeps it.
import os

os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")
# Windows: Media Foundation opens some webcams in seconds, not tens of seconds, with its hardware
# transforms off; OpenCV reads this when cv2 loads (core/imaging/camera_setup.py says why).
if os.name == "nt":
    os.environ.setdefault("OPENCV_VIDEOIO_MSMF_ENABLE_HW_TRANSFORMS", "0")

APP_NAME = "squeezeapp"


def __getattr__(name: str) -> str:
    """`__version__`, looked up when first asked for: importlib.metadata costs 40-60 ms of every
    start-up, and a prediction does not need it."""
    if name != "__version__":
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from importlib.metadata import PackageNotFoundError, version

    try:
        found = version("squeezeapp")
    except PackageNotFoundError:  # running from a source tree that was never installed
        found = "0.1.0"
    globals()["__version__"] = found
    return found
