"""Weights are code: an untrusted pickle is refused before anything unpickles it."""

from __future__ import annotations

import os
import pickle
from pathlib import Path

import pytest

from borderwatch.detector.predictor import load_predictor
from borderwatch.detector.registry import ResolvedModel, resolve_model
from borderwatch.detector.taxonomy import guess_mapping
from borderwatch.detector.weights import (
    detect_format,
    ensure_loadable,
    export_dir,
    export_for_cpu,
    exported_model,
    sha256_of,
)
from borderwatch.errors import InputError, UntrustedWeightsError


class Payload:
    """Unpickling this creates a marker file: what a malicious checkpoint would do, harmlessly."""

    def __init__(self, marker: Path):
        self.marker = str(marker)

    def __reduce__(self):
        return (os.makedirs, (self.marker,))


def malicious(tmp_path: Path) -> tuple[Path, Path]:
    marker = tmp_path / "pwned"
    weights = tmp_path / "evil.pt"
    weights.write_bytes(pickle.dumps({"model": Payload(marker)}))
    return weights, marker


def test_the_payload_really_runs_when_unpickled(tmp_path):
    weights, marker = malicious(tmp_path)
    pickle.loads(weights.read_bytes())  # the control: proves the refusal tests below can fail
    assert marker.exists()


def test_resolve_refuses_an_untrusted_pickle_without_unpickling(tmp_path, monkeypatch):
    monkeypatch.setenv("BORDERWATCH_CACHE", str(tmp_path / "cache"))
    weights, marker = malicious(tmp_path)
    with pytest.raises(UntrustedWeightsError) as err:
        resolve_model(str(weights), models_dir=tmp_path / "no-cards")
    assert str(weights) in str(err.value)
    assert not marker.exists()


def test_load_predictor_refuses_an_untrusted_pickle_without_unpickling(tmp_path):
    weights, marker = malicious(tmp_path)
    resolved = ResolvedModel("evil", weights, "pt", sha256_of(weights), None, guess_mapping(()), trusted=False)
    with pytest.raises(UntrustedWeightsError):
        load_predictor(resolved)
    assert not marker.exists()


def test_a_pickle_swapped_after_resolution_is_refused(tmp_path):
    weights, marker = malicious(tmp_path)
    resolved = ResolvedModel("x", weights, "pt", "0" * 64, None, guess_mapping(()), trusted=True)
    with pytest.raises(UntrustedWeightsError, match="changed"):
        ensure_loadable(resolved)
    assert not marker.exists()


def test_graph_formats_need_no_trust(tmp_path):
    f = tmp_path / "m.onnx"
    f.write_bytes(b"onnx")
    ensure_loadable(ResolvedModel("m", f, "onnx", sha256_of(f), None, guess_mapping(()), trusted=False))


def test_openvino_hash_covers_the_weights(tmp_path):
    folder = tmp_path / "m_openvino_model"
    folder.mkdir()
    (folder / "m.xml").write_text("<net/>")
    (folder / "m.bin").write_bytes(b"\1\2")
    before = sha256_of(folder)
    assert sha256_of(folder / "m.xml") == before
    (folder / "m.bin").write_bytes(b"\1\3")
    assert sha256_of(folder) != before


def test_format_detection(tmp_path):
    assert detect_format(Path("a.PT")) == "pt"
    assert detect_format(Path("a.onnx")) == "onnx"
    with pytest.raises(InputError, match="exactly one .xml"):
        detect_format(tmp_path)
    with pytest.raises(InputError, match="unsupported"):
        detect_format(Path("a.tflite"))


@pytest.mark.slow
def test_export_for_cpu_is_made_once_and_cached(tmp_path, monkeypatch):
    """A tiny untrained YOLO11n (built from its yaml: no download) exported to OpenVINO at 64 px."""
    from ultralytics import YOLO

    monkeypatch.setenv("BORDERWATCH_CACHE", str(tmp_path / "cache"))
    weights = tmp_path / "tiny.pt"
    YOLO("yolo11n.yaml").save(str(weights))
    resolved = resolve_model(str(weights), models_dir=tmp_path / "no-cards", trust_weights=True)
    out = export_for_cpu(resolved, "openvino", imgsz=64, batch=2)
    assert out.is_dir() and list(out.glob("*.xml"))
    assert out.parent == export_dir(resolved, "openvino", 64, 2)
    assert exported_model(out.parent, "openvino") == out
    leftovers = [p.name for p in out.parent.parent.iterdir() if p.name.startswith(".")]
    assert leftovers == []

    import ultralytics

    def no_second_export(*a, **k):
        raise AssertionError("exported twice")

    monkeypatch.setattr(ultralytics, "YOLO", no_second_export)
    assert export_for_cpu(resolved, "openvino", imgsz=64, batch=2) == out

    import numpy as np

    from borderwatch.detector.predictor import YoloPredictor

    p = YoloPredictor(out, conf=0.0)
    assert p.fixed and p.batch == 2 and p.input_hw == (64, 64)
    res = p.predict([np.zeros((64, 64, 3), np.uint8) + 50] * 3)  # 3 tiles through a batch-2 graph
    assert len(res) == 3


def test_export_refuses_untrusted_weights_before_loading(tmp_path, monkeypatch):
    monkeypatch.setenv("BORDERWATCH_CACHE", str(tmp_path / "cache"))
    weights, marker = malicious(tmp_path)
    resolved = ResolvedModel("evil", weights, "pt", sha256_of(weights), None, guess_mapping(()), trusted=False)
    with pytest.raises(UntrustedWeightsError):
        export_for_cpu(resolved, "openvino", imgsz=64, batch=1)
    assert not marker.exists()
