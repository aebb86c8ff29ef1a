"""Folder classification: schedule chosen from the machine, same answers whichever runs."""

from __future__ import annotations

import threading

import pytest

from squeezeapp.core.batch.pipeline import (
    FileStamp,
    Schedule,
    classify_files,
    pipeline_session,
    plan_schedule,
    schedule_for,
)
from squeezeapp.core.common.errors import ModelError
from squeezeapp.core.inference.classifier import Classifier, SessionSettings
from squeezeapp.core.inference.engines import Engine, openvino_installed
from squeezeapp.core.inference.providers import CPU


@pytest.mark.parametrize(("cores", "threads", "kind", "session_threads"), [
    (2, None, "images", 1),  # the measured case: image workers on a 1-thread session
    (8, None, "images", 1),
    (64, None, "batches", None),  # many cores: batches on a session using all of them
    (2, 1, "images", 1),
    (2, 4, "batches", 4),  # an explicit --threads is obeyed
])
def test_schedule_follows_the_core_count(cores, threads, kind, session_threads) -> None:
    settings = SessionSettings(threads=threads, provider="cpu")
    schedule = plan_schedule(settings, cores)
    assert (schedule.kind, schedule.session_threads) == (kind, session_threads)
    opened = pipeline_session(settings, cores)
    assert opened.threads == session_threads and not opened.spin_wait
    if kind == "images":
        assert schedule.workers == cores


def test_both_schedules_give_the_same_answers_in_order(model_dir, sample_images,
                                                       tmp_path) -> None:
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(b"\xff\xd8 not really a jpeg")
    paths = [*sample_images[:9], broken, *sample_images[9:20]]
    model = model_dir / "squeezenet1.1.onnx"
    per_image = Classifier.load(model, SessionSettings(threads=1, spin_wait=False))
    batched = Classifier.load(model, SessionSettings(threads=2, spin_wait=False))
    assert schedule_for(per_image).kind == "images" and schedule_for(batched).kind == "batches"
    first = list(classify_files(paths, per_image))
    second = list(classify_files(paths, batched))
    assert [r.path for r in first] == paths == [r.path for r in second]
    assert not first[9].ok and not second[9].ok
    # each result carries its file's stamp as it was read (what Sort and Tags check later)
    assert [r.stamp for r in first] == [FileStamp.of(p) for p in paths] == \
        [r.stamp for r in second]
    # the record has the path: the error is the reason alone
    assert first[9].error == "not a readable image (unknown format, corrupt or truncated)"
    for a, b in zip(first, second, strict=True):
        if a.ok:
            assert [p.index for p in a.classification.predictions] == \
                [p.index for p in b.classification.predictions]


def test_folder_results_can_carry_class_maps(classifier, sample_images) -> None:
    results = list(classify_files(sample_images[:4], classifier, top_k=3, with_cam=True))
    for result in results:
        cam = result.classification.cam
        assert cam is not None and cam.maps.shape == (3, 13, 13)
        assert cam.crop.width == pytest.approx(cam.crop.height, rel=0.01)


@pytest.fixture(scope="module")
def one_thread(model_dir) -> Classifier:
    return Classifier.load(model_dir / "squeezenet1.1.onnx",
                           SessionSettings(threads=1, spin_wait=False))


def _helpers_alive() -> list[str]:
    return [t.name for t in threading.enumerate() if t.name.startswith("classify-")]


@pytest.mark.parametrize("workers", [2, 3])
def test_image_workers_agree_with_one_worker(one_thread, sample_images, tmp_path,
                                             workers) -> None:
    """Whoever decodes or infers a file, each result is that file's, in input order."""
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(b"\xff\xd8 not really a jpeg")
    paths = [*sample_images[:13], broken, *sample_images[13:40]]
    alone = list(classify_files(paths, one_thread, schedule=Schedule("images", 1, 1)))
    shared = list(classify_files(paths, one_thread, schedule=Schedule("images", workers, 1)))
    assert [r.path for r in shared] == paths
    assert [r.error for r in shared] == [r.error for r in alone]
    for a, b in zip(alone, shared, strict=True):
        if a.ok:
            assert a.classification.predictions == b.classification.predictions
            assert b.classification.latency_ms > 0
    assert not _helpers_alive()


def test_image_workers_read_a_bounded_way_ahead(one_thread, sample_images) -> None:
    """However fast decoding is, the files read but not yet handed out stay bounded."""
    pulled = 0

    def source():
        nonlocal pulled
        for path in sample_images[:60]:
            pulled += 1
            yield path

    ahead = []
    for handed, _ in enumerate(classify_files(source(), one_thread,
                                              schedule=Schedule("images", 2, 1)), start=1):
        ahead.append(pulled - handed)
    assert max(ahead) <= 8 and handed == 60  # lookahead = 4 x workers


def test_closing_early_stops_the_helpers(one_thread, sample_images) -> None:
    results = classify_files(sample_images, one_thread, schedule=Schedule("images", 2, 1))
    first = next(results)
    assert first.ok and _helpers_alive()
    results.close()
    assert not _helpers_alive()


def test_a_failing_inference_is_raised_at_its_file(one_thread, sample_images,
                                                  monkeypatch) -> None:
    """An unexpected error in a helper thread reaches the caller (no hang, no lost file)."""
    calls = 0
    real_run = one_thread.run

    def run(batch, with_cam=False):
        nonlocal calls
        calls += 1
        if calls == 7:
            raise ModelError("the session failed")
        return real_run(batch, with_cam)

    monkeypatch.setattr(one_thread, "run", run)
    handed = []
    with pytest.raises(ModelError, match="the session failed"):
        for result in classify_files(sample_images[:30], one_thread,
                                     schedule=Schedule("images", 2, 1)):
            handed.append(result)
    assert len(handed) < 30 and all(r.ok for r in handed)
    assert not _helpers_alive()


@pytest.mark.skipif(not openvino_installed(), reason="the openvino extra is not installed")
def test_openvino_on_the_cpu_gets_one_thread_image_workers_and_agrees(
        model_dir, sample_images) -> None:
    """OpenVINO's CPU device gets the image workers and a 1-thread session (measured cheaper per
    image than all threads on batches), and its folder answers are onnxruntime's."""
    settings = SessionSettings(provider="openvino-cpu")
    assert plan_schedule(settings, 2) == Schedule("images", workers=2, session_threads=1)
    model = model_dir / "squeezenet1.1.onnx"
    openvino = Classifier.load(model, pipeline_session(settings, 2))
    assert openvino.engine.name == "openvino-cpu" and schedule_for(openvino).kind == "images"
    fp32 = Classifier.load(model, SessionSettings(threads=1, provider="cpu"))
    paths = sample_images[:30]
    ours = [r.classification.top.index for r in classify_files(paths, openvino)]
    reference = [r.classification.top.index for r in classify_files(paths, fp32)]
    assert sum(a == b for a, b in zip(ours, reference, strict=True)) >= 29  # bf16 on AMX


class _CountingSession:
    """Wraps a session and records the most runs that were ever in progress at once."""

    def __init__(self, session) -> None:
        self._session = session
        self._lock = threading.Lock()
        self._running = 0
        self.most = 0

    def run(self, *args, **kwargs):
        with self._lock:
            self._running += 1
            self.most = max(self.most, self._running)
        try:
            return self._session.run(*args, **kwargs)
        finally:
            with self._lock:
                self._running -= 1

    def __getattr__(self, name):
        return getattr(self._session, name)


def test_a_session_that_runs_one_inference_at_a_time_gets_one_crop_at_a_time(
        model_dir, sample_images) -> None:
    """OpenVINO's session serves one inference at a time: the image workers never call it from
    two threads at once (the second would wait instead of decoding), and the answers stay."""
    model = model_dir / "squeezenet1.1.onnx"
    reference = [r.classification.top.index
                 for r in classify_files(sample_images[:24], Classifier.load(
                     model, SessionSettings(threads=1, spin_wait=False)))]
    serial = Classifier.load(model, SessionSettings(threads=1, spin_wait=False))
    serial.engine = Engine("serial", "a one-request engine", CPU, device="CPU")
    assert serial.engine.serial_runs and serial.engine.on_cpu
    counting = _CountingSession(serial.session)
    serial.session = counting
    schedule = Schedule("images", workers=3, session_threads=1)
    for _ in range(3):
        results = list(classify_files(sample_images[:24], serial, schedule=schedule))
        assert [r.classification.top.index for r in results] == reference
    assert counting.most == 1
