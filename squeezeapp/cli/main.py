"""The `squeezeapp` command: classify, info, models, bench, teach, gui (the default)."""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import signal
import sys
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from squeezeapp.core.batch.formats import DEFAULT_FORMAT, FORMATS
from squeezeapp.core.imaging.source_kinds import SOURCE_HELP, SOURCE_SYNTAX

logger = logging.getLogger(__name__)

EXIT_OK = 0
EXIT_SOME_FAILED = 1
EXIT_USAGE = 2
EXIT_NO_DISPLAY = 3


def _add_model_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--model", "-m", metavar="NAME_OR_PATH",
                        help="model name (looked up in the model folders) or .onnx path; "
                             "default: $SQUEEZEAPP_MODEL or squeezenet1.1")
    parser.add_argument("--threads", type=int, metavar="N",
                        help="inference threads, 1 to 4 × CPU cores (default: onnxruntime's "
                             "choice, all cores)")
    parser.add_argument("--provider", metavar="NAME", default="auto",
                        help="engine: auto (the fastest measured here that agrees with fp32; "
                             "see 'info'), cpu, openvino (OpenVINO CPU), openvino-gpu, "
                             "openvino-npu, cuda, dml, coreml")


class _VersionAction(argparse.Action):
    """argparse's "version" action, with the version looked up only when asked for."""

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace,
                 values: Any, option_string: str | None = None) -> None:
        from squeezeapp import __version__

        print(f"squeezeapp {__version__}")  # on stdout, as argparse's own action prints it
        parser.exit()


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="squeezeapp",
        description="Classify images, videos and webcam frames with SqueezeNet. "
                    "With no command, opens the window.",
    )
    parser.add_argument("--version", action=_VersionAction, nargs=0,
                        help="show the version and exit")
    parser.add_argument("-v", "--verbose", action="count", default=0, help="more logging")
    parser.add_argument("--selftest", action="store_true",
                        help="check the installation (model, checksum, inference, window) and exit")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    classify = commands.add_parser("classify", help="classify image files and folders")
    _add_model_options(classify)
    classify.add_argument("paths", nargs="+", metavar="PATH", help="image files or folders")
    classify.add_argument("--top", "-k", type=int, default=5, metavar="K",
                          help="predictions per image (default 5)")
    classify.add_argument("--format", "-f", choices=tuple(FORMATS), default=DEFAULT_FORMAT)
    classify.add_argument("--recursive", "-r", action="store_true", help="descend into folders")
    classify.add_argument("--memory-budget", metavar="MB",
                          help="memory for decoding images, shared by the decoding threads; an "
                               "image that needs more is refused (default: "
                               "$SQUEEZEAPP_MEMORY_BUDGET_MB or 512)")
    tags = classify.add_argument_group(
        "XMP sidecars", "labels as keywords where photo managers read them (the photos are "
        "never changed): dc:subject and lr:hierarchicalSubject 'squeezeapp|<label>'")
    tags.add_argument("--write-xmp", action="store_true",
                      help="write the labels into each photo's XMP sidecar (merged into an "
                           "existing one, which is backed up once)")
    tags.add_argument("--remove-xmp", action="store_true",
                      help="remove the keywords squeezeapp wrote from the sidecars (no "
                           "classification is run)")
    tags.add_argument("--min-confidence", type=float, default=0.3, metavar="P",
                      help="keywords only for predictions at least this likely, 0-1 "
                           "(default 0.3, the window's unsure threshold)")
    tags.add_argument("--tag-top", type=int, default=1, metavar="K",
                      help="keywords from the K best predictions above --min-confidence "
                           "(default 1)")
    tags.add_argument("--xmp-name", choices=("photo.jpg.xmp", "photo.xmp"),
                      default="photo.jpg.xmp",
                      help="sidecar naming: photo.jpg.xmp (darktable, digiKam, Immich; the "
                           "default) or photo.xmp (Lightroom, Capture One, exiftool %%f.xmp)")
    classify.add_argument("--heatmap", type=Path, metavar="DIR",
                          help="also write DIR/<name>.heatmap.png per image: the picture with "
                               "where the model saw its top-1 class, and the crop it saw")

    info = commands.add_parser("info", help="versions, providers and the model's layers")
    _add_model_options(info)
    info.add_argument("--cameras", action="store_true",
                      help="list the cameras that answer, with the size, format and fps each "
                           "agreed to (opens each camera briefly)")
    info.add_argument("--camera-resolution", metavar="WxH", type=_resolution,
                      help="with --cameras: ask each camera for this size (1280x720 or more "
                           "asks for MJPG, as the window does)")

    models = commands.add_parser("models", help="list, download or quantise models")
    model_commands = models.add_subparsers(dest="models_command", metavar="ACTION", required=True)
    model_commands.add_parser("list", help="local and downloadable models")
    download = model_commands.add_parser("download", help="download a model into the cache")
    download.add_argument("name", help="a downloadable model name (see 'models list')")
    quantize = model_commands.add_parser("quantize", help="write an int8 copy of a model")
    quantize.add_argument("--model", "-m", metavar="NAME_OR_PATH")
    quantize.add_argument("--calibrate", metavar="DIR", type=Path,
                          help="your images to calibrate on (default: synthetic frames)")
    quantize.add_argument("--output", "-o", type=Path, metavar="FILE",
                          help="where to write (default: <stem>-int8.onnx in the user cache)")
    quantize.add_argument("--force", action="store_true",
                          help="replace --output if it exists (otherwise refused)")

    bench = commands.add_parser("bench", help="measure latency and throughput")
    _add_model_options(bench)
    bench.add_argument("--format", "-f", choices=("table", "json"), default="table")
    bench.add_argument("--images", type=Path, metavar="DIR",
                       help="folder for the folder-throughput comparison")
    bench.add_argument("--repeat", type=int, default=200, metavar="N",
                       help="timed runs per latency figure, over 10 interleaved rounds "
                            "(default 200)")
    bench.add_argument("--folder-rounds", type=int, default=3, metavar="N",
                       help="interleaved passes over --images per contender (default 3)")

    from squeezeapp.cli import teach

    teach.add_parser(commands)

    gui = commands.add_parser("gui", help="open the window (the default)")
    _add_model_options(gui)
    gui.set_defaults(provider=None)  # unset: the provider remembered from the Model menu
    gui.add_argument("path", nargs="?", metavar="PATH",
                     help="an image, folder or video to open at start (what file managers pass)")
    gui.add_argument("--source", metavar=SOURCE_SYNTAX, help=SOURCE_HELP)
    gui.add_argument("--exit-after", type=float, metavar="SECONDS",
                     help="close by itself after this long (measurements, demos)")
    gui.add_argument("--metrics-json", type=Path, metavar="FILE",
                     help="write display/inference metrics here on exit")
    gui.add_argument("--screenshot", type=Path, metavar="PNG",
                     help="save a picture of the window just before --exit-after closes it")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if argv is None and args.command not in (None, "gui"):
        _quiet_image_libraries(verbose=args.verbose > 0)
    logging.basicConfig(
        level=logging.WARNING - 10 * min(args.verbose, 2),
        format="%(levelname)s %(name)s: %(message)s",
    )
    if args.selftest:
        from squeezeapp.cli.selftest import run_selftest

        return run_selftest()
    command = args.command or "gui"
    if command == "gui" and args.command is None:
        args = parser.parse_args([*(argv if argv is not None else sys.argv[1:]), "gui"])
    handlers = {
        "classify": _classify,
        "info": _info,
        "models": _models,
        "bench": _bench,
        "teach": _teach,
        "gui": _gui,
    }
    from squeezeapp.core.common.errors import SqueezeappError

    try:
        return handlers[command](args)
    except SqueezeappError as error:
        from squeezeapp.core.batch.formats import terminal_text

        print(f"squeezeapp: error: {terminal_text(str(error))}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("squeezeapp: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # `squeezeapp classify DIR | head`: the reader has gone, stop quietly
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())  # so that flushing at exit cannot raise again
        return EXIT_SOME_FAILED
    except OSError as error:  # a file we write (--output, a folder): one line, no traceback
        from squeezeapp.core.batch.formats import terminal_text
        from squeezeapp.core.common.files import describe_os_error

        print(f"squeezeapp: error: {terminal_text(describe_os_error(error))}", file=sys.stderr)
        return EXIT_USAGE


def _quiet_image_libraries(verbose: bool) -> None:
    """One line per bad file: the image libraries' own messages only with -v (see quiet.py)."""
    from squeezeapp.core.imaging.decode import show_library_logs

    show_library_logs(verbose)
    if not verbose:
        from squeezeapp.cli.quiet import filter_library_noise

        filter_library_noise()


def _session_settings(args: argparse.Namespace):
    from squeezeapp.core.common.limits import check_threads
    from squeezeapp.core.inference.classifier import SessionSettings

    try:
        check_threads(args.threads)
    except Exception as error:
        raise _usage(f"--threads: {error}") from None
    return SessionSettings(threads=args.threads, provider=args.provider)


def _configure_memory_budget(args: argparse.Namespace) -> None:
    """--memory-budget, else $SQUEEZEAPP_MEMORY_BUDGET_MB (a bad value is an error here)."""
    from squeezeapp.core.common.limits import (
        IMAGE_BUDGET,
        MEMORY_BUDGET_ENV,
        parse_memory_budget_mb,
    )

    if args.memory_budget is not None:
        IMAGE_BUDGET.set_capacity(parse_memory_budget_mb(args.memory_budget, "--memory-budget"))
    elif os.environ.get(MEMORY_BUDGET_ENV, "").strip():
        IMAGE_BUDGET.set_capacity(parse_memory_budget_mb(os.environ[MEMORY_BUDGET_ENV],
                                                         MEMORY_BUDGET_ENV))


def _usage(message: str) -> Exception:
    from squeezeapp.core.common.errors import SqueezeappError

    return SqueezeappError(message)


def _classify(args: argparse.Namespace) -> int:
    from dataclasses import replace

    from squeezeapp.core.batch.formats import make_writer, terminal_text
    from squeezeapp.core.batch.pipeline import classify_files, pipeline_session
    from squeezeapp.core.common.hashing import file_sha256
    from squeezeapp.core.imaging.scan import scan_images
    from squeezeapp.core.inference.classifier import Classifier

    if args.top < 1:
        raise _usage("--top must be at least 1")
    if not 0.0 <= args.min_confidence <= 1.0:
        raise _usage("--min-confidence must lie between 0 and 1")
    if args.write_xmp and args.remove_xmp:
        raise _usage("--write-xmp and --remove-xmp cannot be used together")
    if args.remove_xmp:
        return _remove_xmp(args)
    _configure_memory_budget(args)
    scan = scan_images(args.paths, recursive=args.recursive)
    paths = list(scan.images)
    settings = replace(_session_settings(args), expected_images=len(paths))
    model = _model_to_use(args.model)
    try:
        digest = file_sha256(model)
    except OSError:  # Classifier.load says what is wrong with the file
        digest = None
    classifier = Classifier.load(model, pipeline_session(settings, model_sha256=digest))
    _report_left_out(scan, args.verbose)
    if not paths:
        print("squeezeapp: no image files found in " + terminal_text(", ".join(args.paths)),
              file=sys.stderr)
        return EXIT_SOME_FAILED
    bar = _progress_bar(len(paths))

    def emit(text: str) -> None:
        bar.write(text, file=sys.stdout)

    writer = make_writer(args.format, sys.stdout, emit)
    heatmaps = _heatmap_writer(args.heatmap, classifier)
    sidecars = _sidecar_writer(args) if args.write_xmp else None
    failures = 0
    with bar:
        for result in classify_files(paths, classifier, top_k=args.top,
                                     with_cam=heatmaps is not None):
            writer.write(result)
            if heatmaps is not None and result.ok and (problem := heatmaps(result)):
                failures += 1
                bar.write(f"squeezeapp: {terminal_text(problem)}", file=sys.stderr)
            if sidecars is not None and result.ok:
                sidecars.write(result, bar)
            if not result.ok:
                failures += 1
                if args.format != "table":
                    bar.write(f"squeezeapp: {terminal_text(f'{result.path}: {result.error}')}",
                              file=sys.stderr)
            bar.update()
    if sidecars is not None:
        sidecars.finish()
        print(f"squeezeapp: {sidecars.summary()}", file=sys.stderr)
        failures += sidecars.failed
    if failures:
        print(f"squeezeapp: {failures} of {len(paths)} files failed", file=sys.stderr)
    return EXIT_SOME_FAILED if failures else EXIT_OK


class _NoBar:
    """What `classify` uses instead of a tqdm bar when none is shown (tqdm's import and its
    multiprocessing lock cost 30 ms of a one-image run)."""

    def __enter__(self) -> _NoBar:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def write(self, text: str, file: Any = None) -> None:
        print(text, file=file or sys.stdout)

    def update(self) -> None:
        return None


def _progress_bar(total: int) -> Any:
    """A tqdm bar on stderr for several files on a terminal, else a `_NoBar`."""
    if not (sys.stderr.isatty() and total > 1):
        return _NoBar()
    from tqdm import tqdm

    return tqdm(total=total, unit="img", file=sys.stderr)


class _SidecarWriter:
    """classify --write-xmp: the results' labels into their sidecars, written together at the
    end (in parallel: see xmp._in_parallel); a failure is said on stderr, the rest go on."""

    def __init__(self, rule, naming) -> None:
        self.rule, self.naming = rule, naming
        self.pending: list = []
        self.results: list = []

    def write(self, result, _bar) -> None:
        self.pending.append((result.path, result.classification))

    def finish(self) -> None:
        from squeezeapp.core.batch.formats import terminal_text
        from squeezeapp.core.batch.xmp import tag_results

        self.results = tag_results(self.pending, self.rule, naming=self.naming)
        for outcome in self.results:
            if outcome.error:
                print(f"squeezeapp: {terminal_text(outcome.error)}", file=sys.stderr)

    @property
    def failed(self) -> int:
        return sum(outcome.error is not None for outcome in self.results)

    def summary(self) -> str:
        from squeezeapp.core.batch.xmp import describe

        return describe(self.results)


def _sidecar_writer(args: argparse.Namespace) -> _SidecarWriter:
    from squeezeapp.core.batch.xmp import SidecarNaming, TagRule

    if args.tag_top < 1:
        raise _usage("--tag-top must be at least 1")
    return _SidecarWriter(TagRule(args.min_confidence, args.tag_top),
                          SidecarNaming(args.xmp_name))


def _remove_xmp(args: argparse.Namespace) -> int:
    """classify --remove-xmp: take squeezeapp's keywords out of the photos' sidecars."""
    from squeezeapp.core.batch.formats import terminal_text
    from squeezeapp.core.batch.xmp import SidecarNaming, describe, untag_photos
    from squeezeapp.core.imaging.scan import scan_images

    scan = scan_images(args.paths, recursive=args.recursive)
    outcomes = untag_photos(scan.images, naming=SidecarNaming(args.xmp_name))
    for outcome in outcomes:
        if outcome.error:
            print(f"squeezeapp: {terminal_text(outcome.error)}", file=sys.stderr)
    print(f"squeezeapp: {describe(outcomes, removing=True)}", file=sys.stderr)
    return EXIT_SOME_FAILED if any(outcome.error for outcome in outcomes) else EXIT_OK


def _report_left_out(scan, verbose: int) -> None:
    """One line on stderr for what the folders held besides pictures; -v lists them."""
    from squeezeapp.core.batch.formats import terminal_text
    from squeezeapp.core.imaging.scan import describe_left_out

    summary = scan.summary()
    if not summary:
        return
    print(f"squeezeapp: {summary}" + ("" if verbose else " (-v lists them)"), file=sys.stderr)
    if verbose:
        for line in describe_left_out(scan.left_out, scan.left_out_total).splitlines():
            print(f"  {terminal_text(line)}", file=sys.stderr)


def _model_to_use(requested: str | None) -> Path:
    """The model file for --model (or the default); says on stderr when a model from the user
    cache stands in for a default model that is not there."""
    from squeezeapp.core.batch.formats import terminal_text
    from squeezeapp.core.models.lookup import find_model

    lookup = find_model(requested)
    if lookup.stands_in_for:
        print(f"squeezeapp: model '{lookup.stands_in_for}' not found; using "
              f"{terminal_text(lookup.path.stem)} ({terminal_text(str(lookup.path))})",
              file=sys.stderr)
    return lookup.path


def _heatmap_writer(folder: Path | None, classifier):
    """None, or a function writing one result's heatmap PNG into `folder` (exclusively: an
    existing name gets " (2)") and returning why it could not, or None."""
    if folder is None:
        return None
    from squeezeapp.core.common.errors import SqueezeappError
    from squeezeapp.core.common.files import describe_os_error, remove_stale_parts
    from squeezeapp.core.inference.class_maps import write_heatmap_png

    if not classifier.supports_cam:
        raise _usage(f"--heatmap: {classifier.name} has no class activation maps "
                     f"({classifier.cam_unsupported_reason})")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise _usage(f"--heatmap: {describe_os_error(error, folder)}") from None
    if not folder.is_dir():
        raise _usage(f"--heatmap: {folder} is not a folder")
    remove_stale_parts(folder)  # what a killed earlier run left

    def write(result) -> str | None:
        try:
            write_heatmap_png(result.path, result.classification, folder)
        except OSError as error:
            return f"heatmap for {result.path}: {describe_os_error(error)}"
        except (SqueezeappError, ValueError) as error:
            return f"heatmap for {result.path}: {error}"
        return None

    return write


def _resolution(text: str) -> tuple[int, int]:
    width, _, height = text.lower().partition("x")
    if not (width.isdigit() and height.isdigit()) or not (0 < int(width) <= 16384
                                                          and 0 < int(height) <= 16384):
        raise argparse.ArgumentTypeError(f"not a size like 1280x720: {text!r}")
    return int(width), int(height)


def _info(args: argparse.Namespace) -> int:
    from squeezeapp.cli.info import camera_lines, info_report

    if args.cameras:
        print("\n".join(camera_lines(args.camera_resolution)))
        return EXIT_OK
    from squeezeapp.core.common.errors import ModelError
    from squeezeapp.core.inference.classifier import Classifier

    try:
        classifier, error = Classifier.load(_model_to_use(args.model),
                                            _session_settings(args)), None
    except ModelError as failure:
        classifier, error = None, str(failure)
    from squeezeapp.core.batch.formats import terminal_text

    # names and paths come from the model file: shown escaped, like classify's table
    print("\n".join(terminal_text(line) for line in info_report(classifier, error).splitlines()))
    return EXIT_OK if classifier else EXIT_USAGE


def _models(args: argparse.Namespace) -> int:
    if args.models_command == "list":
        return _models_list()
    if args.models_command == "download":
        return _models_download(args.name)
    from squeezeapp.core.modeltools.quantize import quantize_model

    output = quantize_model(args.model, calibration_dir=args.calibrate, output=args.output,
                            progress=_stderr_progress("calibrating"), force=args.force)
    print(output)
    return EXIT_OK


def _models_list() -> int:
    from squeezeapp.core.batch.formats import terminal_text
    from squeezeapp.core.models.lookup import list_local_models
    from squeezeapp.core.models.names import display_name
    from squeezeapp.core.models.paths import model_search_dirs
    from squeezeapp.core.models.registry import downloadable_models
    from squeezeapp.core.modeltools.profile import side_by_side

    local = list_local_models()
    print("Local models (searched: " + ", ".join(str(d) for d in model_search_dirs()) + ")")
    if not local:
        print("  none")
    readable = [m.path for m in local if not m.error]
    profiles = dict(zip(readable, side_by_side(readable, measure=True), strict=True))
    # each by its display name (the Model menu's); the file is the last column
    names = {m.path: terminal_text(profiles[m.path].display_name if m.path in profiles
                                   else display_name(m.path)) for m in local}
    width = max((len(name) for name in names.values()), default=4)
    for model in local:
        name, path = names[model.path], terminal_text(str(model.path))
        if model.error:
            print(f"  {name:<{width}}  {model.error}  {path}")
        else:
            print(f"  {name:<{width}}  {model.size / 1e6:6.2f} MB  {model.sha256[:12]}  {path}")
            print(f"  {'':<{width}}  {profiles[model.path].summary}")
    print("Downloadable ('squeezeapp models download NAME')")
    for known in downloadable_models():
        state = "downloaded" if any(m.sha256 == known.sha256 for m in local) else ""
        print(f"  {known.name:<{width}}  {known.description}  [{known.licence}] {state}".rstrip())
    unreadable = [m for m in local if m.error]
    if unreadable:
        print(f"squeezeapp: {len(unreadable)} model files could not be read", file=sys.stderr)
    return EXIT_SOME_FAILED if unreadable else EXIT_OK


def _models_download(name: str) -> int:
    from squeezeapp.core.models.download import download_known_model
    from squeezeapp.core.models.lookup import DEFAULT_MODEL_NAME
    from squeezeapp.core.models.registry import downloadable_models, known_by_name

    known = known_by_name(name)
    if known is None or not known.downloadable:
        names = ", ".join(m.name for m in downloadable_models())
        raise _usage(f"'{name}' is not a downloadable model (choose from: {names})")
    with _terminate_raises():
        path = download_known_model(known,
                                    progress=_stderr_progress(f"downloading {name}", "B"))
    print(path)
    print(f"squeezeapp: use it with --model {known.name}; it is also used when no --model is "
          f"given and {DEFAULT_MODEL_NAME} is not found", file=sys.stderr)
    return EXIT_OK


@contextlib.contextmanager
def _terminate_raises():
    """SIGTERM raises SystemExit like Ctrl-C raises KeyboardInterrupt, so that the download's
    clean-up (deleting the partial file) runs; the previous handler comes back afterwards."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def stop(signum: int, _frame) -> None:
        raise SystemExit(128 + signum)

    previous = signal.signal(signal.SIGTERM, stop)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _stderr_progress(description: str, unit: str = "it"):
    """A progress callback that draws a tqdm bar on stderr when it is a terminal."""
    from tqdm import tqdm

    bar: dict[str, tqdm] = {}

    def update(done: int, total: int | None) -> None:
        if "bar" not in bar:
            bar["bar"] = tqdm(total=total, desc=description, unit=unit, unit_scale=unit == "B",
                              file=sys.stderr, disable=not sys.stderr.isatty(), leave=False)
        current = bar["bar"]
        current.update(done - current.n)
        if total is not None and done >= total:
            current.close()

    return update


def _bench(args: argparse.Namespace) -> int:
    from squeezeapp.core.bench.report import render_json, render_table
    from squeezeapp.core.bench.runner import BenchSettings, run_benchmark

    if args.images is not None and not args.images.is_dir():
        raise _usage(f"--images {args.images}: not a folder")
    result = run_benchmark(BenchSettings(model=str(_model_to_use(args.model)),
                                         threads=args.threads,
                                         provider=args.provider, images=args.images,
                                         repeat=max(10, args.repeat),
                                         folder_rounds=max(1, args.folder_rounds)))
    print(render_json(result) if args.format == "json" else render_table(result))
    return EXIT_OK


def _teach(args: argparse.Namespace) -> int:
    from squeezeapp.cli.teach import run

    return run(args)


def _gui(args: argparse.Namespace) -> int:
    if args.threads is not None and args.threads < 1:
        raise _usage("--threads must be at least 1")
    if not _display_available():
        command = _command_name()
        print(
            "squeezeapp: no display found (DISPLAY and WAYLAND_DISPLAY are unset), so the window "
            "cannot open.\n"
            f"  Headless alternatives:  {command} classify PATH...   {command} info\n"
            f"  Or on a virtual screen: xvfb-run -a {command}",
            file=sys.stderr,
        )
        return EXIT_NO_DISPLAY
    from squeezeapp.ui.common.options import GuiOptions
    from squeezeapp.ui.window.app import run_gui

    return run_gui(GuiOptions(
        model=args.model, threads=args.threads, provider=args.provider,
        source=args.source or args.path, exit_after=args.exit_after,
        metrics_json=args.metrics_json, screenshot=args.screenshot,
    ))


def gui_main() -> int:
    """Entry point of the windowed executable (`squeezeapp-gui`)."""
    return main(["gui", *sys.argv[1:]])


def _command_name() -> str:
    """How to run this program again from here: `squeezeapp` when that is what PATH finds,
    else the path it was started by (`.venv/bin/squeezeapp` in a checkout, where `make run`
    starts it), or `python -m squeezeapp`."""
    import shutil

    started = Path(sys.argv[0]) if sys.argv and sys.argv[0] else Path("squeezeapp")
    if started.name == "__main__.py":
        python = Path(sys.executable)
        with contextlib.suppress(ValueError):
            python = python.relative_to(Path.cwd())
        return f"{python} -m squeezeapp"
    found = shutil.which(started.name)
    if found is not None and Path(found).resolve() == started.resolve():
        return started.name
    with contextlib.suppress(ValueError, OSError):
        return str(started.resolve().relative_to(Path.cwd().resolve()))
    return str(started)


def _display_available() -> bool:
    if os.environ.get("QT_QPA_PLATFORM") or sys.platform in ("win32", "darwin"):
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))
