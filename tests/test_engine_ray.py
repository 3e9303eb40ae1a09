"""The Ray engine: same tables as the local engine, one model per worker, crash-safe, optional.

Starting Ray takes seconds, so the Ray tests are few and each does several things. The stand-in
model comes from ``standin_factory`` (tests/), which Ray workers import by name: a local Ray started
by the engine hands them the driver's import path; the cluster fixture exports PYTHONPATH before
starting Ray.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from helpers_raster import read_run_tables, write_test_geotiff, write_test_photo

from borderwatch.detector.run import DetectConfig, RunInterrupted, detect
from borderwatch.detector.sliced import SliceParams
from borderwatch.errors import ConfigError

TESTS = Path(__file__).resolve().parent


def _config(**kwargs) -> DetectConfig:
    factory = kwargs.pop("factory", "standin_factory:bright_boxes")
    return DetectConfig(
        model="standin", predictor_factory=factory, slicing=SliceParams(tile_size=96, overlap=0.25, batch_size=4), **kwargs
    )


def _batch(root: Path) -> Path:
    """Photos and GeoTIFFs (8/16-bit, nodata, an all-nodata one), a corrupt file and a duplicate."""
    root.mkdir()
    for i in range(8):
        boxes = [(8 + 19 * i, 10, 30 + 19 * i, 22), (50, 60 + 11 * i, 72, 72 + 11 * i), (150, 30, 170, 40, 140)]
        if i % 3 == 0:
            write_test_geotiff(root / f"scene{i}.tif", width=260, height=210, boxes=boxes)
        elif i % 3 == 1:
            write_test_geotiff(root / f"pan{i}.tif", width=230, height=190, bands=1, dtype="uint16", boxes=boxes,
                               nodata=0, nodata_cols=9)
        else:
            write_test_photo(root / f"photo{i}.jpg", width=250, height=200, boxes=boxes)
    write_test_geotiff(root / "void.tif", width=128, height=128, nodata=0, nodata_cols=128)
    (root / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00")
    (root / "again.jpg").write_bytes((root / "photo2.jpg").read_bytes())
    return root


def _env() -> dict:
    path = os.pathsep.join(p for p in (str(TESTS), os.environ.get("PYTHONPATH")) if p)
    return dict(os.environ, PYTHONPATH=path)


def test_missing_ray_is_a_clear_error(tmp_path, monkeypatch):
    """engine ray without the package: one line that says what to install, exit status 2."""
    monkeypatch.setitem(sys.modules, "ray", None)  # `import ray` now raises ImportError
    photo = write_test_photo(tmp_path / "a.jpg", boxes=[(10, 10, 30, 20)])
    with pytest.raises(ConfigError, match=r"pip install 'borderwatch\[ray\]'"):
        detect([photo], tmp_path / "run", _config(engine="ray"), quiet=True)
    assert not list((tmp_path / "run" / "parts").glob("*.parquet"))


def test_missing_ray_on_the_command_line(tmp_path):
    photo = write_test_photo(tmp_path / "a.jpg", boxes=[(10, 10, 30, 20)])
    blocker = tmp_path / "noray"
    blocker.mkdir()
    (blocker / "ray.py").write_text("raise ImportError('ray is not installed here')\n")
    env = _env()
    env["PYTHONPATH"] = os.pathsep.join([str(blocker), env["PYTHONPATH"]])
    done = subprocess.run(
        [sys.executable, "-m", "borderwatch.cli", "detect", str(photo), "--model", "standin", "--predictor-factory",
         "standin_factory:bright_boxes", "--engine", "ray", "--out", str(tmp_path / "run"), "-q"],
        env=env, capture_output=True, text=True, timeout=120,
    )
    assert done.returncode == 2
    assert "pip install 'borderwatch[ray]'" in done.stderr and "Traceback" not in done.stderr


@pytest.mark.ray
@pytest.mark.timeout(60)
@pytest.mark.parametrize("address, reason", [("127.0.0.1:1", "cannot reach"), ("nonsense", "is not host:port")])
def test_an_unreachable_ray_address_fails_fast(tmp_path, address, reason):
    """ray.init would retry a dead address for minutes: the engine checks it first."""
    ray = pytest.importorskip("ray")
    photo = write_test_photo(tmp_path / "a.jpg", boxes=[(10, 10, 30, 20)])
    start = time.monotonic()
    with pytest.raises(ConfigError, match=reason):
        detect([photo], tmp_path / "run", _config(engine="ray", ray_address=address), quiet=True)
    assert time.monotonic() - start < 30 and not ray.is_initialized()


def test_ray_options_need_the_ray_engine():
    with pytest.raises(ValueError, match="need engine 'ray'"):
        _config(ray_workers=2)


@pytest.mark.ray
@pytest.mark.slow
@pytest.mark.timeout(300)
def test_ray_engine_writes_the_same_tables_as_the_local_engine(tmp_path):
    ray = pytest.importorskip("ray")
    inputs = _batch(tmp_path / "in")
    local = detect([inputs], tmp_path / "local", _config(), quiet=True)
    assert ray.is_initialized() is False
    summary = detect([inputs], tmp_path / "ray", _config(engine="ray", ray_workers=2), quiet=True)
    assert ray.is_initialized() is False  # the engine started its own local Ray and shut it down
    assert (summary.ok, summary.failed, summary.skipped, summary.computed) == (local.ok, 1, 1, local.ok)
    assert summary.detections == local.detections > 10

    ray_dets, ray_frames = read_run_tables(tmp_path / "ray")
    local_dets, local_frames = read_run_tables(tmp_path / "local")
    assert ray_dets.equals(local_dets)
    assert ray_frames.equals(local_frames)  # footprints (computed on the workers) included
    failed = ray_frames.set_index(ray_frames.source_path.map(lambda p: Path(p).name)).error["broken.png"]
    assert "\n" not in failed and failed

    info = json.loads((tmp_path / "ray" / "run.json").read_text())
    assert info["config"]["engine"] == "ray" and info["config"]["ray_workers"] == 2
    assert info["model"]["classes"] == {"0": "car", "1": "person", "2": "zeppelin"}  # reported by a worker

    # Rerun with Ray: every frame resumes from its part, so Ray is not even started.
    again = detect([inputs], tmp_path / "ray", _config(engine="ray", ray_workers=2), quiet=True)
    assert again.resumed == local.ok and again.computed == 0 and ray.is_initialized() is False


@pytest.fixture(scope="module")
def cluster():
    """A Ray 'cluster' owned by this test process; drivers connect to it with --ray-address."""
    ray = pytest.importorskip("ray")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("PYTHONPATH", _env()["PYTHONPATH"])  # the workers import standin_factory
        mp.setenv("RAY_USAGE_STATS_ENABLED", "0")
        ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, object_store_memory=128 * 2**20,
                 logging_level="ERROR")
        try:
            yield ray, ray.get_runtime_context().gcs_address
        finally:
            ray.shutdown()


@pytest.mark.ray
@pytest.mark.slow
@pytest.mark.timeout(300)
def test_a_killed_driver_on_a_cluster_loses_only_frames_in_flight(cluster, tmp_path):
    ray, address = cluster
    inputs = _batch(tmp_path / "in")
    detect([inputs], tmp_path / "local", _config(), quiet=True)
    out = tmp_path / "run"
    command = [
        sys.executable, "-m", "borderwatch.cli", "detect", str(inputs), "--model", "standin",
        "--predictor-factory", "standin_factory:slow_bright_boxes", "--tile-size", "96", "--overlap", "0.25",
        "--batch-size", "4", "--engine", "ray", "--ray-address", address, "--out", str(out), "-q",
    ]
    proc = subprocess.Popen(command, env=_env(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    while proc.poll() is None and time.monotonic() < deadline:
        if (out / "parts").is_dir() and any(p.suffix == ".parquet" for p in (out / "parts").iterdir()):
            break
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    kept = sorted(p.name for p in (out / "parts").glob("*.parquet"))
    assert kept, "the driver should have committed a frame before the kill"
    assert not (out / "run.json").exists()

    # The same command resumes: the committed frames are not redone; the tables match the local run.
    done = subprocess.run(command, env=_env(), capture_output=True, text=True, timeout=240)
    assert done.returncode == 1, done.stderr  # broken.png
    assert "broken.png" in done.stderr and "Traceback" not in done.stderr
    info = json.loads((out / "run.json").read_text())
    assert info["frames"]["resumed"] >= len(kept)
    (dets, frames), (local_dets, local_frames) = read_run_tables(out), read_run_tables(tmp_path / "local")
    assert dets.equals(local_dets)
    # the slow stand-in has another module name, hence its own model hash: compare all else
    assert frames.drop(columns="params_hash").equals(local_frames.drop(columns="params_hash"))


@pytest.mark.ray
@pytest.mark.slow
@pytest.mark.timeout(300)
def test_a_model_crash_on_a_worker_interrupts_and_each_rerun_keeps_what_was_done(cluster, tmp_path):
    """The stand-in model crashes on its 7th batch in every worker process: each run commits the
    frames finished before the crash and stops; reruns pick up from there until all are done."""
    ray, _ = cluster
    inputs = _batch(tmp_path / "in")
    detect([inputs], tmp_path / "local", _config(), quiet=True)
    out = tmp_path / "run"
    config = _config(engine="ray", ray_workers=1, factory="standin_factory:failing")
    counts = []
    for _ in range(10):
        try:
            summary = detect([inputs], out, config, quiet=True)
            break
        except RunInterrupted as exc:
            assert "simulated crash" in str(exc) and "rerun the same command to resume" in str(exc)
            assert "\n" not in str(exc)
            assert not (out / "run.json").exists()
            counts.append(len(list((out / "parts").glob("*.parquet"))))
            assert len(counts) == 1 or counts[-1] > counts[-2], f"no progress between reruns: {counts}"
    else:
        pytest.fail(f"never finished: parts after each run {counts}")
    assert len(counts) >= 2  # it did crash, more than once
    assert ray.is_initialized()  # a Ray the caller started is left running
    assert summary.resumed == counts[-1] and summary.failed == 1
    (dets, frames), (local_dets, local_frames) = read_run_tables(out), read_run_tables(tmp_path / "local")
    assert dets.equals(local_dets)
    assert frames.drop(columns="params_hash").equals(local_frames.drop(columns="params_hash"))


@pytest.mark.ray
@pytest.mark.slow
@pytest.mark.timeout(300)
def test_a_frame_that_kills_its_worker_fails_alone(cluster, tmp_path):
    """A worker process that dies on a frame (a segfault in a decoder) is restarted; that frame is
    tried once more and then recorded as failed; every other frame is detected."""
    import numpy as np
    from PIL import Image
    from standin_factory import POISON

    inputs = _batch(tmp_path / "in")
    detect([inputs], tmp_path / "local", _config(), quiet=True)
    poison = np.full((120, 160, 3), 20, np.uint8)
    poison[0, 0, 0] = POISON
    Image.fromarray(poison).save(inputs / "poison.png")

    summary = detect([inputs], tmp_path / "run", _config(engine="ray", ray_workers=1, factory="standin_factory:poisoned"),
                     quiet=True)
    assert summary.exit_code == 1 and summary.failed == 2  # broken.png and the poison
    (dets, frames), (local_dets, local_frames) = read_run_tables(tmp_path / "run"), read_run_tables(tmp_path / "local")
    row = frames[frames.source_path.str.endswith("poison.png")].iloc[0]
    assert row.status == "failed" and "Ray worker died 2 times" in row.error and "\n" not in row.error
    assert dets.equals(local_dets)
    others = frames[~frames.source_path.str.endswith("poison.png")].reset_index(drop=True)
    assert others.drop(columns="params_hash").equals(local_frames.drop(columns="params_hash"))
