"""Provider "auto": every engine measured, only those that agree with fp32 kept, the fastest used
and remembered per machine and model."""

from __future__ import annotations

import numpy as np
import pytest

from squeezeapp.core.inference import engine_choice
from squeezeapp.core.inference.auto_engine import built_in_frames, choose_engine, compare
from squeezeapp.core.inference.classifier import Classifier, SessionSettings
from squeezeapp.core.inference.engines import CPU_ENGINE, available_engines, openvino_installed


class InstantEngine:
    """A fake engine far faster than any real one: it answers from a table, `wrong` ones with
    every class shifted by one (a broken engine whose scores still look fine)."""

    def __init__(self, reference: Classifier, wrong: bool) -> None:
        self.reference, self.wrong = reference, wrong
        self.answers: dict[bytes, np.ndarray] = {}

    def new_batch(self, count: int) -> np.ndarray:
        return self.reference.new_batch(count)

    def prepare(self, image, out=None):
        return self.reference.prepare(image, out)

    def infer(self, batch: np.ndarray) -> np.ndarray:
        key = batch.tobytes()[:4096] + bytes([batch.shape[0]])
        if key not in self.answers:
            probabilities = self.reference.infer(batch)
            self.answers[key] = np.roll(probabilities, 1, axis=1) if self.wrong else probabilities
        return self.answers[key]


@pytest.fixture(scope="module")
def reference(model_dir) -> Classifier:
    return Classifier.load(model_dir / "squeezenet1.1.onnx", SessionSettings(provider="cpu"))


def test_auto_never_picks_an_engine_that_disagrees(reference) -> None:
    broken = InstantEngine(reference, wrong=True)
    choice = compare(reference, {"cpu": lambda: reference, "broken": lambda: broken},
                     {"broken": "Broken"}, budget_s=0.2)
    assert choice.engine == "cpu", choice
    timing = choice.timing("broken")
    assert timing is not None and not timing.usable
    assert timing.agreed == 0 and timing.compared >= 8
    assert "agreed with fp32 on 0 of" in timing.reason


def test_auto_picks_the_fastest_engine_that_agrees(reference) -> None:
    fast = InstantEngine(reference, wrong=False)
    broken = InstantEngine(reference, wrong=True)
    choice = compare(reference, {"cpu": lambda: reference, "fast": lambda: fast,
                                 "broken": lambda: broken}, {}, budget_s=0.2)
    assert choice.engine == "fast"
    fast_ms, cpu_ms = choice.timing("fast").ms, choice.timing("cpu").ms
    assert fast_ms is not None and cpu_ms is not None and fast_ms < cpu_ms
    assert "same top-1 on" in choice.why


def test_an_engine_that_fails_to_open_is_left_out(reference) -> None:
    def failing():
        raise RuntimeError("no such device\nmore text")

    choice = compare(reference, {"cpu": lambda: reference, "gone": failing}, {}, budget_s=0.1)
    assert choice.engine == "cpu"
    assert choice.timing("gone").reason == "failed: no such device"


def test_the_built_in_frames_give_decided_answers(reference) -> None:
    """The agreement check needs frames on which fp32 is sure of its top-1."""
    probabilities = np.stack([reference.probabilities(f) for f in built_in_frames()])
    ordered = np.sort(probabilities, axis=1)
    assert int(((ordered[:, -1] - ordered[:, -2]) >= 0.05).sum()) >= 16
    assert len(set(probabilities.argmax(1))) >= 8  # varied, not one class for everything


def test_the_choice_is_remembered_and_used_by_auto(model_dir, monkeypatch) -> None:
    model = Classifier.load(model_dir / "squeezenet1.1.onnx", SessionSettings(provider="cpu"))
    choice = choose_engine(model, budget_s=0.2, engines=[CPU_ENGINE])
    assert choice.engine == "cpu"
    assert engine_choice.cached_choice(model.spec.sha256) == choice
    forced = engine_choice.EngineChoice("cpu", "test", choice.timings)
    engine_choice.store_choice(model.spec.sha256, forced)
    assert engine_choice.cached_choice(model.spec.sha256).why == "test"
    assert Classifier.load(model_dir / "squeezenet1.1.onnx").engine == CPU_ENGINE
    # another machine (other CPU flags) has no choice yet
    monkeypatch.setattr(engine_choice, "machine_id", lambda: "another machine")
    assert engine_choice.cached_choice(model.spec.sha256) is None


def test_a_damaged_choices_file_is_ignored(model_dir) -> None:
    model = Classifier.load(model_dir / "squeezenet1.1.onnx")
    path = engine_choice._choices_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"\x00garbage{")
    assert engine_choice.cached_choice(model.spec.sha256) is None
    engine_choice.store_choice(model.spec.sha256,
                               engine_choice.EngineChoice("cpu", "ok", ()))
    assert engine_choice.cached_choice(model.spec.sha256).why == "ok"


@pytest.mark.skipif(not openvino_installed(), reason="the openvino extra is not installed")
def test_openvino_engines_run_and_agree(model_dir, sample_images) -> None:
    """The OpenVINO plugin: its CPU device is listed, runs the rewritten model, and agrees with
    onnxruntime fp32 on the shared photos' top-1 (bf16 on AMX, fp32 elsewhere)."""
    from squeezeapp.core.imaging.decode import read_image

    names = [engine.name for engine in available_engines()]
    assert "openvino-cpu" in names
    fp32 = Classifier.load(model_dir / "squeezenet1.1.onnx", SessionSettings(provider="cpu"))
    openvino = Classifier.load(model_dir / "squeezenet1.1.onnx",
                               SessionSettings(provider="openvino"))
    assert openvino.provider == "OpenVINO" and openvino.engine.name == "openvino-cpu"
    agree = sum(fp32.classify(image).top.index == openvino.classify(image).top.index
                for image in (read_image(path) for path in sample_images[:40]))
    assert agree >= 39


def test_a_slow_starting_engine_is_used_only_where_its_start_pays_off() -> None:
    """OpenVINO compiles the model when it opens: one image on the command line stays on
    onnxruntime CPU, a folder or live video uses the faster engine."""
    timings = (engine_choice.EngineTiming("cpu", "CPU", 4.0, None, 30, 30, True, ""),
               engine_choice.EngineTiming("openvino-cpu", "OV", 1.0, 600.0, 30, 30, True, ""))
    choice = engine_choice.EngineChoice("openvino-cpu", "faster", timings)
    assert not engine_choice.pays_off(choice, 1)
    assert not engine_choice.pays_off(choice, 200)  # 200 × 3 ms = 600 ms: not won back yet
    assert engine_choice.pays_off(choice, 201)
    assert engine_choice.pays_off(choice, None)  # live video, the window


def test_openvino_cpu_sessions_never_pin_and_take_the_thread_count(monkeypatch) -> None:
    """OpenVINO ignores onnxruntime's thread options: the count goes through its load_config,
    and its CPU threads are never pinned (they would fight the decoding for the cores)."""
    import json
    from types import SimpleNamespace

    from squeezeapp.core.inference import engines

    cpu, gpu = (SimpleNamespace(ep_metadata={"ov_device": kind}) for kind in ("CPU", "GPU"))
    monkeypatch.setattr(engines, "_openvino_devices", lambda: [cpu, gpu])

    class Options:  # records what onnxruntime's SessionOptions would be given
        added: tuple = ()

        def add_provider_for_devices(self, devices, options) -> None:
            self.added = (devices, options)

    def configured(kind: str, threads: int | None) -> tuple:
        options = Options()
        engine = engines.Engine(f"openvino-{kind.lower()}", f"OpenVINO {kind}", engines.OPENVINO,
                                kind)
        assert engines.configure(engine, options, threads) is None  # a plugin: no providers
        devices, plugin_options = options.added
        config = plugin_options.get("load_config")
        return devices, json.loads(config) if config else None

    assert configured("CPU", 1) == ([cpu], {"CPU": {"ENABLE_CPU_PINNING": "NO",
                                                    "INFERENCE_NUM_THREADS": "1",
                                                    "NUM_STREAMS": "1"}})
    assert configured("CPU", None) == ([cpu], {"CPU": {"ENABLE_CPU_PINNING": "NO"}})
    assert configured("GPU", 1) == ([gpu], None)  # the GPU's own defaults
