"""The hostile world: attacks and bad luck beyond single broken files (issue 15, issue 13 point 6).

Each test asserts the exact outcome: the error line (or warning), the exit status, and that what was
already written is unchanged. Groups: trust (no pickle runs without an explicit act of the user, one
test per load path), per-item isolation, bounded work, paths, geometry and time, outputs (CSV
cells, temporaries, locks, full disks) and exit codes.
"""

from __future__ import annotations

import errno
import json
import os
import pickle
import signal
import stat
import subprocess
import sys
import threading
import time
import warnings
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest
from helpers_raster import write_test_geotiff, write_test_photo
from hostile import GOOD_BOXES, OTHER_BOXES, good_geotiff, good_photo

from borderwatch.detector.run import DetectConfig, detect
from borderwatch.detector.sliced import SliceParams
from borderwatch.errors import BorderwatchError, ConfigError, InputError, UntrustedWeightsError

TESTS = Path(__file__).resolve().parent
REPO = TESTS.parent
FACTORY = "standin_factory:bright_boxes"
IS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0

pytestmark = pytest.mark.timeout(120)

BILLION_LAUGHS = 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n' + "".join(
    f"{n}: &{n} [{','.join([f'*{p}'] * 9)}]\n" for p, n in zip("abcdefgh", "bcdefghi", strict=True)
)


# ------------------------------------------------------------------------------------------- helpers


class _Payload:
    """Unpickling this creates a folder: what a malicious checkpoint would do, harmlessly."""

    def __init__(self, marker: Path):
        self.marker = str(marker)

    def __reduce__(self):
        return (os.makedirs, (self.marker,))


def _evil_pickle(path: Path, marker: Path) -> Path:
    path.write_bytes(pickle.dumps({"model": _Payload(marker)}))
    return path


def _sha(path: Path) -> str:
    import hashlib

    return hashlib.sha256(path.read_bytes()).hexdigest()


def _env(tmp_path: Path, **extra) -> dict:
    env = dict(os.environ, BORDERWATCH_CACHE=str(tmp_path / "cache"), BORDERWATCH_CONFIG=str(tmp_path / "config"),
               PYTHONPATH=os.pathsep.join(p for p in (str(TESTS), os.environ.get("PYTHONPATH")) if p))
    env.pop("BORDERWATCH_MODELS", None)
    env.update({k: str(v) for k, v in extra.items()})
    return env


def _cli(*args, env: dict, timeout: int = 120, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "borderwatch.cli", *map(str, args)], env=env, capture_output=True,
                          text=True, timeout=timeout, **kwargs)


def _config(**kw) -> DetectConfig:
    return DetectConfig(model="standin", predictor_factory=FACTORY, slicing=SliceParams(tile_size=96, overlap=0.25), **kw)


def _frames(out: Path):
    return pq.read_table(out / "frames.parquet").to_pandas().set_index("source_path")


@pytest.fixture(autouse=True)
def _own_config_dir(tmp_path, monkeypatch):
    """Trust pins live in a config folder of the test's own; no user's pins leak in."""
    monkeypatch.setenv("BORDERWATCH_CONFIG", str(tmp_path / "config"))
    monkeypatch.setenv("BORDERWATCH_CACHE", str(tmp_path / "cache"))
    monkeypatch.delenv("BORDERWATCH_MODELS", raising=False)


def _card(folder: Path, name: str, file: str, sha: str | None, **extra) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    lines = [f"name: {name}", "format: pt", f"file: {file}", "class_source: coco"]
    if sha:
        lines.append(f"sha256: {sha}")
    lines += [f"{k}: {v}" for k, v in extra.items()]
    path = folder / f"{name}.yaml"
    path.write_text("\n".join(lines) + "\n")
    return path


def _forged(path: Path, fmt: str = "pt"):
    """A ResolvedModel claiming trust it was never given (as a tampered Ray task or caller could)."""
    from borderwatch.detector.resolved import ResolvedModel
    from borderwatch.taxonomy import guess_mapping

    return ResolvedModel(name="forged", path=path, format=fmt, sha256=_sha(path), card=None, mapping=guess_mapping(()),
                         trusted=True, origin="path")


# --------------------------------------------------------------------------------------------- trust


def test_card_in_a_user_models_folder_does_not_vouch_for_its_pickle(tmp_path):
    """A card in $BORDERWATCH_MODELS listing a pickle's sha256 describes it; it does not make it trusted."""
    models = tmp_path / "models"
    models.mkdir()
    marker = tmp_path / "pwned"
    weights = _evil_pickle(models / "planted.pt", marker)
    _card(models, "planted", "planted.pt", _sha(weights))
    photo = good_photo(tmp_path)
    done = _cli("detect", photo, "--model", "planted", "--no-download", "--out", tmp_path / "run", "-q",
                env=_env(tmp_path, BORDERWATCH_MODELS=models))
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr and "--trust-weights" in done.stderr and "borderwatch models trust" in done.stderr
    assert str(weights) in done.stderr
    assert not marker.exists()


def test_models_dir_argument_does_not_vouch_either(tmp_path):
    from borderwatch.detector.registry import resolve_model

    models = tmp_path / "extra"
    models.mkdir()
    weights = _evil_pickle(models / "mine.pt", tmp_path / "pwned")
    _card(models, "mine", "mine.pt", _sha(weights))
    with pytest.raises(UntrustedWeightsError, match="--trust-weights"):
        resolve_model("mine", models_dir=models, allow_download=False)
    assert resolve_model("mine", models_dir=models, allow_download=False, trust_weights=True).trusted


def test_a_card_named_like_a_shipped_model_is_an_error_naming_both(tmp_path):
    from borderwatch.detector.registry import resolve_model

    models = tmp_path / "models"
    models.mkdir()
    marker = tmp_path / "pwned"
    weights = _evil_pickle(models / "evil.pt", marker)
    planted = _card(models, "borderwatch-overhead-n", "evil.pt", _sha(weights))
    os.environ["BORDERWATCH_MODELS"] = str(models)
    try:
        with pytest.raises(BorderwatchError) as err:
            resolve_model("borderwatch-overhead-n", allow_download=False)
    finally:
        del os.environ["BORDERWATCH_MODELS"]
    message = str(err.value)
    assert str(planted) in message and str(REPO / "models" / "borderwatch-overhead-n.yaml") in message
    assert "shipped" in message and "\n" not in message
    done = _cli("detect", good_geotiff(tmp_path), "--model", "borderwatch-overhead-n", "--no-download", "--out",
                tmp_path / "run", "-q", env=_env(tmp_path, BORDERWATCH_MODELS=models))
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert str(planted) in done.stderr
    assert not marker.exists()


def test_models_command_reports_a_shadowing_card(tmp_path):
    models = tmp_path / "models"
    planted = _card(models, "yolo11n", "yolo11n.pt", None)
    done = _cli("models", env=_env(tmp_path, BORDERWATCH_MODELS=models))
    assert done.returncode == 2, (done.stdout, done.stderr)
    assert any(str(planted) in line and line.startswith("error") for line in done.stderr.splitlines()), done.stderr


def test_shipped_card_still_vouches_for_its_weights():
    from borderwatch.detector.registry import resolve_model
    from borderwatch.trust import require_trusted

    resolved = resolve_model("borderwatch-overhead-n", allow_download=False)
    assert resolved.trusted
    assert require_trusted(resolved.path, "pt", expected_sha256=resolved.sha256).source == "shipped card"


def test_trust_weights_in_a_config_file_is_refused(tmp_path):
    from borderwatch.pipeline.config import ConfigErrors, parse_config

    (tmp_path / "imagery").mkdir()
    with pytest.raises(ConfigErrors) as err:
        parse_config("inputs: imagery/\nmodels:\n  trust_weights: true\n", source=tmp_path / "shared.yaml",
                     base_dir=tmp_path)
    lines = err.value.lines()
    assert len(lines) == 1 and "models.trust_weights" in lines[0] and "shared.yaml:3" in lines[0]
    assert "--trust-weights" in lines[0] and "config file" in lines[0]


def test_run_command_takes_trust_from_the_command_line_only(tmp_path):
    done = _cli("run", "--help", env=_env(tmp_path))
    assert "--trust-weights" in done.stdout


def test_pinning_a_file_trusts_exactly_those_bytes(tmp_path):
    from borderwatch.detector.registry import resolve_model
    from borderwatch.trust import trusted_file

    weights = tmp_path / "mine.pt"
    weights.write_bytes(pickle.dumps({"harmless": 1}))
    with pytest.raises(UntrustedWeightsError):
        resolve_model(weights)
    done = _cli("models", "trust", weights, env=_env(tmp_path))
    assert done.returncode == 0, done.stderr
    assert _sha(weights) in done.stdout + done.stderr
    pins = trusted_file()
    assert pins.is_file() and stat.S_IMODE(pins.stat().st_mode) == 0o600
    assert resolve_model(weights).trusted
    weights.write_bytes(pickle.dumps({"harmless": 2}))  # other bytes, same name: not trusted
    with pytest.raises(UntrustedWeightsError):
        resolve_model(weights)


def test_a_pins_file_others_can_write_grants_nothing(tmp_path):
    from borderwatch.detector.registry import resolve_model
    from borderwatch.trust import pin, trusted_file

    weights = tmp_path / "mine.pt"
    weights.write_bytes(pickle.dumps({"harmless": 1}))
    pin(weights)
    assert resolve_model(weights).trusted
    trusted_file().chmod(0o666)
    with pytest.raises(UntrustedWeightsError):
        resolve_model(weights)


def test_train_resume_refuses_a_planted_last_pt(tmp_path):
    from borderwatch.training import train

    marker = tmp_path / "pwned"
    run = tmp_path / "runs" / "planted" / "weights"
    run.mkdir(parents=True)
    _evil_pickle(run / "last.pt", marker)
    with pytest.raises(UntrustedWeightsError, match="--trust-weights"):
        train(tmp_path / "data.yaml", resume=True, out_dir=tmp_path / "runs", name="planted")
    assert not marker.exists()


def test_train_start_checkpoint_goes_through_the_check(tmp_path):
    from borderwatch.training import train

    marker = tmp_path / "pwned"
    weights = _evil_pickle(tmp_path / "start.pt", marker)
    data = tmp_path / "data.yaml"
    data.write_text("path: .\ntrain: images\nval: images\nnames: {0: car}\n")
    with pytest.raises(UntrustedWeightsError):
        train(data, model=str(weights), out_dir=tmp_path / "runs", name="x", epochs=1)
    assert not marker.exists()


def test_eval_refuses_an_untrusted_pickle(tmp_path):
    from borderwatch.training.evaluation import load_model

    marker = tmp_path / "pwned"
    with pytest.raises(UntrustedWeightsError):
        load_model(_evil_pickle(tmp_path / "eval.pt", marker))
    assert not marker.exists()


def test_export_rechecks_trust_instead_of_believing_the_resolved_flag(tmp_path):
    from borderwatch.detector.weights import export_for_cpu

    marker = tmp_path / "pwned"
    forged = _forged(_evil_pickle(tmp_path / "export.pt", marker))
    with pytest.raises(UntrustedWeightsError):
        export_for_cpu(forged, "onnx", imgsz=64, batch=1, cache_dir=tmp_path / "cache")
    assert not marker.exists()


def test_int8_export_rechecks_trust_first(tmp_path):
    from borderwatch.detector.weights import export_int8_for_cpu

    marker = tmp_path / "pwned"
    forged = _forged(_evil_pickle(tmp_path / "int8.pt", marker))
    with pytest.raises(UntrustedWeightsError):
        export_int8_for_cpu(forged, [np.zeros((64, 64, 3), np.uint8)], imgsz=64, batch=1, cache_dir=tmp_path / "c")
    assert not marker.exists()


def test_predictor_and_ray_worker_load_recheck_trust(tmp_path):
    """load_predictor is what a Ray worker calls with the ResolvedModel it was sent."""
    from borderwatch.detector.predictor import load_predictor

    marker = tmp_path / "pwned"
    forged = _forged(_evil_pickle(tmp_path / "worker.pt", marker))
    with pytest.raises(UntrustedWeightsError):
        load_predictor(forged, device="cpu", runtime="native")
    assert not marker.exists()


def test_ultralytics_autoinstall_is_off_in_borderwatch_processes(tmp_path):
    code = ("import borderwatch.cli, os; import ultralytics.utils.checks as c; "
            "print(os.environ.get('YOLO_AUTOINSTALL'), c.AUTOINSTALL)")
    env = _env(tmp_path)
    env.pop("YOLO_AUTOINSTALL", None)
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    assert done.stdout.split() == ["False", "False"], done.stderr


def test_a_folder_named_like_an_ncnn_model_never_reaches_pip(tmp_path):
    folder = tmp_path / "evil_ncnn_model"
    folder.mkdir()
    (folder / "model.xml").write_text("<net/>")
    (folder / "model.bin").write_bytes(b"\0" * 16)
    done = _cli("detect", good_photo(tmp_path), "--model", folder, "--runtime", "native", "--device", "cpu",
                "--out", tmp_path / "run", "-q", env=_env(tmp_path))
    assert done.returncode == 2, done.stderr
    assert "ncnn" in done.stderr and str(folder) in done.stderr
    assert "pip" not in done.stderr.lower() and "AutoUpdate" not in done.stderr


def test_models_command_finds_weights_kept_in_borderwatch_models(tmp_path):
    """A shipped card whose weights the user keeps in $BORDERWATCH_MODELS: listed where detect finds them."""
    models = tmp_path / "weights"
    models.mkdir()
    (models / "yolo11n.pt").write_bytes(b"placeholder")
    done = _cli("models", env=_env(tmp_path, BORDERWATCH_MODELS=models, COLUMNS=400))
    assert done.returncode == 0, done.stderr
    row = next(line for line in done.stdout.splitlines() if line.startswith("yolo11n "))
    assert str(models / "yolo11n.pt") in row


# ------------------------------------------------------------------------------------- per-item isolation


def _complex_geotiff(path: Path) -> Path:
    import rasterio
    from affine import Affine
    from helpers_raster import HYESAN_UTM, hyesan_origin

    x, y = hyesan_origin()
    data = (np.random.default_rng(0).normal(size=(1, 64, 64)) + 1j).astype(np.complex64)
    with rasterio.open(path, "w", driver="GTiff", width=64, height=64, count=1, dtype="complex64", crs=HYESAN_UTM,
                       transform=Affine.translation(x, y) * Affine.scale(0.5, -0.5)) as ds:
        ds.write(data)
    return path


def _batch_with(tmp_path: Path, build) -> tuple[Path, Path, object]:
    folder = tmp_path / "batch"
    folder.mkdir()
    good = good_photo(folder)
    bad = build(folder)
    return folder, good, bad


def test_a_complex64_geotiff_fails_alone(tmp_path, capsys):
    folder, good, bad = _batch_with(tmp_path, lambda f: _complex_geotiff(f / "sar.tif"))
    summary = detect([folder], tmp_path / "run", _config(), quiet=True)
    frames = _frames(tmp_path / "run")
    assert frames.loc[str(good), "status"] == "ok" and frames.loc[str(good), "n_detections"] == 2
    assert frames.loc[str(bad), "status"] == "failed"
    assert "complex" in frames.loc[str(bad), "error"] and "\n" not in frames.loc[str(bad), "error"]
    assert summary.exit_code == 1
    assert any(line.startswith("error") and "sar.tif" in line for line in capsys.readouterr().err.splitlines())


def test_an_unexpected_exception_reading_one_frame_fails_only_that_frame(tmp_path, monkeypatch):
    from borderwatch.detector import rasters

    folder, good, bad = _batch_with(tmp_path, lambda f: good_geotiff(f))
    real = rasters.RasterSource.read

    def boom(self, window):
        raise TypeError("a reader bug nobody foresaw")

    monkeypatch.setattr(rasters.RasterSource, "read", boom)
    summary = detect([folder], tmp_path / "run", _config(), quiet=True)
    monkeypatch.setattr(rasters.RasterSource, "read", real)
    frames = _frames(tmp_path / "run")
    assert frames.loc[str(good), "status"] == "ok"
    assert frames.loc[str(bad), "status"] == "failed" and "TypeError" in frames.loc[str(bad), "error"]
    assert summary.exit_code == 1


def test_a_nul_byte_in_a_manifest_path_fails_that_row(tmp_path):
    folder = tmp_path / "batch"
    folder.mkdir()
    good = good_photo(folder)
    write_test_photo(folder / "listed.jpg", width=200, height=160, boxes=OTHER_BOXES)
    manifest = folder / "nul.csv"
    manifest.write_text("path\nlisted.jpg\nlis\x00ted.jpg\n")
    summary = detect([folder, manifest], tmp_path / "run", _config(), quiet=True)
    frames = _frames(tmp_path / "run").reset_index()
    assert set(frames[frames.status == "ok"].source_path) == {str(good), str(folder / "listed.jpg")}
    failed = frames[frames.status == "failed"]
    assert len(failed) == 1 and "NUL" in failed.error.iloc[0] and "row 3" in failed.error.iloc[0]
    assert summary.exit_code == 1


def test_failures_are_one_table_not_one_file_per_frame(tmp_path):
    """Thousands of missing files: failed rows in frames.parquet, and no file per failure."""
    folder = tmp_path / "batch"
    folder.mkdir()
    good = good_photo(folder)
    rows = "".join(f"missing_{i}.jpg\n" for i in range(3000))
    manifest = folder / "ghosts.csv"
    manifest.write_text("path\n" + rows)
    started = time.perf_counter()
    summary = detect([good, manifest], tmp_path / "run", _config(), quiet=True)
    assert time.perf_counter() - started < 60
    assert summary.failed == 3000 and summary.ok == 1
    assert len(list((tmp_path / "run").rglob("*"))) < 20
    frames = _frames(tmp_path / "run")
    assert (frames.status == "failed").sum() == 3000


def test_a_model_that_cannot_load_exits_2(tmp_path):
    bad = tmp_path / "broken.onnx"
    bad.write_bytes(b"these bytes are not an ONNX graph" * 10)
    done = _cli("detect", good_photo(tmp_path), "--model", bad, "--device", "cpu", "--out", tmp_path / "run", "-q",
                env=_env(tmp_path))
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr and str(bad) in done.stderr and "cannot load model" in done.stderr


# ----------------------------------------------------------------------------------------- bounded work


def test_billion_laughs_manifest_is_refused_quickly(tmp_path):
    folder = tmp_path / "batch"
    folder.mkdir()
    good = good_photo(folder)
    bomb = folder / "laughs.yaml"
    bomb.write_text(BILLION_LAUGHS)
    started = time.perf_counter()
    summary = detect([folder, bomb], tmp_path / "run", _config(), quiet=True)
    assert time.perf_counter() - started < 30
    frames = _frames(tmp_path / "run")
    assert frames.loc[str(good), "status"] == "ok"
    assert frames.loc[str(bomb), "status"] == "failed" and "alias" in frames.loc[str(bomb), "error"]
    assert summary.exit_code == 1


def test_billion_laughs_config_is_refused_quickly(tmp_path):
    from borderwatch.pipeline.config import ConfigErrors, load_config

    path = tmp_path / "laughs.yaml"
    path.write_text("inputs: imagery/\n" + BILLION_LAUGHS)
    started = time.perf_counter()
    with pytest.raises(ConfigErrors) as err:
        load_config(path)
    assert time.perf_counter() - started < 10
    assert "alias" in str(err.value) and str(path) in str(err.value)


def test_billion_laughs_card_is_skipped_and_the_others_resolve(tmp_path, monkeypatch):
    from borderwatch.detector.registry import list_models

    models = tmp_path / "models"
    models.mkdir()
    (models / "laughs.yaml").write_text("name: laughs\n" + BILLION_LAUGHS)
    monkeypatch.setenv("BORDERWATCH_MODELS", str(models))
    problems: list = []
    started = time.perf_counter()
    names = {e.card.name for e in list_models(problems=problems)}
    assert time.perf_counter() - started < 10
    assert "borderwatch-overhead-n" in names and "laughs" not in names
    assert any("alias" in str(p) and "laughs.yaml" in str(p) for p in problems)


def test_a_long_yaml_scalar_is_refused(tmp_path):
    folder = tmp_path / "batch"
    folder.mkdir()
    good_photo(folder)
    manifest = folder / "long.yaml"
    manifest.write_text(f"- {{path: good.jpg, area: {'x' * 200_000}}}\n")
    detect([manifest], tmp_path / "run", _config(), quiet=True)
    frames = _frames(tmp_path / "run")
    assert frames.loc[str(manifest), "status"] == "failed" and "characters" in frames.loc[str(manifest), "error"]


def test_a_config_too_large_is_refused(tmp_path):
    from borderwatch.pipeline.config import load_config

    path = tmp_path / "huge.yaml"
    path.write_text("inputs: imagery/\n" + "# padding\n" * 400_000)
    with pytest.raises(ConfigError, match="larger than|more than") as err:
        load_config(path)
    assert str(path) in str(err.value)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_a_fifo_and_a_dev_zero_link_in_an_input_folder_are_refused(tmp_path):
    folder, good, _ = _batch_with(tmp_path, lambda f: None)
    os.mkfifo(folder / "pipe.jpg")
    (folder / "zero.tif").symlink_to("/dev/zero")
    done: dict = {}
    worker = threading.Thread(target=lambda: done.update(s=detect([folder], tmp_path / "run", _config(), quiet=True)))
    worker.daemon = True
    worker.start()
    worker.join(60)
    if worker.is_alive():  # unblock the reader so the test process can end
        with open(folder / "pipe.jpg", "wb"):
            pass
        pytest.fail("detect hangs on a FIFO")
    frames = _frames(tmp_path / "run")
    assert frames.loc[str(good), "status"] == "ok"
    assert "FIFO" in frames.loc[str(folder / "pipe.jpg"), "error"]
    assert "character device" in frames.loc[str(folder / "zero.tif"), "error"]
    assert done["s"].exit_code == 1


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_a_fifo_given_as_manifest_or_config_is_refused(tmp_path):
    from borderwatch.detector.manifest import read_manifest
    from borderwatch.pipeline.config import load_config

    os.mkfifo(tmp_path / "rows.csv")
    os.mkfifo(tmp_path / "run.yaml")
    with pytest.raises(InputError, match="FIFO"):
        read_manifest(tmp_path / "rows.csv", None)
    with pytest.raises(ConfigError, match="FIFO"):
        load_config(tmp_path / "run.yaml")


# ---------------------------------------------------------------------------------------------- paths


def test_a_manifest_symlink_that_leads_outside_its_folder_is_refused(tmp_path):
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    secret = good_photo(outside, "secret.jpg")
    folder = tmp_path / "batch"
    folder.mkdir()
    (folder / "innocent").symlink_to(outside)
    manifest = folder / "m.csv"
    manifest.write_text("path\ninnocent/secret.jpg\n")
    detect([manifest], tmp_path / "run", _config(), quiet=True)
    frames = _frames(tmp_path / "run").reset_index()
    assert str(secret) not in set(frames.source_path)
    row = frames[frames.status == "failed"].iloc[0]
    assert "outside the manifest's folder" in row.error
    assert "innocent/secret.jpg" in row.error and row.source_path == str(manifest)


def test_symlinked_subfolders_are_followed_once_and_cycles_end(tmp_path):
    other = tmp_path / "other"
    other.mkdir()
    write_test_photo(other / "linked.jpg", width=200, height=160, boxes=OTHER_BOXES)
    folder = tmp_path / "batch"
    folder.mkdir()
    good_photo(folder)
    (folder / "sub").symlink_to(other)
    (folder / "loop").symlink_to(folder)
    summary = detect([folder], tmp_path / "run", _config(), quiet=True)
    frames = _frames(tmp_path / "run").reset_index()
    ok = frames[frames.status == "ok"]
    assert {Path(p).name for p in ok.source_path} == {"good.jpg", "linked.jpg"}
    assert summary.ok == 2


def test_report_does_not_embed_files_outside_the_run_inputs(tmp_path):
    """A run folder someone sent, whose frames table names a local file: it is not read into the report."""
    from html import unescape

    from helpers_geo import detection, frame, write_run

    from borderwatch.report.build import build_report

    (tmp_path / "private").mkdir()
    secret = good_photo(tmp_path / "private", "diary.jpg")

    def run_naming(inputs: list[str], name: str) -> Path:
        row = frame("f1", "2025-09-15T10:00:00Z", kind="photo")
        row.update(source_path=str(secret), width=200, height=160)
        return write_run(tmp_path / name, [row], [detection(row, 0)],
                         run_json={"status": "complete", "inputs": inputs, "model": {"name": "m", "sha256": "ab" * 32}})

    sent = run_naming([str(tmp_path / "their-inputs")], "sent-run")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        html = unescape(Path(build_report(sent, None, quiet=True).index).read_text())
    assert "outside the run's inputs" in html and "detections in diary.jpg" not in html
    own = run_naming([str(tmp_path / "private")], "own-run")  # the same row, from a run over that folder
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        html = unescape(Path(build_report(own, None, quiet=True).index).read_text())
    assert "outside the run's inputs" not in html and "detections in diary.jpg" in html


# ---------------------------------------------------------------------------------- geometry and time


def test_overlapping_multipolygon_parts_are_unioned_not_cut(tmp_path):
    from shapely.geometry import MultiPolygon, box

    from borderwatch.geo.areas import load_areas

    a = box(128.15, 41.37, 128.19, 41.41)
    b = box(128.17, 41.37, 128.21, 41.41)  # overlaps a: an invalid MultiPolygon
    path = tmp_path / "overlap.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"name": "Hyesan"}, "geometry": MultiPolygon([a, b]).__geo_interface__}]}))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        areas = load_areas(path, "name")
    geom = areas.frame.geometry.iloc[0]
    assert geom.is_valid
    assert abs(geom.area - a.union(b).area) < 1e-9  # the overlap belongs to the area, not cut out


def test_a_raster_with_megametre_pixels_is_refused(tmp_path):
    folder, good, bad = _batch_with(tmp_path, lambda f: write_test_geotiff(f / "giant.tif", gsd=1e6, boxes=GOOD_BOXES))
    detect([folder], tmp_path / "run", _config(), quiet=True)
    frames = _frames(tmp_path / "run")
    assert frames.loc[str(bad), "status"] == "failed"
    assert "off the Earth" in frames.loc[str(bad), "error"] or "not finite" in frames.loc[str(bad), "error"]


def test_an_antimeridian_footprint_is_split(tmp_path):
    from affine import Affine
    from pyproj import Transformer

    # UTM 60N, a 2 km wide scene straddling 180 degrees at 65 N (Chukotka)
    x, y = Transformer.from_crs("EPSG:4326", "EPSG:32660", always_xy=True).transform(180.0, 65.0)
    path = write_test_geotiff(tmp_path / "dateline.tif", width=200, height=200, crs="EPSG:32660",
                              transform=Affine.translation(x - 1000, y + 1000) * Affine.scale(10, -10), boxes=GOOD_BOXES)
    detect([path], tmp_path / "run", _config(), quiet=True)
    import geopandas as gpd

    frames = gpd.read_parquet(tmp_path / "run" / "frames.parquet")
    geom = frames.geometry.iloc[0]
    assert geom.geom_type == "MultiPolygon"
    minx, _, maxx, _ = geom.bounds
    assert minx >= -180 and maxx <= 180
    assert all((p.bounds[2] - p.bounds[0]) < 1 for p in geom.geoms)  # no part spans the globe


def test_an_offset_of_25_hours_is_an_error_not_utc(tmp_path):
    from borderwatch.detector.exif import zone
    from borderwatch.detector.manifest import read_manifest

    folder = tmp_path / "batch"
    folder.mkdir()
    good_photo(folder)
    manifest = folder / "m.csv"
    manifest.write_text("path,captured_at\ngood.jpg,2025-09-15T10:00:00+25:00\n")
    from datetime import UTC

    result = read_manifest(manifest, UTC)
    assert not result.entries and len(result.problems) == 1
    assert "+25:00" in str(result.problems[0].error) and "offset" in str(result.problems[0].error)
    with pytest.raises(ConfigError, match="offset"):
        zone("+25:00")


def test_a_float_raster_with_nan_and_huge_outliers_is_normalised_robustly(tmp_path):
    import rasterio

    reference = write_test_geotiff(tmp_path / "u8.tif", boxes=GOOD_BOXES + [(150, 150, 170, 162)])
    float_path = tmp_path / "f32.tif"
    with rasterio.open(reference) as src:
        profile = src.profile | {"dtype": "float32"}
        data = src.read().astype(np.float32)
    rng = np.random.default_rng(3)
    noise = rng.random(data.shape[1:])
    data[:, noise < 0.05] = np.nan
    data[:, (noise >= 0.05) & (noise < 0.08)] = 3e38
    with rasterio.open(float_path, "w", **profile) as dst:
        dst.write(data)
    with warnings.catch_warnings(record=True):
        warnings.simplefilter("always")
        ref = detect([reference], tmp_path / "run-u8", _config(), quiet=True)
    from datetime import UTC

    from borderwatch.detector.rasters import RasterSource

    with RasterSource(float_path, UTC) as source:
        _ = source.stretch
        assert any("outlier" in w or "normalis" in w for w in source.warnings), source.warnings
    got = detect([float_path], tmp_path / "run-f32", _config(), quiet=True)
    assert ref.detections == 3 and got.detections == ref.detections


# ------------------------------------------------------------------------------------------- outputs


def test_csv_cells_that_a_spreadsheet_would_run_are_neutralised(tmp_path):
    import pandas as pd

    from borderwatch.atomic import write_csv

    df = pd.DataFrame({"area": ["=HYPERLINK(\"http://x\",\"Hyesan\")", "+1", "-cmd", "@SUM(A1)", "\tx", "\rx", "Hyesan"],
                       "n": [-3, 1, 2, 3, 4, 5, 6]})
    write_csv(tmp_path / "out.csv", df)
    import csv

    with open(tmp_path / "out.csv", newline="") as fh:
        back = pd.DataFrame(list(csv.DictReader(fh)))
    back["n"] = back["n"].astype(int)
    assert list(back.area) == ["'=HYPERLINK(\"http://x\",\"Hyesan\")", "'+1", "'-cmd", "'@SUM(A1)", "'\tx", "'\rx", "Hyesan"]
    assert list(back.n) == [-3, 1, 2, 3, 4, 5, 6]  # numbers stay numbers


def test_temporaries_of_a_killed_writer_are_cleaned_by_the_next_write(tmp_path):
    from borderwatch.atomic import write_text

    stale = [tmp_path / ".report.pdf.1f2e3d4c5b6a.part", tmp_path / ".counts.gpkg.99999999.abcdef.part-journal"]
    for p in stale:
        p.write_bytes(b"half")
        os.utime(p, (time.time() - 7200, time.time() - 7200))
    fresh = tmp_path / f".report.pdf.{os.getpid()}.aaaaaaaaaaaa.part"  # a live writer's: this pid runs
    fresh.write_bytes(b"in progress")
    write_text(tmp_path / "report.pdf", "x")
    write_text(tmp_path / "counts.gpkg", "x")
    assert not any(p.exists() for p in stale)
    assert fresh.exists()
    # the GeoPackage writer's own temporaries (mkstemp names, SQLite journal) go too, once old
    from borderwatch.geo.outputs import write_gpkg

    gdal_style = [tmp_path / ".borderwatch.k3j2h1.gpkg", tmp_path / ".borderwatch.k3j2h1.gpkg-journal"]
    for p in gdal_style:
        p.write_bytes(b"half")
        os.utime(p, (time.time() - 7200, time.time() - 7200))
    import geopandas as gpd
    from shapely.geometry import box

    write_gpkg(tmp_path / "borderwatch.gpkg", {"areas": gpd.GeoDataFrame({"name": ["a"]}, geometry=[box(0, 0, 1, 1)],
                                                                          crs="EPSG:4326")})
    assert not any(p.exists() for p in gdal_style) and (tmp_path / "borderwatch.gpkg").is_file()


def test_two_runs_writing_one_folder_the_second_is_refused(tmp_path):
    from borderwatch.atomic import folder_lock

    folder = tmp_path / "batch"
    folder.mkdir()
    good_photo(folder)
    out = tmp_path / "run"
    out.mkdir()
    with folder_lock(out, "test"):
        with pytest.raises(ConfigError, match="another borderwatch"):
            detect([folder], out, _config(), quiet=True)
    assert detect([folder], out, _config(), quiet=True).ok == 1


def test_a_full_disk_says_so_and_names_the_file(tmp_path, monkeypatch):
    from borderwatch import atomic

    def full(self, data):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(Path, "write_bytes", full)
    with pytest.raises(BorderwatchError) as err:
        atomic.write_text(tmp_path / "counts.csv", "a,b\n")
    assert "disk full" in str(err.value) and str(tmp_path / "counts.csv") in str(err.value)
    assert not list(tmp_path.glob(".*.part"))


def test_a_disk_filling_up_during_detect_stops_it_saying_so_and_keeps_what_is_done(tmp_path, monkeypatch):
    import pyarrow.parquet as pq_module

    from borderwatch.detector.run import RunInterrupted

    folder = tmp_path / "batch"
    folder.mkdir()
    for i in range(3):
        write_test_photo(folder / f"p{i}.png", width=200, height=160, boxes=[(10 + 20 * i, 10, 40 + 20 * i, 30)])
    real = pq_module.write_table
    calls = {"n": 0}

    def filling(table, where, *args, **kwargs):
        calls["n"] += 1
        if calls["n"] > 1:
            raise OSError(errno.ENOSPC, "No space left on device")
        return real(table, where, *args, **kwargs)

    monkeypatch.setattr(pq_module, "write_table", filling)
    with pytest.raises(RunInterrupted) as err:
        detect([folder], tmp_path / "run", _config(), quiet=True)
    message = str(err.value)
    assert "disk full while writing" in message and str(tmp_path / "run" / "parts") in message
    assert "1 done and kept" in message and "\n" not in message
    assert len(list((tmp_path / "run" / "parts").glob("*.parquet"))) == 1
    assert not list((tmp_path / "run" / "parts").glob(".*.part"))


# ---------------------------------------------------------------------------------------- exit codes


def test_a_folder_with_no_images_is_an_error(tmp_path):
    folder = tmp_path / "nothing"
    folder.mkdir()
    (folder / "notes.txt").write_text("no pictures here")
    done = _cli("detect", folder, "--model", "standin", "--predictor-factory", FACTORY, "--out", tmp_path / "run",
                env=_env(tmp_path))
    assert done.returncode == 2, done.stderr
    assert "no images" in done.stderr and str(folder) in done.stderr


def test_ctrl_c_exits_130_and_says_what_was_kept(tmp_path):
    folder = tmp_path / "many"
    folder.mkdir()
    for i in range(40):
        write_test_photo(folder / f"p{i:02d}.png", width=400, height=300, boxes=[(10 + i, 10, 40 + i, 30)])
    proc = subprocess.Popen(
        [sys.executable, "-m", "borderwatch.cli", "detect", str(folder), "--model", "standin", "--predictor-factory",
         "standin_factory:slow_bright_boxes", "--tile-size", "96", "--out", str(tmp_path / "run"), "-q"],
        env=_env(tmp_path), stderr=subprocess.PIPE, text=True,
        # a shell without job control starts background jobs with SIGINT ignored, and the child would
        # inherit that (Python installs its Ctrl-C handler only where SIGINT is not ignored)
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    parts = tmp_path / "run" / "parts"
    deadline = time.time() + 90
    while time.time() < deadline and len(list(parts.glob("*.parquet")) if parts.is_dir() else []) < 2:
        time.sleep(0.2)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "Traceback" not in err
    kept = len(list(parts.glob("*.parquet")))
    import re

    said = [int(m.group(1)) for m in re.finditer(r"interrupted .*\((\d+) done and kept\)", err)]
    # a frame whose part was committed just as Ctrl-C landed is kept (and resumed) though not yet counted
    assert said and said[0] in (kept, kept - 1), (kept, err)


def test_run_exits_non_zero_when_articles_are_unreadable(tmp_path, capsys):
    from helpers_raster import BrightBoxPredictor

    from borderwatch.detector.run import ModelHandle
    from borderwatch.pipeline.runner import run_pipeline

    (tmp_path / "imagery").mkdir()
    good_geotiff(tmp_path / "imagery")
    (tmp_path / "articles").mkdir()
    (tmp_path / "articles" / "good.txt").write_text("Last night 27 cars came into Hyesan, a source said.")
    (tmp_path / "articles" / "broken.json").write_text('{"text": "unfinished')
    config = tmp_path / "run.yaml"
    config.write_text("inputs: imagery/\narticles: articles/\n")
    model = ModelHandle.from_predictor(BrightBoxPredictor(), name="stand-in")
    # the library warns (the CLI renders the warning as one line on stderr)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = run_pipeline(config, quiet=True, models={"photo": model, "overhead": model})
    assert result.exit_code == 1
    assert any("broken.json" in str(w.message) for w in caught)
