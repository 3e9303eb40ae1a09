"""Crash safety: a detection run killed with SIGKILL at random moments loses nothing when resumed.

Each trial kills a real process running ``detect`` (a forked child of this test, or
``python -m borderwatch.cli detect`` in a subprocess) at a random moment: while hashing frames,
while detecting, in the middle of writing a part or the final tables. After every kill the run
folder must hold only complete files (every part readable and equal to the frame's true result, any
table readable, run.json present only beside finished tables); a resumed run must recompute
exactly the frames whose part was missing and end with tables identical to an uninterrupted run.
The stand-in model is ``standin_factory:bright_boxes`` (deterministic; found via PYTHONPATH).
"""

from __future__ import annotations

import json
import multiprocessing
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from helpers_raster import read_run_tables, write_test_geotiff, write_test_photo

from borderwatch.detector.run import DetectConfig, detect, read_part
from borderwatch.detector.sliced import SliceParams

TESTS = Path(__file__).resolve().parent
FACTORY = "standin_factory:bright_boxes"
TILE, OVERLAP, BATCH = 64, 0.25, 4

pytestmark = [pytest.mark.slow, pytest.mark.timeout(240)]


def _config() -> DetectConfig:
    return DetectConfig(
        model="standin", predictor_factory=FACTORY, slicing=SliceParams(tile_size=TILE, overlap=OVERLAP, batch_size=BATCH)
    )


def _inputs(root: Path) -> Path:
    """Ten frames (photos, 8- and 16-bit GeoTIFFs, one with nodata), a corrupt file and a duplicate."""
    root.mkdir()
    for i in range(10):
        boxes = [(8 + 17 * i, 10, 28 + 17 * i, 22), (40, 60 + 9 * i, 62, 72 + 9 * i), (150, 30, 170, 40, 180)]
        if i % 3 == 0:
            write_test_geotiff(root / f"scene{i}.tif", width=240, height=200, boxes=boxes)
        elif i % 3 == 1:
            write_test_geotiff(
                root / f"pan{i}.tif", width=220, height=180, bands=1, dtype="uint16", boxes=boxes, nodata=0, nodata_cols=6
            )
        else:
            write_test_photo(root / f"photo{i}.jpg", width=240, height=200, boxes=boxes)
    (root / "corrupt.jpg").write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg")
    (root / "copy_of_photo2.jpg").write_bytes((root / "photo2.jpg").read_bytes())
    return root


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """Inputs and the tables of an uninterrupted run (the reference every trial must reach)."""
    root = tmp_path_factory.mktemp("crash")
    inputs = _inputs(root / "in")
    reference = root / "reference"
    summary = detect([inputs], reference, _config(), quiet=True)
    assert (summary.ok, summary.failed, summary.skipped) == (10, 1, 1)
    dets, frames = read_run_tables(reference)
    ok = frames[frames.status == "ok"]
    raw_rows = {r.frame_id: int(r.n_detections) + int(r.n_dropped) for r in ok.itertuples()}
    assert sum(raw_rows.values()) > len(dets) > 20  # some source classes are dropped by the mapping
    return {"root": root, "inputs": inputs, "dets": dets, "frames": frames, "raw_rows": raw_rows}


def check_folder(out: Path, world) -> int:
    """Everything a killed run left must be complete; returns the number of finished parts."""
    parts = out / "parts"
    finished = 0
    for path in sorted(parts.iterdir()) if parts.is_dir() else []:
        name = path.name
        if name.startswith("."):
            assert name.endswith(".part"), name  # only atomic_path's temporaries are hidden
            continue
        if name.endswith(".failed.json"):
            record = json.loads(path.read_text())  # complete JSON, never half a record
            assert record["source_path"].endswith("corrupt.jpg")
            continue
        assert name.endswith(".parquet"), name
        table, meta = read_part(path)
        frame_id = name.split("-")[0]
        assert meta["frame_id"] == frame_id
        assert table.num_rows == world["raw_rows"][frame_id], f"{name}: a part with another frame's or half the boxes"
        finished += 1
    tables = [out / "detections.parquet", out / "frames.parquet"]
    for table in tables:
        if table.exists():
            pq.read_table(table)  # never half written
    if (out / "run.json").exists():
        info = json.loads((out / "run.json").read_text())
        assert info["status"] == "complete_with_failures"
        _same_as_reference(out, world)  # run.json is written last: its tables are finished
    return finished


def _same_as_reference(out: Path, world) -> None:
    dets, frames = read_run_tables(out)
    assert dets.detection_id.is_unique  # no frame's detections twice
    assert dets.equals(world["dets"]), "detections differ from the uninterrupted run"
    assert frames.equals(world["frames"]), "frames differ from the uninterrupted run"


def _resume_and_compare(out: Path, world, finished: int) -> None:
    summary = detect([world["inputs"]], out, _config(), quiet=True)
    assert summary.resumed == finished, "a finished frame was recomputed, or a part was lost"
    assert summary.computed == 10 - finished
    _same_as_reference(out, world)
    leftovers = [p.name for p in out.rglob(".*.part")]
    assert leftovers == []  # the resumed run removed the killed run's temporaries
    assert not list((out / "parts").glob("*.failed.json"))  # failures are rows of frames.parquet, not files


WRITE_CHUNKS, WRITE_PAUSE = 4, 0.01


def _slow_parquet_writes() -> None:
    """Parquet files are written in chunks with pauses, so that a random kill lands inside a write
    often (a write that is not atomic then shows as a truncated file); what is written is unchanged."""
    import io

    import pyarrow.parquet as pq

    original = pq.write_table

    def chunked(table, where, **kwargs):
        buffer = io.BytesIO()
        original(table, buffer, **kwargs)
        data = buffer.getvalue()
        step = -(-len(data) // WRITE_CHUNKS)
        with open(where, "wb") as fh:
            for i in range(0, len(data), step):
                fh.write(data[i : i + step])
                fh.flush()
                time.sleep(WRITE_PAUSE)

    pq.write_table = chunked


def _child(inputs: str, out: str) -> None:
    _slow_parquet_writes()
    detect([inputs], out, _config(), quiet=True)


def _run_forked(inputs: Path, out: Path, kill_after: float | None) -> bool:
    """Run detect in a forked child (imports already done, so a kill lands in the work itself);
    SIGKILL it after ``kill_after`` seconds. True when it was killed before it finished."""
    ctx = multiprocessing.get_context("fork")
    child = ctx.Process(target=_child, args=(str(inputs), str(out)))
    child.start()
    child.join(kill_after)
    killed = child.is_alive()
    if killed:
        os.kill(child.pid, signal.SIGKILL)
        child.join()
    else:
        assert child.exitcode == 0
    return killed


def _timed_run(inputs: Path, out: Path) -> float:
    start = time.perf_counter()
    assert not _run_forked(inputs, out, None)
    return time.perf_counter() - start


def test_sigkill_at_random_moments_then_resume(world):
    """Chains of kills on one folder; each kill leaves a consistent folder, each chain resumes to the
    reference. At least 20 kills land before the run ends."""
    inputs = world["inputs"]
    full = _timed_run(inputs, world["root"] / "timing")  # every frame computed
    _same_as_reference(world["root"] / "timing", world)
    fixed = _timed_run(inputs, world["root"] / "timing")  # every frame resumed: hashing, tables
    per_frame = max(full - fixed, 0.0) / 10

    rng = random.Random(20251115)
    kills = trials = chain = 0
    while kills < 20 and trials < 60:
        out = world["root"] / f"chain{chain}"
        finished = 0
        for _ in range(4):
            # Anywhere in the run this folder still needs (it shrinks as frames get done), and
            # sometimes just after its end, so a kill also lands on a run that finished.
            expected = fixed + per_frame * (10 - finished)
            trials += 1
            if _run_forked(inputs, out, rng.uniform(0.0, 1.05 * expected)):
                kills += 1
            finished = check_folder(out, world)
        _resume_and_compare(out, world, finished)
        chain += 1
    assert kills >= 20, f"only {kills} of {trials} kills landed inside a run"


def _cli(inputs: Path, out: Path) -> list[str]:
    return [
        sys.executable, "-m", "borderwatch.cli", "detect", str(inputs), "--model", "standin",
        "--predictor-factory", FACTORY, "--tile-size", str(TILE), "--overlap", str(OVERLAP),
        "--batch-size", str(BATCH), "--out", str(out), "-q",
    ]


def _env() -> dict:
    path = os.pathsep.join(p for p in (str(TESTS), os.environ.get("PYTHONPATH")) if p)
    return dict(os.environ, PYTHONPATH=path)


def test_sigkill_of_the_cli_then_rerun_of_the_same_command(world):
    """The real command line, killed once it has committed a frame, then rerun as the docs say."""
    rng = random.Random(4)
    for trial in range(3):
        out = world["root"] / f"cli{trial}"
        proc = subprocess.Popen(_cli(world["inputs"], out), env=_env(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 60
        while proc.poll() is None and time.monotonic() < deadline:
            if (out / "parts").is_dir() and any(p.suffix == ".parquet" for p in (out / "parts").iterdir()):
                break
            time.sleep(0.01)
        time.sleep(rng.uniform(0.0, 0.4))
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
        check_folder(out, world)
        rerun = subprocess.run(_cli(world["inputs"], out), env=_env(), capture_output=True, text=True, timeout=120)
        assert rerun.returncode == 1, rerun.stderr  # 1: the corrupt file failed; everything else ran
        assert "corrupt.jpg" in rerun.stderr and "Traceback" not in rerun.stderr
        _same_as_reference(out, world)
