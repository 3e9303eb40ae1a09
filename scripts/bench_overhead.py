#!/usr/bin/env python
"""CPU speed of the overhead models at 30 cm: tiles/s and km² per hour, ours vs SAHI, in one run.

    nice -n 5 python scripts/bench_overhead.py                  # about 3 minutes on 2 shared cores
    nice -n 5 python scripts/bench_overhead.py --side 1536      # quicker

1. Builds (once, cached in --workdir) a georeferenced GeoTIFF at 30 cm/px from a real KIT AIS aerial
   mosaic of ../shared (13 cm, area-averaged down to 30 cm), ``--side`` pixels square.
2. Runs ``borderwatch detect`` (the library call, default options: slicing, scale and threshold
   from each model's card) on it with each model of ``--models``: the new default, the old
   ``borderwatch-overhead-n``, and any other card or weights path; each after a warm-up run on a
   small raster with the same loaded model (it makes the cached OpenVINO export and compiles it);
   the timed run is the engine alone, as on a long job (SAHI's time likewise excludes its load).
3. Runs SAHI (``get_sliced_prediction``, GREEDYNMM by IoS 0.5, as ours) with the same weights as the
   first model, on the same pixels, with the same window (in raster pixels), model input size and
   threshold as detect used, so that the ratio is one of engines, not of settings.
Prints, per run, windows, seconds, tiles/s, km²/hour and detections, and the ratios to SAHI; writes
them to --out as JSON. Compare ratios within one run: the machine is shared.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("BORDERWATCH_SHARED", REPO.parent / "shared"))
GSD_M = 0.30
KIT_GSD_M = 0.13


def make_raster(path: Path, side: int) -> Path:
    """A ``side`` px square GeoTIFF at 30 cm from the KIT mosaics (tiled side by side as needed)."""
    import cv2
    import rasterio
    from affine import Affine

    folder = SHARED / "data" / "overhead" / "aerial-cars" / "images"
    if not folder.is_dir():
        sys.exit(f"{folder}: not found; the benchmark needs ../shared (or BORDERWATCH_SHARED)")
    canvas = np.zeros((side, side, 3), np.uint8)
    y = x = 0
    row_h = 0
    for src in sorted(p for p in folder.iterdir() if p.name.startswith("MOS")):
        bgr = cv2.imread(str(src), cv2.IMREAD_COLOR)
        if bgr is None:
            continue
        f = KIT_GSD_M / GSD_M
        small = cv2.resize(bgr, (round(bgr.shape[1] * f), round(bgr.shape[0] * f)), interpolation=cv2.INTER_AREA)
        h, w = min(small.shape[0], side - y), min(small.shape[1], side - x)
        canvas[y : y + h, x : x + w] = small[:h, :w, ::-1]
        row_h = max(row_h, h)
        x += w
        if x >= side:
            x, y, row_h = 0, y + row_h, 0
        if y >= side:
            break
    transform = Affine.translation(500000.0, 4600000.0) * Affine.scale(GSD_M, -GSD_M)
    profile = {"driver": "GTiff", "width": side, "height": side, "count": 3, "dtype": "uint8", "crs": "EPSG:32652",
               "transform": transform, "tiled": True, "blockxsize": 256, "blockysize": 256, "compress": "deflate"}
    path.parent.mkdir(parents=True, exist_ok=True)
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(canvas.transpose(2, 0, 1))
    return path


def run_ours(raster: Path, warm: Path, model: str, out: Path) -> dict:
    """detect on ``warm`` (loads the model, makes the cached export), then timed on ``raster``."""
    import shutil

    from borderwatch.detector.run import DetectConfig, detect, resolve_model_handle

    config = DetectConfig(model=model, allow_download=False)
    handle = resolve_model_handle(config)
    for folder in (out.with_name(out.name + "-warm"), out):
        shutil.rmtree(folder, ignore_errors=True)  # a rerun must compute, not resume
    t0 = time.perf_counter()
    detect([warm], out.with_name(out.name + "-warm"), config, quiet=True, model=handle)
    load = time.perf_counter() - t0
    t0 = time.perf_counter()
    summary = detect([raster], out, config, quiet=True, model=handle)
    wall = time.perf_counter() - t0
    info = json.loads((out / "run.json").read_text())
    used = info.get("kinds", {}).get("overhead", {})
    tiles = info.get("tiles", {}).get("predicted") or info.get("tiles", {}).get("windows", 0)
    return {"model": model, "wall_s": wall, "tiles": tiles, "detections": summary.detections, "used": used,
            "load_and_warm_s": load}


def run_sahi(raster: Path, weights: str, task: str, window: int, imgsz: int, conf: float, overlap: float) -> dict:
    import rasterio
    from sahi import AutoDetectionModel
    from sahi.predict import get_sliced_prediction
    from sahi.slicing import get_slice_bboxes

    with rasterio.open(raster) as src:
        image = src.read().transpose(1, 2, 0).copy()
    model = AutoDetectionModel.from_pretrained(model_type="ultralytics", model_path=weights, confidence_threshold=conf,
                                               device="cpu", image_size=imgsz)
    get_sliced_prediction(image[:window, :window], model, slice_height=window, slice_width=window,
                          perform_standard_pred=False, verbose=0)  # warm-up
    h, w = image.shape[:2]
    n = len(get_slice_bboxes(h, w, window, window, True, overlap, overlap))
    t0 = time.perf_counter()
    result = get_sliced_prediction(
        image, model, slice_height=window, slice_width=window, overlap_height_ratio=overlap, overlap_width_ratio=overlap,
        perform_standard_pred=False, postprocess_type="GREEDYNMM", postprocess_match_metric="IOS",
        postprocess_match_threshold=0.5, verbose=0,
    )
    return {"model": f"sahi:{Path(weights).name}", "wall_s": time.perf_counter() - t0, "tiles": n,
            "detections": len(result.object_prediction_list), "task": task}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--side", type=int, default=2048, help="side of the 30 cm test raster, pixels")
    ap.add_argument("--models", default="borderwatch-overhead,borderwatch-overhead-n",
                    help="comma-separated models (cards or paths); SAHI runs the first one's weights")
    ap.add_argument("--no-sahi", action="store_true")
    ap.add_argument("--workdir", type=Path, default=Path(os.environ.get("TMPDIR", "/tmp")) / "bw-bench-overhead")
    ap.add_argument("--out", type=Path, default=None, help="also write the figures here (JSON)")
    args = ap.parse_args()
    os.environ.setdefault("YOLO_OFFLINE", "1")

    raster = args.workdir / f"kit_30cm_{args.side}.tif"
    if not raster.exists():
        make_raster(raster, args.side)
    km2 = (args.side * GSD_M) ** 2 / 1e6
    print(f"raster: {raster} ({args.side} px square at {GSD_M} m = {km2:.3f} km2)")
    warm = args.workdir / "warm_256.tif"
    if not warm.exists():
        make_raster(warm, 256)
    rows = []
    for k, model in enumerate(m.strip() for m in args.models.split(",") if m.strip()):
        rows.append(run_ours(raster, warm, model, args.workdir / f"run{k}"))
    if not args.no_sahi and rows:
        used = rows[0]["used"]
        window = int((used.get("window_px") or [used.get("tile") or 640])[0])
        rows.append(run_sahi(raster, used["weights"], used.get("task", "detect"), window, int(used.get("tile") or window),
                             float(used.get("conf") or 0.25), float(used.get("overlap") or 0.2)))
    sahi = next((r for r in rows if r["model"].startswith("sahi:")), None)
    print(f"{'run':<40} {'tiles':>6} {'seconds':>8} {'tiles/s':>8} {'km2/hour':>9} {'dets':>6} {'vs SAHI':>8}")
    for r in rows:
        r["tiles_per_s"] = r["tiles"] / r["wall_s"] if r["wall_s"] else None
        r["km2_per_hour"] = km2 / r["wall_s"] * 3600 if r["wall_s"] else None
        r["speed_vs_sahi"] = sahi["wall_s"] / r["wall_s"] if sahi and r["wall_s"] else None
        ratio = f"{r['speed_vs_sahi']:.2f}x" if r["speed_vs_sahi"] else ""
        print(f"{r['model']:<40} {r['tiles']:>6} {r['wall_s']:>8.1f} {r['tiles_per_s']:>8.2f} "
              f"{r['km2_per_hour']:>9.1f} {r['detections']:>6} {ratio:>8}")
    for r in rows:
        if r.get("used"):
            u = r["used"]
            print(f"  {r['model']}: window {u.get('window_px')} px -> model input {u.get('tile')} px "
                  f"(model GSD {u.get('gsd_m')} m), overlap {u.get('overlap')}, conf {u.get('conf')}, runtime {u.get('runtime')}")
    if args.out:
        args.out.write_text(json.dumps({"raster_km2": km2, "gsd_m": GSD_M, "runs": rows}, indent=2, default=str))


if __name__ == "__main__":
    main()
