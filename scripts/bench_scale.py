#!/usr/bin/env python
"""Throughput of the local engine against Ray with 1 and 2 workers, and what Ray adds per frame.

    nice python scripts/bench_scale.py                   # both parts, figures to /tmp/team/bench_scale.txt
    nice python scripts/bench_scale.py --skip-model      # overhead only (no ../shared needed)

1. Overhead: many small frames (one 96 px tile each, so the model costs next to nothing) through a
   cheap stand-in model, with N1 and N2 frames per run. The slope (N2 - N1 frames) / (t2 - t1) is the
   cost per frame without the fixed costs; Ray's slope minus the local one is what Ray adds per
   frame (a round trip to a worker, pickling the result, the worker re-opening the file). The
   intercept is the fixed cost of a run (for Ray: starting the workers and loading the model).
   Starting a local Ray is measured separately, once.
2. Throughput: a real model (../shared/models/yolo11n_int8_openvino_model, COCO classes) on real
   photos (../shared/data/street and 1920x1080 frames of ../shared/data/overhead/aerial-cars),
   sliced at 640 px: frames/s and tiles/s per engine, whole runs (fixed costs included) and with
   the 1-frame run's time subtracted (steady state).

Every run writes a fresh run folder in a temporary directory. The machine may be shared: compare
figures within one run of this script.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
SHARED = Path(os.environ.get("BORDERWATCH_SHARED", REPO.parent / "shared"))
MODEL = SHARED / "models" / "yolo11n_int8_openvino_model"


class OneBoxPredictor:
    """A stand-in that costs almost nothing: one box per tile, at the brightest pixel.

    Defined in this script: Ray pickles it by value, so workers need no extra module.
    """

    names = {0: "car"}

    def predict(self, tiles):
        from borderwatch.detector.types import Detections

        out = []
        for tile in tiles:
            y, x = np.unravel_index(int(np.argmax(tile[..., 0])), tile.shape[:2])
            box = np.array([[x, y, min(x + 8, tile.shape[1]), min(y + 4, tile.shape[0])]], np.float32)
            out.append(Detections(box, np.array([0.9], np.float32), np.array([0], np.int64)))
        return out


def small_frames(folder: Path, n: int) -> list[Path]:
    from PIL import Image

    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    paths = []
    for i in range(n):
        path = folder / f"f{i:05d}.png"
        if not path.exists():
            img = np.full((96, 96, 3), 20, np.uint8)
            x, y = rng.integers(0, 80, 2)
            img[y : y + 6, x : x + 12] = 230
            img[0, 0] = i % 251  # every frame its own content, so none is skipped as a copy
            img[0, 1] = i // 251
            Image.fromarray(img).save(path)
        paths.append(path)
    return paths


def run_once(inputs, out: Path, config, model=None) -> tuple[float, dict]:
    from borderwatch.detector.run import detect

    shutil.rmtree(out, ignore_errors=True)
    start = time.perf_counter()
    summary = detect([str(p) for p in inputs], out, config, quiet=True, model=model)
    seconds = time.perf_counter() - start
    info = json.loads((out / "run.json").read_text())
    assert summary.failed == 0 and summary.computed == len(inputs), summary
    return seconds, info


def engines(workers: list[int]) -> list[tuple[str, dict]]:
    out = [("local", {})]
    out += [(f"ray x{w}", {"engine": "ray", "ray_workers": w}) for w in workers]
    return out


def overhead(work: Path, n1: int, n2: int, workers: list[int], repeat: int, lines: list[str]) -> dict:
    from borderwatch.detector.run import DetectConfig, ModelHandle
    from borderwatch.detector.sliced import SliceParams

    frames = small_frames(work / "small", n2)
    model = ModelHandle.from_predictor(OneBoxPredictor(), name="one-box")
    results = {}
    lines.append(f"## Ray overhead per frame: {n1} and {n2} frames of 96x96 px (1 tile each), stand-in model, "
                 f"best of {repeat}")
    lines.append(f"{'engine':<10} {'t(' + str(n1) + ')':>9} {'t(' + str(n2) + ')':>9} {'ms/frame':>9} {'fixed s':>8}")
    for label, extra in engines(workers):
        config = DetectConfig(model="one-box", slicing=SliceParams(tile_size=96, overlap=0.0, batch_size=8), **extra)
        run_once(frames[:n1], work / "out-small", config, model)  # warm-up: imports, caches, worker processes
        t1 = min(run_once(frames[:n1], work / "out-small", config, model)[0] for _ in range(repeat))
        t2 = min(run_once(frames[:n2], work / "out-small", config, model)[0] for _ in range(repeat))
        per_frame = (t2 - t1) / (n2 - n1)
        fixed = t1 - per_frame * n1
        results[label] = {"t1": t1, "t2": t2, "ms_per_frame": 1000 * per_frame, "fixed_s": fixed}
        lines.append(f"{label:<10} {t1:>9.2f} {t2:>9.2f} {1000 * per_frame:>9.2f} {fixed:>8.2f}")
    local = results["local"]["ms_per_frame"]
    for label in results:
        if label != "local":
            added = results[label]["ms_per_frame"] - local
            results[label]["added_ms_per_frame"] = added
            lines.append(f"{label}: Ray adds {added:+.2f} ms per frame over the local engine")
    return results


def throughput(work: Path, n_aerial: int, workers: list[int], repeat: int, lines: list[str]) -> dict:
    from borderwatch.detector.run import DetectConfig
    from borderwatch.detector.sliced import SliceParams

    street = sorted((SHARED / "data" / "street").glob("*.jp*g"))
    aerial = sorted((SHARED / "data" / "overhead" / "aerial-cars" / "images").glob("DJI_*.jpg"))[:n_aerial]
    frames = street + aerial
    results = {}
    lines.append("")
    lines.append(f"## Throughput: {MODEL.name} on {len(frames)} real photos ({len(street)} street, "
                 f"{len(aerial)} aerial 1920x1080), 640 px tiles, overlap 0.2, batch 8, CPU, best of {repeat}")
    lines.append(f"{'engine':<10} {'wall s':>7} {'frames/s':>9} {'tiles/s':>8} {'1-frame s':>9} {'steady tiles/s':>15}")
    timings: dict[str, dict] = {}
    for _ in range(repeat):  # engines interleaved, best of `repeat`: the machine may be shared
        for label, extra in engines(workers):
            config = DetectConfig(model=str(MODEL), allow_download=False, device="cpu",
                                  slicing=SliceParams(tile_size=640, overlap=0.2, batch_size=8), **extra)
            t_one, _ = run_once(frames[:1], work / "out-model", config)
            seconds, info = run_once(frames, work / "out-model", config)
            best = timings.setdefault(label, {"t_one": t_one, "seconds": seconds, "info": info})
            best["t_one"], best["seconds"] = min(best["t_one"], t_one), min(best["seconds"], seconds)
    for label, best in timings.items():
        t_one, seconds, info = best["t_one"], best["seconds"], best["info"]
        tiles = int(info["tiles"].get("predicted", 0))
        tiles_one = tiles / len(frames)  # the 1-frame run's tiles, about
        steady = (tiles - tiles_one) / max(seconds - t_one, 1e-9)
        results[label] = {"seconds": seconds, "frames_per_s": len(frames) / seconds, "tiles": tiles,
                          "tiles_per_s": tiles / seconds, "one_frame_s": t_one, "steady_tiles_per_s": steady,
                          "detections": info["detections"]}
        lines.append(f"{label:<10} {seconds:>7.2f} {len(frames) / seconds:>9.2f} {tiles / seconds:>8.2f} "
                     f"{t_one:>9.2f} {steady:>15.2f}")
    base = results["local"]["tiles_per_s"]
    for label in results:
        if label != "local":
            lines.append(f"{label}: {results[label]['tiles_per_s'] / base:.2f}x the local engine's tiles/s "
                         f"(steady {results[label]['steady_tiles_per_s'] / results['local']['steady_tiles_per_s']:.2f}x)")
    counts = {label: r["detections"] for label, r in results.items()}
    lines.append(f"detections per engine (must be equal): {counts}")
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--small", type=int, nargs=2, default=(60, 300), metavar=("N1", "N2"),
                        help="frame counts of the two overhead runs")
    parser.add_argument("--aerial", type=int, default=8, help="1920x1080 aerial frames in the throughput part")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--repeat", type=int, default=2, help="runs per engine and size (best kept)")
    parser.add_argument("--skip-model", action="store_true", help="overhead part only")
    parser.add_argument("--skip-overhead", action="store_true", help="throughput part only")
    parser.add_argument("--no-pin", action="store_true",
                        help="let the OS place local Ray workers instead of pinning each to its own cores")
    parser.add_argument("--out", type=Path, default=Path("/tmp/team/bench_scale.txt"))
    parser.add_argument("--json", type=Path, default=None, help="also write the figures as JSON")
    args = parser.parse_args()

    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    os.environ.setdefault("YOLO_OFFLINE", "1")
    import logging

    import ray

    from borderwatch.detector.run.engine_ray import LOCAL_OBJECT_STORE_BYTES, _worker_import_path
    from borderwatch.detector.predictor import available_cpus

    lines = [
        f"# bench_scale {datetime.now(UTC).isoformat(timespec='seconds')} on {available_cpus()} CPU(s), "
        f"ray {ray.__version__}",
    ]
    # One local Ray for all runs, started as the engine starts it; the engine reuses it.
    start = time.perf_counter()
    ray.init(num_cpus=available_cpus(), include_dashboard=False, log_to_driver=False, logging_level=logging.ERROR,
             object_store_memory=LOCAL_OBJECT_STORE_BYTES, runtime_env={"env_vars": {"PYTHONPATH": _worker_import_path()}})
    ray_start = time.perf_counter() - start
    lines.append(f"starting a local Ray: {ray_start:.1f} s (once per `detect --engine ray` without --ray-address)")
    figures: dict = {"ray_start_s": ray_start}
    work = Path(tempfile.mkdtemp(prefix="bw-bench-scale-"))
    from borderwatch.cli_common import err_console

    err_console.quiet = True  # "frames have no capture time" after every run is not a figure
    try:
        if args.no_pin:
            from borderwatch.detector.run import engine_ray

            engine_ray.RayPool._core_sets = lambda self: [None] * self.workers
            lines.append("(workers not pinned to cores)")
        if not args.skip_overhead:
            figures["overhead"] = overhead(work, args.small[0], args.small[1], args.workers, args.repeat, lines)
        if not args.skip_model:
            if not MODEL.is_dir():
                lines.append(f"(throughput part skipped: {MODEL} not found)")
            else:
                figures["throughput"] = throughput(work, args.aerial, args.workers, args.repeat, lines)
    finally:
        ray.shutdown()
        shutil.rmtree(work, ignore_errors=True)
    text = "\n".join(lines) + "\n"
    print(text, end="")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text)
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
