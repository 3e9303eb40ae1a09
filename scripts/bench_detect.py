#!/usr/bin/env python
"""Benchmark borderwatch's sliced inference against SAHI on a large GeoTIFF, in one run.

    nice python scripts/bench_detect.py                       # 20000 px raster, 6000 px crops
    nice python scripts/bench_detect.py --crop 3000 --sahi-sizes 3000 --full-tiles 100   # quicker

1. Builds (once, cached in --workdir) a 20000 x 20000 px tiled, JPEG-compressed, georeferenced GeoTIFF
   by mosaicking real overhead imagery from ../shared/data/overhead resampled to about 30 cm/px,
   written window by window (the raster is never in memory).
2. Runs, each in its own process so that peak RSS is its own (resource.getrusage of the child):
   - hold: load the model and predict one batch (the memory reference);
   - bare: the bare batched forward pass (tensors prepared before the clock starts) on the crop's tiles;
   - ours: borderwatch's detect_source reading the crop window by window from the GeoTIFF;
   - ours on the whole raster (every k-th window read, the others blank) for peak RSS vs raster size;
   - sahi: SAHI's get_sliced_prediction on the crop held in memory (its design), at each --sahi-sizes;
   all with the same weights, tile size, overlap, confidence and NMS IoU (SAHI leaves ultralytics'
   default 0.7, so ours uses 0.7 here too), and SAHI's merge (GREEDYNMM, IoS 0.5) as ours.
   The PyTorch runs use the .pt weights; the OpenVINO runs an export of the same weights made by
   borderwatch (cached), our preferred CPU runtime; openvino-int8 its NNCF int8 quantization,
   calibrated on 32 tiles spread over the raster (cached).
3. Prints tiles/s, the ratios and peak RSS, and writes them to --out.

Compare ratios within one run: the machine may be shared.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from datetime import UTC
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("BORDERWATCH_SHARED", REPO.parent / "shared"))
DEFAULT_WEIGHTS = SHARED / "models" / "yolo11n_coco_from_int8.pt"
GSD_M = 0.3


# --------------------------------------------------------------------------- the large raster


def source_pool(rng: np.random.Generator) -> list[np.ndarray]:
    """Real overhead images resampled to about 30 cm/px: KIT AIS mosaics (13 cm) and DJI frames (~4.5 cm)."""
    import cv2

    folder = SHARED / "data" / "overhead" / "aerial-cars" / "images"
    if not folder.is_dir():
        sys.exit(f"{folder}: not found; the benchmark needs ../shared (or BORDERWATCH_SHARED)")
    pool = []
    for path in sorted(folder.iterdir()):
        bgr = cv2.imread(str(path), cv2.IMREAD_COLOR)
        if bgr is None:
            continue
        gsd = 0.13 if path.name.startswith("MOS") else 0.045
        f = gsd / GSD_M
        small = cv2.resize(bgr, (max(1, round(bgr.shape[1] * f)), max(1, round(bgr.shape[0] * f))), interpolation=cv2.INTER_AREA)
        pool.append(np.ascontiguousarray(small[..., ::-1]))
    rng.shuffle(pool)
    return pool


def fill_block(h: int, w: int, pool: list[np.ndarray], rng: np.random.Generator) -> np.ndarray:
    """A mosaic of pool images (randomly flipped/rotated), row by row, covering an h x w block."""
    out = np.empty((h, w, 3), np.uint8)
    y = 0
    while y < h:
        x, row_h = 0, 0
        while x < w:
            img = pool[int(rng.integers(len(pool)))]
            img = np.rot90(img, int(rng.integers(4)))
            ih, iw = min(img.shape[0], h - y), min(img.shape[1], w - x)
            out[y : y + ih, x : x + iw] = img[:ih, :iw]
            x += iw
            row_h = max(row_h, ih)
        y += row_h
    return out


def make_raster(path: Path, size: int, seed: int = 0) -> float:
    import rasterio
    from rasterio.transform import from_origin
    from rasterio.windows import Window

    t0 = time.perf_counter()
    rng = np.random.default_rng(seed)
    pool = source_pool(rng)
    tmp = path.with_suffix(".part.tif")
    profile = dict(
        driver="GTiff", width=size, height=size, count=3, dtype="uint8", crs="EPSG:32652",
        transform=from_origin(430000.0, 4590000.0, GSD_M, GSD_M), tiled=True, blockxsize=512, blockysize=512,
        compress="JPEG", photometric="YCBCR", jpeg_quality=90, interleave="pixel", BIGTIFF="IF_SAFER",
    )
    step = 2048  # block-aligned windows: only one of these is ever in memory
    with rasterio.Env(GDAL_NUM_THREADS="ALL_CPUS"), rasterio.open(tmp, "w", **profile) as dst:
        dst.update_tags(TIFFTAG_DATETIME="2025:09:15 11:00:00")
        for row in range(0, size, step):
            for col in range(0, size, step):
                h, w = min(step, size - row), min(step, size - col)
                block = fill_block(h, w, pool, rng)
                dst.write(block.transpose(2, 0, 1), window=Window(col, row, w, h))
    os.replace(tmp, path)
    return time.perf_counter() - t0


# --------------------------------------------------------------------------- children


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


class Crop:
    """The top-left crop x crop pixels of a TileSource; optionally only every k-th window is read."""

    def __init__(self, source, crop: int, read_every: int = 1):
        self.source, self.read_every, self.reads = source, read_every, 0
        self.width, self.height = min(crop, source.width), min(crop, source.height)

    def read(self, window):
        from borderwatch.detector.types import TileData

        self.reads += 1
        if self.read_every > 1 and self.reads % self.read_every:
            return TileData(window, np.zeros((window.height, window.width, 3), np.uint8))  # skipped as flat
        return self.source.read(window)


def load(cfg: dict, runtime: str):
    from borderwatch.detector.predictor import load_predictor
    from borderwatch.detector.registry import resolve_model

    resolved = resolve_model(cfg["weights"])  # its sha256 is in models/, so the pickle is trusted
    t0 = time.perf_counter()
    predictor = load_predictor(resolved, params(cfg), device="cpu", runtime=runtime, threads=cfg.get("threads"))
    return predictor, time.perf_counter() - t0


def params(cfg: dict):
    from borderwatch.detector.sliced import SliceParams

    return SliceParams(
        tile_size=cfg["tile"], overlap=cfg["overlap"], batch_size=cfg["batch"], conf=cfg["conf"], iou=cfg["iou"],
        merge="ios", merge_threshold=0.5,
    )


def crop_tiles(cfg: dict, n: int) -> list[np.ndarray]:

    from borderwatch.detector.rasters import RasterSource
    from borderwatch.tiling import iter_windows

    with RasterSource(cfg["raster"], tz=UTC) as src:
        out = []
        for w in iter_windows(min(cfg["crop"], src.width), min(cfg["crop"], src.height), cfg["tile"], cfg["overlap"]):
            out.append(src.read(w).rgb)
            if len(out) == n:
                break
    return out


def calibration_tiles(cfg: dict, n: int = 32) -> list[np.ndarray]:
    """Up to ``n`` non-blank tiles spread over the whole raster: the imagery being processed."""
    from borderwatch.detector.rasters import RasterSource
    from borderwatch.tiling import count_windows, iter_windows

    with RasterSource(cfg["raster"], tz=UTC) as src:
        every = max(1, count_windows(src.width, src.height, cfg["tile"], cfg["overlap"]) // (2 * n))
        out = []
        for k, w in enumerate(iter_windows(src.width, src.height, cfg["tile"], cfg["overlap"])):
            if k % every == 0 and w.width == w.height == cfg["tile"]:
                rgb = src.read(w).rgb
                if rgb.std() > 1.0:
                    out.append(rgb)
            if len(out) == n:
                break
    return out


def child_export(cfg: dict) -> dict:
    from borderwatch.detector.registry import resolve_model
    from borderwatch.detector.weights import export_for_cpu, export_int8_for_cpu

    t0 = time.perf_counter()
    resolved = resolve_model(cfg["weights"])
    if cfg["runtime"] == "openvino-int8":
        done = export_int8_for_cpu(resolved, calibration_tiles(cfg), imgsz=cfg["tile"], batch=cfg["batch"])
        return {"path": str(done.model), "seconds": time.perf_counter() - t0, "match_rate": done.match_rate,
                "fp32_boxes": done.fp32_boxes, "int8_boxes": done.int8_boxes, "calibration_tiles": done.tiles}
    path = export_for_cpu(resolved, cfg["runtime"], imgsz=cfg["tile"], batch=cfg["batch"])
    return {"path": str(path), "seconds": time.perf_counter() - t0}


def child_hold(cfg: dict) -> dict:
    predictor, load_s = load(cfg, cfg["runtime"])
    tiles = crop_tiles(cfg, cfg["batch"])
    predictor.predict(tiles)
    return {"load_s": load_s, "rss_mb": peak_rss_mb()}


def child_bare(cfg: dict) -> dict:
    import torch

    predictor, _ = load(cfg, cfg["runtime"])
    tiles = crop_tiles(cfg, cfg["bare_tiles"])
    b = cfg["batch"]
    batches = [np.stack(tiles[i : i + b]) for i in range(0, len(tiles), b)]
    with torch.inference_mode():
        predictor.backend(predictor._input(batches[0]))  # warm-up
        forward = nms = 0.0
        for arr in batches:
            x = predictor._input(arr)  # prepared before the clock: the bare forward only
            t0 = time.perf_counter()
            y = predictor.backend(x)
            t1 = time.perf_counter()
            predictor._nms(y, conf_thres=cfg["conf"], iou_thres=cfg["iou"], max_det=300)
            forward += t1 - t0
            nms += time.perf_counter() - t1
    return {"tiles": len(tiles), "forward_s": forward, "nms_s": nms, "tiles_per_s": len(tiles) / forward, "rss_mb": peak_rss_mb()}


def child_ours(cfg: dict) -> dict:

    from borderwatch.detector.rasters import RasterSource
    from borderwatch.detector.sliced import SliceStats, detect_source

    predictor, load_s = load(cfg, cfg["runtime"])
    predictor.warmup((cfg["tile"], cfg["tile"]), cfg["batch"])
    stats = SliceStats()
    with gdal_cache_of_detect(), RasterSource(cfg["raster"], tz=UTC) as src:
        crop = Crop(src, cfg["crop"], cfg.get("read_every", 1))
        t0 = time.perf_counter()
        dets = detect_source(crop, predictor, params(cfg), stats=stats)
        wall = time.perf_counter() - t0
    return {
        "load_s": load_s, "wall_s": wall, "tiles": stats.predicted, "windows": stats.windows,
        "tiles_per_s": stats.predicted / wall, "detections": len(dets), "read_wait_s": stats.seconds_read_wait,
        "predict_s": stats.seconds_predict, "merge_s": stats.seconds_merge, "rss_mb": peak_rss_mb(),
        "torch_threads": __import__("torch").get_num_threads(),
    }


def gdal_cache_of_detect():
    """The fixed GDAL block cache ``borderwatch detect`` reads rasters with (GDAL's default grows with the raster)."""
    import rasterio

    from borderwatch.detector.run import DetectConfig

    field = DetectConfig.model_fields.get("gdal_cache_mb")
    megabytes = field.default if field is not None else 64
    return rasterio.Env(GDAL_CACHEMAX=megabytes * 2**20)  # bytes: rasterio hands it to GDALSetCacheMax64


def child_sahi(cfg: dict) -> dict:

    from sahi import AutoDetectionModel
    from sahi.predict import get_sliced_prediction
    from sahi.slicing import get_slice_bboxes

    from borderwatch.detector.rasters import RasterSource
    from borderwatch.tiling import Window

    model = AutoDetectionModel.from_pretrained(
        model_type="ultralytics", model_path=cfg["weights"], confidence_threshold=cfg["conf"], device="cpu",
        image_size=cfg["tile"],
    )
    with RasterSource(cfg["raster"], tz=UTC) as src:
        side = min(cfg["crop"], src.width, src.height)
        image = src.read(Window(0, 0, side, side)).rgb  # SAHI works on an image in memory
    warm = image[: cfg["tile"], : cfg["tile"]]
    get_sliced_prediction(warm, model, slice_height=cfg["tile"], slice_width=cfg["tile"], perform_standard_pred=False, verbose=0)
    if cfg["sahi_threads"]:
        import torch

        # ultralytics' predictor set torch to cores - 1 threads when it started; give SAHI ours
        torch.set_num_threads(cfg["sahi_threads"])
    n = len(get_slice_bboxes(side, side, cfg["tile"], cfg["tile"], True, cfg["overlap"], cfg["overlap"]))
    t0 = time.perf_counter()
    result = get_sliced_prediction(
        image, model, slice_height=cfg["tile"], slice_width=cfg["tile"], overlap_height_ratio=cfg["overlap"],
        overlap_width_ratio=cfg["overlap"], perform_standard_pred=False, postprocess_type="GREEDYNMM",
        postprocess_match_metric="IOS", postprocess_match_threshold=0.5, verbose=0, batch_size=cfg["sahi_batch"],
    )
    wall = time.perf_counter() - t0
    import torch

    return {
        "wall_s": wall, "tiles": n, "tiles_per_s": n / wall, "detections": len(result.object_prediction_list),
        "rss_mb": peak_rss_mb(), "threads": torch.get_num_threads(),
    }


CHILDREN = {"export": child_export, "hold": child_hold, "bare": child_bare, "ours": child_ours, "sahi": child_sahi}


# --------------------------------------------------------------------------- parent


def run_child(mode: str, cfg: dict, env: dict) -> dict:
    proc = subprocess.run(
        [sys.executable, __file__, "--child", mode, "--cfg", json.dumps(cfg)],
        capture_output=True, text=True, env=env, cwd=REPO,
    )
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("{")]
    if proc.returncode != 0 or not lines:
        sys.exit(f"{mode} failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    return json.loads(lines[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--size", type=int, default=20000, help="side of the generated GeoTIFF, pixels")
    ap.add_argument("--crop", type=int, default=6000, help="side of the crop the throughput runs use")
    ap.add_argument("--sahi-sizes", default=None, help="image sides SAHI runs on, comma-separated ('' = none; default: crop, 2 x crop)")
    ap.add_argument("--max-tiles", type=int, default=None, help="shrink the crop so its grid has at most this many tiles")
    ap.add_argument("--rounds", type=int, default=2, help="interleaved repetitions of the throughput runs; the best counts")
    ap.add_argument("--sahi-batch", type=int, default=8, help="SAHI batch_size (1 is SAHI's default)")
    ap.add_argument("--full-tiles", type=int, default=300, help="windows actually read in the whole-raster run (0 = skip)")
    ap.add_argument("--bare-tiles", type=int, default=64, help="tiles for the bare forward measurement")
    ap.add_argument("--tile", type=int, default=640)
    ap.add_argument("--overlap", type=float, default=0.2)
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--conf", type=float, default=0.25)
    ap.add_argument("--iou", type=float, default=0.7, help="per-tile NMS IoU (ultralytics' default, which SAHI uses)")
    ap.add_argument("--weights", default=str(DEFAULT_WEIGHTS))
    ap.add_argument("--runtimes", default="native,openvino,openvino-int8",
                    help="our runtimes to measure (openvino-int8 needs nncf; calibrated on tiles of the raster)")
    ap.add_argument("--also", default=str(SHARED / "models" / "yolo11n_int8_openvino_model"),
                    help="another model to run through ours and the bare forward ('' = none); by default the "
                         "int8 OpenVINO YOLO11n, to show what quantisation adds (not the same weights)")
    ap.add_argument("--workdir", type=Path, default=Path(os.environ.get("TMPDIR", "/tmp")) / "bw-bench")
    ap.add_argument("--out", type=Path, default=None, help="also write the report here")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    ap.add_argument("--cfg", help=argparse.SUPPRESS)
    args = ap.parse_args()

    if args.child:
        print(json.dumps(CHILDREN[args.child](json.loads(args.cfg))), flush=True)
        return

    if args.max_tiles:
        from borderwatch.tiling import stride_for

        k = max(1, int(args.max_tiles**0.5))
        args.crop = min(args.crop, args.tile + stride_for(args.tile, args.overlap) * (k - 1))
    args.workdir.mkdir(parents=True, exist_ok=True)
    raster = args.workdir / f"mosaic_{args.size}.tif"
    lines: list[str] = []

    def say(text: str = "") -> None:
        print(text, flush=True)
        lines.append(text)

    if not raster.exists():
        secs = make_raster(raster, args.size)
        say(f"generated {raster} in {secs:.0f} s")
    say(f"raster {raster}: {args.size} x {args.size} px, {raster.stat().st_size / 1e6:.0f} MB on disk, JPEG tiles 512 px, {GSD_M} m/px")
    say(f"cpu: {os.cpu_count()} cores; load average {os.getloadavg()[0]:.1f}; weights {args.weights}")
    say(f"SAHI batch_size {args.sahi_batch}, perform_standard_pred off (slices only, as ours); torch threads: "
        "cores - 1 for both (ultralytics' choice, and borderwatch's)")
    say(f"tile {args.tile}, overlap {args.overlap}, batch {args.batch}, conf {args.conf}, NMS IoU {args.iou}, merge GREEDYNMM/IoS 0.5")

    env = dict(os.environ, YOLO_OFFLINE="1", BORDERWATCH_CACHE=str(args.workdir / "cache"))
    env.setdefault("YOLO_CONFIG_DIR", str(args.workdir / "yolo-settings"))
    base = dict(
        raster=str(raster), weights=args.weights, tile=args.tile, overlap=args.overlap, batch=args.batch,
        conf=args.conf, iou=args.iou, crop=args.crop, bare_tiles=args.bare_tiles, sahi_batch=args.sahi_batch,
    )
    runtimes = [r for r in args.runtimes.split(",") if r]
    sahi_sizes = [int(v) for v in args.sahi_sizes.split(",") if v] if args.sahi_sizes is not None else [args.crop, 2 * args.crop]
    results: dict[str, dict] = {}

    def measure(key: str, mode: str, cfg: dict) -> None:
        """Run a child; over rounds keep its best tiles/s (interference only slows) and its worst RSS."""
        r = run_child(mode, cfg, env)
        print(f"  {key}: " + ", ".join(f"{k} {v:.2f}" for k, v in r.items() if isinstance(v, float)), file=sys.stderr, flush=True)
        old = results.get(key)
        if old is not None:
            r["all_tiles_per_s"] = old["all_tiles_per_s"] + [r.get("tiles_per_s")]
            r["rss_mb"] = max(r["rss_mb"], old["rss_mb"])
            if (old.get("tiles_per_s") or 0) > (r.get("tiles_per_s") or 0):
                r = dict(old, all_tiles_per_s=r["all_tiles_per_s"], rss_mb=r["rss_mb"])
        else:
            r["all_tiles_per_s"] = [r.get("tiles_per_s")]
        results[key] = r

    for rt in runtimes:
        cfg = dict(base, runtime=rt)
        if rt != "native":
            results[f"export/{rt}"] = run_child("export", cfg, env)  # once; cached for later runs
            exp = results[f"export/{rt}"]
            say(f"{rt} export of the weights: {exp['seconds']:.1f} s (0 when cached)")
            if "match_rate" in exp:
                say(f"  int8 vs FP32 on its {exp['calibration_tiles']} calibration tiles: {exp['fp32_boxes']} vs "
                    f"{exp['int8_boxes']} boxes, match rate {exp['match_rate'] or 0:.1%} (IoU 0.5, same class)")
        measure(f"hold/{rt}", "hold", cfg)
    also = args.also if args.also and Path(args.also).exists() else None
    # Rounds interleave the contenders so that a burst of load elsewhere hits them alike.
    for _ in range(args.rounds):
        for rt in runtimes:
            cfg = dict(base, runtime=rt)
            measure(f"bare/{rt}", "bare", cfg)
            measure(f"ours/{rt}", "ours", cfg)
        if also:
            cfg = dict(base, runtime="native", weights=also)
            measure("bare/also", "bare", cfg)
            measure("ours/also", "ours", cfg)
        if sahi_sizes and sahi_sizes[0] == args.crop:
            # SAHI's own torch threads: ultralytics' cores - 1, the same count borderwatch uses
            measure(f"sahi/{args.crop}", "sahi", dict(base, runtime="native", sahi_threads=0))
    for side in sahi_sizes:
        if f"sahi/{side}" not in results:
            measure(f"sahi/{side}", "sahi", dict(base, crop=side, runtime="native", sahi_threads=0))
    if args.full_tiles:
        from borderwatch.tiling import count_windows

        total = count_windows(args.size, args.size, args.tile, args.overlap)
        every = max(1, total // args.full_tiles)
        rt = runtimes[-1]
        measure("ours-full", "ours", dict(base, crop=args.size, read_every=every, runtime=rt))
        results["ours-full"]["read_every"] = every
        results["ours-full"]["runtime"] = rt

    say()
    say(f"best of {args.rounds} interleaved rounds for the {args.crop} px runs; load average now {os.getloadavg()[0]:.1f}")
    say(f"{'run':34} {'tiles':>6} {'tiles/s':>8} {'peak RSS MB':>12}")
    for rt in runtimes:
        h, b, o = results[f"hold/{rt}"], results[f"bare/{rt}"], results[f"ours/{rt}"]
        say(f"{'hold model + 1 batch (' + rt + ')':34} {args.batch:>6} {'':>8} {h['rss_mb']:>12.0f}")
        say(f"{'bare batched forward (' + rt + ')':34} {b['tiles']:>6} {b['tiles_per_s']:>8.2f} {b['rss_mb']:>12.0f}")
        say(f"{'borderwatch ' + str(args.crop) + ' px (' + rt + ')':34} {o['tiles']:>6} {o['tiles_per_s']:>8.2f} {o['rss_mb']:>12.0f}")
    if also:
        b, o = results["bare/also"], results["ours/also"]
        say(f"{'bare batched forward (int8 also)':34} {b['tiles']:>6} {b['tiles_per_s']:>8.2f} {b['rss_mb']:>12.0f}")
        say(f"{'borderwatch ' + str(args.crop) + ' px (int8 also)':34} {o['tiles']:>6} {o['tiles_per_s']:>8.2f} {o['rss_mb']:>12.0f}")
    for side in sahi_sizes:
        s = results[f"sahi/{side}"]
        say(f"{'SAHI ' + str(side) + ' px (pytorch, ' + str(s['threads']) + ' threads)':34} {s['tiles']:>6} {s['tiles_per_s']:>8.2f} {s['rss_mb']:>12.0f}")
    if "ours-full" in results:
        f = results["ours-full"]
        say(f"{'borderwatch ' + str(args.size) + ' px (' + f['runtime'] + ')':34} {f['tiles']:>6} {f['tiles_per_s']:>8.2f} {f['rss_mb']:>12.0f}"
            f"   ({f['windows']} windows, every {f['read_every']}th read, the rest blank)")
    rounds = {k: v["all_tiles_per_s"] for k, v in results.items() if len(v.get("all_tiles_per_s", [])) > 1}
    if rounds:
        say("tiles/s per round: " + "; ".join(f"{k} " + ", ".join(f"{x:.2f}" for x in v) for k, v in rounds.items()))
    say()
    for rt in runtimes:
        b, o, h = results[f"bare/{rt}"], results[f"ours/{rt}"], results[f"hold/{rt}"]
        overhead = b["tiles_per_s"] / o["tiles_per_s"] - 1
        say(f"{rt}: overhead over the bare batched forward {overhead * 100:+.1f}% "
            f"(NMS alone {b['nms_s'] / b['forward_s'] * 100:.1f}% of the forward); "
            f"peak RSS {o['rss_mb'] - h['rss_mb']:+.0f} MB over holding the model; "
            f"reader wait {o['read_wait_s']:.2f} s, merge {o['merge_s']:.2f} s of {o['wall_s']:.1f} s")
    if sahi_sizes:
        s = results[f"sahi/{sahi_sizes[0]}"]
        if sahi_sizes[0] == args.crop:
            for rt in runtimes:
                o = results[f"ours/{rt}"]
                say(f"borderwatch ({rt}) / SAHI (pytorch) at {args.crop} px: "
                    f"{o['tiles_per_s'] / s['tiles_per_s']:.2f}x tiles/s, {o['detections']} vs {s['detections']} detections")
        if len(sahi_sizes) > 1:
            say("SAHI peak RSS by image size: " + ", ".join(f"{sd} px {results[f'sahi/{sd}']['rss_mb']:.0f} MB" for sd in sahi_sizes))
    if also and sahi_sizes and sahi_sizes[0] == args.crop:
        best_sahi = results[f"sahi/{args.crop}"]["tiles_per_s"]
        o = results["ours/also"]
        say(f"also {also}: {o['tiles_per_s'] / best_sahi:.2f}x SAHI (pytorch), {o['detections']} detections; "
            f"overhead over its bare forward {results['bare/also']['tiles_per_s'] / o['tiles_per_s'] * 100 - 100:+.1f}%")
    if "ours-full" in results:
        rt = results["ours-full"]["runtime"]
        say(f"borderwatch peak RSS by raster size ({rt}): {args.crop} px {results[f'ours/{rt}']['rss_mb']:.0f} MB, "
            f"{args.size} px {results['ours-full']['rss_mb']:.0f} MB")
    if args.out:
        args.out.write_text("\n".join(lines) + "\n" + json.dumps(results, indent=1) + "\n")


if __name__ == "__main__":
    main()
