"""Folder classification: schedule chosen from the machine, same answers whichever runs."""

from __future__ import annotations

import pytest

from squeezeapp.core.classifier import Classifier, SessionSettings
from squeezeapp.core.pipeline import classify_files, pipeline_session, plan_schedule, schedule_for


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
    assert not first[9].ok and not second[9].ok and "broken.jpg" in first[9].error
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
