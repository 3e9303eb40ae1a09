"""The ``borderwatch detect`` and ``borderwatch models`` commands: options, output, exit status."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pyarrow.parquet as pq
import pytest
from helpers_raster import BrightBoxPredictor, exif_bytes, write_test_geotiff, write_test_photo
from typer.testing import CliRunner

from borderwatch.cli import app
from borderwatch.detector.run import ModelHandle
from borderwatch.detector.run import driver as run_module
from borderwatch.taxonomy import mapping_for


@pytest.fixture
def runner():
    return CliRunner()


@pytest.fixture
def stand_in(monkeypatch):
    """Route --model to a stand-in predictor and keep the config the command built."""
    seen: dict = {}
    predictor = BrightBoxPredictor(names={0: "car", 1: "person"})

    def fake_resolve(config):
        seen["config"] = config
        return ModelHandle.from_predictor(predictor, name=config.model, mapping=mapping_for("coco"))

    monkeypatch.setattr(run_module, "resolve_model_handle", fake_resolve)
    seen["predictor"] = predictor
    return seen


@pytest.fixture
def photos(tmp_path):
    root = tmp_path / "photos"
    root.mkdir()
    for i in range(3):
        write_test_photo(
            root / f"p{i}.jpg", width=300, height=200, boxes=[(10 + 30 * i, 20, 30 + 30 * i, 30)],
            exif=exif_bytes(when=f"2025:09:1{i} 10:00:00", offset="+09:00"),
        )
    return root


def test_help_lists_the_options(runner):
    result = runner.invoke(app, ["detect", "--help"], terminal_width=200)
    assert result.exit_code == 0
    for option in ("--model", "--out", "--tile-size", "--overlap", "--batch-size", "--conf", "--iou", "--merge",
                   "--device", "--kind", "--manifest", "--class-map", "--trust-weights", "--tz", "--full-frame", "--quiet"):
        assert option in result.output, option


def test_detect_writes_a_run_and_resumes(runner, stand_in, photos, tmp_path):
    out = tmp_path / "run"
    result = runner.invoke(app, ["detect", str(photos), "--model", "stand-in", "--out", str(out), "--tile-size", "128"])
    assert result.exit_code == 0, result.output
    assert "3 frames: 3 ok; 3 detections" in result.stderr
    assert {p.name for p in out.iterdir()} >= {"detections.parquet", "frames.parquet", "run.json", "parts"}
    assert pq.read_table(out / "detections.parquet").num_rows == 3

    calls = stand_in["predictor"].calls
    again = runner.invoke(app, ["detect", str(photos), "--model", "stand-in", "--out", str(out), "--tile-size", "128"])
    assert again.exit_code == 0 and "3 ok (3 resumed)" in again.stderr
    assert stand_in["predictor"].calls == calls


def test_quiet_prints_nothing_on_success(runner, stand_in, photos, tmp_path):
    result = runner.invoke(app, ["detect", str(photos), "-m", "stand-in", "-o", str(tmp_path / "run"), "-q"])
    assert result.exit_code == 0
    assert result.stderr == "" and result.stdout == ""


def test_options_reach_the_config(runner, stand_in, photos, tmp_path):
    manifest = photos / "m.csv"
    manifest.write_text("path,area\np0.jpg,Hyesan\n")
    mapping = tmp_path / "map.yaml"
    mapping.write_text("person: two_wheeler\n")
    args = [
        "detect", str(photos / "p1.jpg"), "--manifest", str(manifest), "-m", "stand-in", "-o", str(tmp_path / "run"),
        "--tile-size", "256", "--overlap", "0.3", "--batch-size", "2", "--conf", "0.4", "--iou", "0.6",
        "--merge", "nms", "--merge-threshold", "0.45", "--kind", "photo", "--class-map", str(mapping),
        "--tz", "Asia/Pyongyang", "--device", "cpu", "--runtime", "native", "--trust-weights", "--full-frame",
        "--no-download", "-q",
    ]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.stderr
    config = stand_in["config"]
    s = config.slicing
    assert (s.tile_size, s.overlap, s.batch_size, s.conf, s.iou, s.merge, s.merge_threshold) == (256, 0.3, 2, 0.4, 0.6, "nms", 0.45)
    assert (config.kind, config.tz, config.device, config.runtime) == ("photo", "Asia/Pyongyang", "cpu", "native")
    assert config.trust_weights and config.full_frame and not config.allow_download
    assert config.manifests == [manifest] and config.class_map == mapping
    frames = pq.read_table(tmp_path / "run" / "frames.parquet").to_pandas()
    assert sorted(frames.source_path.str.rsplit("/", n=1).str[1]) == ["p0.jpg", "p1.jpg"]
    assert frames.set_index("area").index.dropna().tolist() == ["Hyesan"]
    # full frame: every photo was one tile
    assert stand_in["predictor"].tiles == 2


def test_a_failed_frame_gives_exit_1_and_names_the_file(runner, stand_in, photos, tmp_path):
    (photos / "broken.jpg").write_bytes(b"\xff\xd8\xff garbage")
    result = runner.invoke(app, ["detect", str(photos), "-m", "stand-in", "-o", str(tmp_path / "run"), "-q"])
    assert result.exit_code == 1
    assert "broken.jpg" in result.stderr and "error" in result.stderr
    frames = pq.read_table(tmp_path / "run" / "frames.parquet").to_pandas()
    assert sorted(frames.status) == ["failed", "ok", "ok", "ok"]


def test_interrupted_run_gives_exit_1(runner, monkeypatch, photos, tmp_path):
    broken = BrightBoxPredictor(fail_after=0)
    monkeypatch.setattr(run_module, "resolve_model_handle", lambda config: ModelHandle.from_predictor(broken))
    result = runner.invoke(app, ["detect", str(photos), "-m", "x", "-o", str(tmp_path / "run"), "-q"])
    assert result.exit_code == 1
    assert "rerun the same command to resume" in result.stderr


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--overlap", "0.95"], "--overlap"),
        (["--merge", "average"], "--merge"),
        (["--kind", "satellite"], "--kind"),
        (["--tz", "Mars/Base"], "unknown time zone"),
        (["--tile-size", "8"], "--tile-size"),
        (["--class-map", "/nonexistent/map.yaml"], "cannot read class mapping"),
    ],
)
def test_usage_errors_exit_2(runner, stand_in, photos, tmp_path, extra, message):
    result = runner.invoke(app, ["detect", str(photos), "-m", "stand-in", "-o", str(tmp_path / "run"), *extra])
    assert result.exit_code == 2, result.output
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "run" / "run.json").exists()


def test_missing_inputs_and_unknown_model_exit_2(runner, photos, tmp_path):
    out = str(tmp_path / "run")
    missing = runner.invoke(app, ["detect", str(tmp_path / "nope"), "-m", "x", "-o", out])
    assert missing.exit_code == 2 and "no such file or folder" in missing.stderr
    nothing = runner.invoke(app, ["detect", "-m", "x", "-o", out])
    assert nothing.exit_code == 2
    unknown = runner.invoke(app, ["detect", str(photos), "-m", "no-such-model", "-o", out, "--no-download"])
    assert unknown.exit_code == 2 and "no-such-model" in unknown.stderr


def test_models_lists_cards(runner, tmp_path):
    folder = tmp_path / "models"
    folder.mkdir()
    (folder / "tiny.yaml").write_text(
        "name: tiny-test\nformat: onnx\nfile: tiny.onnx\nclass_source: visdrone\nlicence: MIT\n"
    )
    (folder / "tiny.onnx").write_bytes(b"onnx")
    result = runner.invoke(app, ["models", "--models-dir", str(folder)], terminal_width=250)
    assert result.exit_code == 0, result.output
    line = next(line for line in result.stdout.splitlines() if "tiny-test" in line)
    assert "onnx" in line and "visdrone" in line and "MIT" in line and "local" in line


def test_mixed_geotiff_and_photo_through_the_cli(runner, stand_in, tmp_path):
    write_test_geotiff(tmp_path / "s.tif", width=300, height=300, boxes=[(100, 100, 120, 110)])
    write_test_photo(tmp_path / "p.png", boxes=[(10, 10, 30, 20)])
    out = tmp_path / "run"
    result = runner.invoke(app, ["detect", str(tmp_path / "s.tif"), str(tmp_path / "*.png"), "-m", "x", "-o", str(out), "-q"])
    assert result.exit_code == 0, result.stderr
    dets = pq.read_table(out / "detections.parquet").to_pandas()
    assert sorted(dets.raster_crs.fillna("none")) == ["EPSG:32652", "none"]


@pytest.mark.shared
@pytest.mark.slow
def test_real_cli_on_street_photos(tmp_path):
    from conftest import shared_path

    weights = shared_path("models", "yolo11n_int8_openvino_model")
    street = shared_path("data", "street")
    out = tmp_path / "run"
    env = {**os.environ, "YOLO_OFFLINE": "1"}
    cmd = [sys.executable, "-m", "borderwatch.cli", "detect", str(street), "--model", str(weights), "--out", str(out), "-q"]
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=300)
    assert proc.returncode == 0, proc.stderr
    dets = pq.read_table(out / "detections.parquet").to_pandas()
    per_file = dets.groupby(dets.source_path.str.rsplit("/", n=1).str[1]).vehicle_class.apply(set).to_dict()
    assert "bus" in per_file["bus.jpg"]
    assert "car" in per_file["parking.jpg"]
    run = json.loads((out / "run.json").read_text())
    assert run["status"] == "complete" and run["model"]["format"] == "openvino"
