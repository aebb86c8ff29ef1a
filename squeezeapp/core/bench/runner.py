"""`squeezeapp bench`: latency and throughput of each stage, contenders interleaved.

The machine this runs on is often shared and its speed drifts by tens of percent within a minute.
So contenders are never timed one after the other: each round times every contender for one
block (A, B, C, A, B, C, ...), every ratio is computed within a round and summarised as the
median and spread over the rounds, and the machine's raw speed is reported beside it.
"""

from __future__ import annotations

import itertools
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path

import numpy as np

from squeezeapp.core.batch.pipeline import Schedule, classify_files, plan_schedule
from squeezeapp.core.bench.engines import EngineBench, bench_engines
from squeezeapp.core.bench.reference import reference_preprocess
from squeezeapp.core.common.errors import ImageReadError, SqueezeappError
from squeezeapp.core.common.threads import running_threads
from squeezeapp.core.imaging.decode import expand_image_paths, read_image
from squeezeapp.core.inference.classifier import Classifier, SessionSettings, open_session
from squeezeapp.core.inference.graph_rewrite import (
    FRAME_INPUT,
    ROI_INPUT,
    add_crop_prologue,
    crop_roi,
    load_model,
    rewrite,
)
from squeezeapp.core.inference.postprocess import to_probabilities
from squeezeapp.core.measure.cpu_share import CpuShare, measure_cpu, median_share
from squeezeapp.core.measure.timing import Measure, Ratio, interleave

PREPROCESS_SIZES = ((640, 480), (1280, 720), (1920, 1080))
ROUNDS = 10
FOLDER_ROUNDS = 3
STAGE_SAMPLE = 100  # photos whose stage costs are measured for the bound
STAGE_CHUNK_BYTES = 64 * 2**20  # decoded images held at once while the stages are timed


@dataclass(frozen=True)
class BenchSettings:
    model: str | None = None
    threads: int | None = None
    provider: str | None = None
    images: Path | None = None
    repeat: int = 200  # timed runs per latency contender, spread over ROUNDS rounds
    warmup: int = 20
    rounds: int = ROUNDS
    folder_rounds: int = FOLDER_ROUNDS
    unreadable: int = 0  # files of `images` left out because they could not be read


@dataclass(frozen=True)
class FolderResult:
    images: int  # readable ones, which every pass classifies
    unreadable: int  # left out
    cores: int
    schedule: str  # the schedule `classify` uses here
    rates: dict[str, Measure]  # images/s per contender, per round
    stage_ms: dict[str, float]  # per-image core-ms (median over rounds): decode, crop,
    # inference on 1 thread, post-processing
    ratios: dict[str, Ratio]
    bounds: tuple[float, ...]  # images/s: all stages spread perfectly over the cores, per round
    cpu: CpuShare  # who used the cores during classify's passes (median of rounds)
    busy_stage_ms: dict[str, float]  # the same stages timed with the other cores busy
    busy_bounds: tuple[float, ...]  # the bound from those, per round

    @property
    def bound_images_per_s(self) -> float:
        """Decode + crop + 1-thread inference + post spread perfectly over all cores."""
        return float(np.median(self.bounds))

    @property
    def bound_fraction(self) -> float:
        """classify's rate over the bound, each taken in the same round (median of rounds)."""
        return self.ratios["classify_vs_bound"].median

    @property
    def busy_bound_images_per_s(self) -> float:
        """The bound with each stage costing what it costs while the other cores work."""
        return float(np.median(self.busy_bounds))

    @property
    def busy_bound_fraction(self) -> float:
        return self.ratios["classify_vs_busy_bound"].median


@dataclass(frozen=True)
class BenchResult:
    model: str
    provider: str
    threads: int
    warmup: int
    repeat: int
    rounds: int
    latency: dict[str, Measure]  # ms
    ratios: dict[str, Ratio]
    preprocess: dict[str, Measure]
    naive_preprocess: dict[str, Measure] = field(default_factory=dict)
    normalisation: str = ""
    folder: FolderResult | None = None
    engines: EngineBench | None = None  # every engine on this model (core.bench.engines)

    @property
    def raw_all_threads(self) -> Measure:
        return self.latency["raw"]

    @property
    def raw_1_thread(self) -> Measure:
        return self.latency["raw_1thread"]

    @property
    def classify_vs_raw(self) -> float:
        return self.ratios["classify_vs_raw"].median

    @property
    def cam_overhead(self) -> float:
        """Extra time of classify with class maps over plain classify (0.03 = 3 %)."""
        return self.ratios["cam_vs_classify"].median - 1.0


def _test_frame(width: int, height: int) -> np.ndarray:
    """A deterministic photo-like frame (smooth gradients plus noise)."""
    rng = np.random.default_rng(1)
    y, x = np.mgrid[0:height, 0:width]
    base = np.stack([(x * 255 // max(1, width - 1)), (y * 255 // max(1, height - 1)),
                     ((x + y) * 127 // max(1, width + height))], axis=2)
    noise = rng.integers(0, 32, (height, width, 3))
    return np.clip(base + noise, 0, 255).astype(np.uint8)


def run_benchmark(settings: BenchSettings) -> BenchResult:
    all_threads = settings.threads or os.cpu_count() or 1
    session = SessionSettings(all_threads, settings.provider)
    app = Classifier.load(settings.model, session)
    paths: list[Path] = []
    if settings.images is not None:  # checked before the long latency part
        paths, unreadable = _folder_paths(settings.images, app)
        settings = replace(settings, unreadable=unreadable)
    plain = Classifier.load(settings.model, replace(session, graph_prologue=False))
    single = Classifier.load(settings.model, SessionSettings(1, settings.provider,
                                                             graph_prologue=False))
    app_1thread = Classifier.load(settings.model, SessionSettings(1, settings.provider))
    spec = app.spec
    frame = _test_frame(640, 480)
    feed = {spec.input_name: plain.preprocess(frame)[None].copy()}
    contenders: dict[str, Callable[[], object]] = {
        "raw": lambda: plain.session.run([spec.output_name], feed),
        "raw_1thread": lambda: single.session.run([spec.output_name], feed),
        "classify": lambda: app.classify(frame),
        "classify_cam": lambda: app.classify(frame, with_cam=True),
        "classify_float_input": lambda: plain.classify(frame),
        "classify_1thread": lambda: app_1thread.classify(frame),
    }
    if not app.supports_cam:
        del contenders["classify_cam"]
    graph_crop = _graph_crop_contender(app, session, frame)
    if graph_crop is not None:
        contenders["classify_graph_crop"] = graph_crop
    rounds = max(2, settings.rounds)
    block = max(1, settings.repeat // rounds)
    latency = interleave(contenders, rounds, block, settings.warmup)
    ratios = {"classify_vs_raw": Ratio.of(latency["raw"], latency["classify"]),
              "classify_float_input_vs_raw": Ratio.of(latency["raw"],
                                                      latency["classify_float_input"])}
    ratios["classify_1thread_vs_raw_1thread"] = Ratio.of(latency["raw_1thread"],
                                                         latency["classify_1thread"])
    if "classify_cam" in latency:
        ratios["cam_vs_classify"] = Ratio.of(latency["classify_cam"], latency["classify"])
    if "classify_graph_crop" in latency:
        ratios["graph_crop_vs_raw"] = Ratio.of(latency["raw"], latency["classify_graph_crop"])
    preprocess, naive = _preprocess_timings(app, rounds, block, settings.warmup)
    engine = app.engine.label if app.engine else app.provider  # "OpenVINO CPU", not "OpenVINO"
    result = BenchResult(spec.name, engine, all_threads, settings.warmup, block * rounds,
                         rounds, latency, ratios, preprocess, naive, app.normalisation)
    if settings.images is not None:
        result = replace(result, folder=_folder(settings, paths, plain, app))
    engines = bench_engines(settings.model, SessionSettings(settings.threads, "auto"), frame,
                            paths, result.folder.stage_ms if result.folder else None, rounds,
                            block, settings.folder_rounds)
    return replace(result, engines=engines)


def _folder_paths(folder: Path, classifier: Classifier) -> tuple[list[Path], int]:
    """The folder's images that can be read, and how many could not: every pass then times
    the same work, and one broken file does not stop the benchmark."""
    paths = list(expand_image_paths([folder]))
    readable = []
    for path in paths:
        try:
            read_image(path, min_side=classifier.spec.preprocess.resize)
        except ImageReadError:
            continue
        readable.append(path)
    if not readable:
        found = f"none of the {len(paths)} image files" if paths else "no image files"
        raise SqueezeappError(f"--images {folder}: {found} could be read")
    return readable, len(paths) - len(readable)


def _graph_crop_contender(app: Classifier, session: SessionSettings,
                          frame: np.ndarray) -> Callable[[], object] | None:
    """The experiment of graph_rewrite.add_crop_prologue: frame in, crop inside the graph."""
    if not app.uint8_input:
        return None
    size = app.spec.preprocess.size
    model = add_crop_prologue(rewrite(load_model(app.spec.path), app.spec.preprocess).model,
                              size)
    cropping = open_session(model.SerializeToString(), session, app.spec.path.name)
    height, width = frame.shape[:2]

    def classify() -> object:
        roi = crop_roi(app.preprocess.crop_matrix(height, width), height, width, size)
        (logits,) = cropping.run([app.spec.output_name],
                                 {FRAME_INPUT: frame[None], ROI_INPUT: roi})
        return app.predictions(to_probabilities(logits, app.spec.output_kind)[0])

    return classify


def _preprocess_timings(app: Classifier, rounds: int, block: int, warmup: int):
    contenders: dict[str, Callable[[], object]] = {}
    out = app.new_batch(1)[0]
    for width, height in PREPROCESS_SIZES:
        image = _test_frame(width, height)
        contenders[f"app {width}x{height}"] = partial(app.prepare, image, out)
        contenders[f"textbook {width}x{height}"] = \
            partial(reference_preprocess, image, app.spec.preprocess)
    timed = interleave(contenders, rounds, block, warmup)
    app_times = {k.split()[1]: v for k, v in timed.items() if k.startswith("app")}
    textbook = {k.split()[1]: v for k, v in timed.items() if k.startswith("textbook")}
    return app_times, textbook


def _folder(settings: BenchSettings, paths: list[Path], plain: Classifier,
            latency_tuned: Classifier) -> FolderResult:
    """Images/s of several ways through the same files, interleaved pass by pass, and the bound
    from the measured per-image cost of each stage."""
    cores = os.cpu_count() or 1
    base = SessionSettings(settings.threads, settings.provider)
    chosen = plan_schedule(base)
    other_kind = "batches" if chosen.kind == "images" else "images"
    sessions = {"images": SessionSettings(1, settings.provider, spin_wait=False),
                "batches": SessionSettings(max(2, settings.threads or cores), settings.provider,
                                           spin_wait=False)}
    schedules = {"images": Schedule("images", workers=cores, session_threads=1),
                 "batches": Schedule("batches", workers=2, session_threads=max(2, cores))}
    loaded = {kind: Classifier.load(settings.model, sessions[kind]) for kind in sessions}
    spec = plain.spec

    def naive() -> None:
        for path in paths:
            batch = reference_preprocess(read_image(path), spec.preprocess)
            plain.predictions(plain.infer(batch)[0])

    def sequential() -> None:
        for path in paths:
            latency_tuned.classify(read_image(path, min_side=spec.preprocess.resize))

    def pipelined(kind: str) -> Callable[[], None]:
        def run() -> None:
            for _ in classify_files(paths, loaded[kind], schedule=schedules[kind]):
                pass
        return run

    stages: list[dict[str, float]] = []
    sample = paths[:STAGE_SAMPLE]
    def one_worker() -> None:
        for _ in classify_files(paths, loaded["images"], schedule=Schedule("images", 1, 1)):
            pass

    shares: list[CpuShare] = []
    classify = pipelined(chosen.kind)
    neighbour = loaded["images"]
    if neighbour.engine is not None and neighbour.engine.serial_runs:
        # a session that serves one inference at a time would make the timed one wait for the
        # neighbours' (OpenVINO: 2.8 ms instead of 1.8): they get a session of their own
        neighbour = Classifier.load(settings.model, sessions["images"])
    busy_stages: list[dict[str, float]] = []
    passes: dict[str, Callable[[], object]] = {
        "stages": lambda: stages.append(_stage_costs(sample, loaded["images"])),
        "busy_stages": lambda: busy_stages.append(
            _stage_costs_beside_work(sample, loaded["images"], neighbour, cores - 1)),
        "classify": lambda: shares.append(measure_cpu(classify)),
        f"classify_{other_kind}": pipelined(other_kind),
        "one_worker": one_worker, "naive": naive, "sequential": sequential}
    timed = interleave(passes, max(1, settings.folder_rounds), block=1, warmup=1, settle=False)
    del timed["stages"], timed["busy_stages"]
    # without the warm-up calls'
    stages, busy_stages, shares = stages[1:], busy_stages[1:], shares[1:]
    bound, busy_bound = _bound(stages, cores), _bound(busy_stages, cores)
    rates = {name: _per_second(measure, len(paths)) for name, measure in timed.items()}
    one_worker_bound = _per_second(timed["one_worker"], len(paths) * cores)
    ratios = {"classify_vs_bound": Ratio.of(rates["classify"], bound),
              "classify_vs_busy_bound": Ratio.of(rates["classify"], busy_bound),
              "classify_vs_cores_x_one_worker": Ratio.of(rates["classify"], one_worker_bound),
              "classify_vs_naive": Ratio.of(rates["classify"], rates["naive"]),
              "classify_vs_sequential": Ratio.of(rates["classify"], rates["sequential"]),
              f"classify_vs_{other_kind}": Ratio.of(rates["classify"],
                                                    rates[f"classify_{other_kind}"])}
    return FolderResult(len(paths), settings.unreadable, cores, chosen.kind, rates,
                        _median_stages(stages), ratios, bound.rounds, median_share(shares),
                        _median_stages(busy_stages), busy_bound.rounds)


def _bound(stage_rounds: list[dict[str, float]], cores: int) -> Measure:
    """Images/s with the stages' per-image core-ms spread perfectly over `cores`, per round."""
    bounds = tuple(cores * 1e3 / sum(stage.values()) for stage in stage_rounds)
    return Measure(float(np.median(bounds)), float(np.percentile(bounds, 5)), bounds)


def _median_stages(rounds: list[dict[str, float]]) -> dict[str, float]:
    return {name: float(np.median([stage[name] for stage in rounds])) for name in rounds[0]}


def _per_second(measure: Measure, count: int) -> Measure:
    """Pass times in ms → images/s (p50 of a rate is count / p50 of the time)."""
    return Measure(count * 1e3 / measure.p50, count * 1e3 / measure.p95,
                   tuple(count * 1e3 / t for t in measure.rounds))


def _stage_costs_beside_work(paths: list[Path], one_thread: Classifier, neighbour: Classifier,
                             neighbours: int) -> dict[str, float]:
    """The stage costs again, while `neighbours` threads keep the other cores doing the same
    work (decode, crop, infer, one photo after another, on `neighbour`), as every core is in a
    pipeline that uses them all: the cores share caches and memory bandwidth, so each stage
    costs more than when its core has the machine to itself."""
    stop = threading.Event()

    def keep_busy() -> None:
        batch = neighbour.new_batch(1)
        for path in itertools.cycle(paths):
            if stop.is_set():
                return
            neighbour.prepare(_read_as_pipeline(path, neighbour), batch[0])
            neighbour.run(batch)

    with running_threads(keep_busy, neighbours, "bench-neighbour", stop.set):
        return _stage_costs(paths, one_thread)


def _read_as_pipeline(path: Path, classifier: Classifier) -> np.ndarray:
    """Decoded as classify_files decodes: big JPEGs reduced to what the model's resize needs."""
    return read_image(path, min_side=classifier.spec.preprocess.resize)


def _stage_costs(paths: list[Path], one_thread: Classifier) -> dict[str, float]:
    """Mean per-image core-ms of each stage, each stage timed in a loop of its own over a chunk
    of decoded images (at most STAGE_CHUNK_BYTES of them held at once, so that big photos do not
    fill the memory), one image at a time on one core."""
    totals = dict.fromkeys(("decode", "crop", "inference_1thread", "post"), 0.0)
    chunk: list[np.ndarray] = []
    held = 0
    for number, path in enumerate(paths, start=1):
        started = time.perf_counter()
        image = _read_as_pipeline(path, one_thread)
        totals["decode"] += time.perf_counter() - started
        chunk.append(image)
        held += image.nbytes
        if held >= STAGE_CHUNK_BYTES or number == len(paths):
            _time_stages_after_decode(chunk, one_thread, totals)
            chunk, held = [], 0
    return {stage: seconds * 1e3 / max(1, len(paths)) for stage, seconds in totals.items()}


def _time_stages_after_decode(images: list[np.ndarray], one_thread: Classifier,
                              totals: dict[str, float]) -> None:
    batches = [one_thread.new_batch(1) for _ in images]
    started = time.perf_counter()
    for image, batch in zip(images, batches, strict=True):
        one_thread.prepare(image, batch[0])
    totals["crop"] += time.perf_counter() - started
    one_thread.run(batches[0])  # untimed: the first run after other work starts cold
    started = time.perf_counter()
    outputs = [one_thread.run(batch)[0] for batch in batches]
    totals["inference_1thread"] += time.perf_counter() - started
    started = time.perf_counter()
    for probabilities in outputs:
        one_thread.predictions(probabilities[0])
    totals["post"] += time.perf_counter() - started
