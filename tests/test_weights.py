"""Weights are code: an untrusted pickle is refused before anything unpickles it."""

from __future__ import annotations

import os
import pickle
from pathlib import Path

import pytest
from conftest import shared_path

from borderwatch.detector.predictor import load_predictor
from borderwatch.detector.registry import ResolvedModel, resolve_model
from borderwatch.detector.weights import (
    detect_format,
    ensure_loadable,
    export_dir,
    export_for_cpu,
    exported_model,
    sha256_of,
)
from borderwatch.errors import ConfigError, InputError, UntrustedWeightsError
from borderwatch.taxonomy import guess_mapping


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
    assert detect_format(Path("a.tflite")) == "tflite"
    with pytest.raises(InputError, match="unsupported"):
        detect_format(Path("a.caffemodel"))


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


def test_match_boxes_counts_one_to_one_matches_of_the_same_class():
    import numpy as np

    from borderwatch.detector.weights import match_boxes

    ref = [np.array([[0, 0, 10, 10, 0.9, 2], [20, 20, 30, 30, 0.8, 2], [50, 50, 60, 60, 0.7, 0]], np.float32)]
    other = [
        np.array(
            [
                [1, 1, 10, 10, 0.9, 2],  # IoU 0.81 with the first: a match
                [0, 0, 10, 10, 0.5, 2],  # the first is taken already: no second match
                [20, 20, 30, 30, 0.8, 7],  # same place, other class: no match
                [52, 52, 70, 70, 0.6, 0],  # IoU < 0.5: no match
            ],
            np.float32,
        )
    ]
    assert match_boxes(ref, other) == (1, 3, 4)
    assert match_boxes([np.zeros((0, 6))], [np.zeros((0, 6))]) == (0, 0, 0)


def test_calibration_tiles_cut_large_images_and_letterbox_small_ones(tmp_path):
    import numpy as np
    from PIL import Image

    from borderwatch.detector.weights import calibration_tiles

    rng = np.random.default_rng(0)
    big = rng.integers(0, 255, (130, 200, 3), np.uint8)  # a 2 x 3 grid of 64 px tiles
    Image.fromarray(rng.integers(0, 255, (40, 50, 3), np.uint8)).save(tmp_path / "small.png")
    blank = np.zeros((64, 64, 3), np.uint8)  # nodata: skipped
    tiles = calibration_tiles([big, blank, tmp_path], 64)
    assert len(tiles) == 7 and all(t.shape == (64, 64, 3) for t in tiles)
    assert (tiles[-1][0, :, 0] == 114).all()  # the small image is letterboxed with ultralytics' grey
    assert len(calibration_tiles([big], 64, limit=2)) == 2
    (tmp_path / "bad.jpg").write_bytes(b"not an image")
    with pytest.raises(InputError, match="decoded"):
        calibration_tiles([tmp_path / "bad.jpg"], 64)


def test_int8_export_needs_calibration_images(tmp_path):
    pytest.importorskip("nncf")
    from borderwatch.detector.weights import export_int8_for_cpu

    weights, marker = malicious(tmp_path)
    resolved = ResolvedModel("evil", weights, "pt", sha256_of(weights), None, guess_mapping(()), trusted=True,
                             trust_given=True)  # as with --trust-weights: the calibration check comes next
    with pytest.raises(ConfigError, match="calibration images"):
        export_int8_for_cpu(resolved, None, imgsz=64, batch=1, cache_dir=tmp_path / "cache")
    assert not marker.exists()


@pytest.mark.parametrize(("rate", "chosen"), [(0.95, True), (0.5, False), (None, False)])
def test_auto_takes_a_cached_int8_export_only_when_it_matched_fp32(tmp_path, rate, chosen):
    import json

    from borderwatch.detector.predictor import _usable_int8
    from borderwatch.detector.weights import INT8_REPORT

    weights = tmp_path / "m.pt"
    weights.write_bytes(b"weights")
    resolved = ResolvedModel("m", weights, "pt", sha256_of(weights), None, guess_mapping(()), trusted=True)
    assert _usable_int8(resolved, None, 64, 2, tmp_path / "cache") is None  # none cached, none to make
    folder = export_dir(resolved, "openvino-int8", 64, 2, tmp_path / "cache")
    model = folder / "m_int8_openvino_model"
    model.mkdir(parents=True)
    (model / "m.xml").write_text("<net/>")
    (model / "m.bin").write_bytes(b"")
    report = {"match_rate": rate, "fp32_boxes": 10, "int8_boxes": 10, "tiles": 4}
    (folder / INT8_REPORT).write_text(json.dumps(report))
    assert _usable_int8(resolved, None, 64, 2, tmp_path / "cache") == (model if chosen else None)


@pytest.mark.slow
def test_int8_export_is_made_once_cached_and_close_to_fp32(tmp_path, monkeypatch):
    """The real COCO weights, quantized on the street photos at 320 px; boxes on two photos vs FP32."""
    nncf = pytest.importorskip("nncf")
    from borderwatch.detector.sliced import SliceParams
    from borderwatch.detector.weights import _read_rgb, export_int8_for_cpu, match_boxes

    weights = shared_path("models", "yolo11n_coco_from_int8.pt")
    street = shared_path("data", "street")
    monkeypatch.setenv("BORDERWATCH_CACHE", str(tmp_path / "cache"))
    resolved = resolve_model(str(weights), models_dir=tmp_path / "no-cards", trust_weights=True)
    made = export_int8_for_cpu(resolved, [street], imgsz=320, batch=4, max_tiles=8)
    assert made.model.parent == export_dir(resolved, "openvino-int8", 320, 4)
    assert made.tiles == 8 and made.fp32_boxes > 0
    assert [p.name for p in made.model.parent.parent.iterdir() if p.name.startswith(".")] == []

    def no_second_quantization(*a, **k):
        raise AssertionError("quantized twice")

    monkeypatch.setattr(nncf, "quantize", no_second_quantization)
    assert export_int8_for_cpu(resolved, None, imgsz=320, batch=4) == made

    params = SliceParams(tile_size=320, batch_size=4)
    fp32 = load_predictor(resolved, params, device="cpu", runtime="openvino")
    int8 = load_predictor(resolved, params, device="cpu", runtime="openvino-int8")
    assert int8.weights == made.model and fp32.weights != made.model

    def boxes(predictor, image):
        import numpy as np

        d = predictor.predict([image])[0]
        return np.concatenate([d.boxes, d.scores[:, None], d.class_ids[:, None]], axis=1)

    photos = [_read_rgb(street / name) for name in ("bus.jpg", "traffic.jpg") if (street / name).is_file()]
    matched, n_fp32, n_int8 = match_boxes([boxes(fp32, p) for p in photos], [boxes(int8, p) for p in photos])
    assert n_fp32 >= 3
    assert matched / max(n_fp32, n_int8) >= 0.75, (matched, n_fp32, n_int8)
