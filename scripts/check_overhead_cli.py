#!/usr/bin/env python
"""The overhead done-when, measured as a user meets it: ``borderwatch detect`` + ``borderwatch count``
with default options, on held-out images written as georeferenced GeoTIFFs.

    nice -n 5 python scripts/check_overhead_cli.py --model borderwatch-overhead      # a few minutes

For each held-out set of scripts/prepare_overhead_eval.py (``beach-test`` at its native ~25 cm,
``kmm-test`` resampled to 30 cm, and for trucks ``simd-test`` at 30 cm) every image becomes a GeoTIFF at its GSD, placed side by side (apart)
in Hyesan's UTM zone with a capture time, under --work (outside the repository). Then, with nothing
but ``--model``:

    borderwatch detect <tifs> --model MODEL --out RUN
    borderwatch count RUN --areas <one polygon around the scenes>

and it prints, per set and class: recall and precision of detections.parquet against the ground
truth (IoU >= 0.5 on the axis-aligned boxes), how many unmatched detections lie mostly (>= 60 %) inside a
labelled box (beach-cars boxes come from car masks, and a mask over two or three parked cars is one box),
and the total: true, raw count, calibrated count with
its 90% interval and their errors (counts.parquet, the one area). simd-test is also where the card's
truck figures come from, so its line checks that detect's per-class threshold reproduces them (the
calibration holds at the threshold detect ran at), not an independent test.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
SETS = {"beach-test": (None, "car"), "kmm-test": (0.3, "car"), "simd-test": (0.3, "truck")}
"""set -> (GSD to resample to (None: native), class scored)"""


def write_tifs(data: Path, gsd: float | None, out: Path) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """GeoTIFFs of the set's images; returns file stem -> (boxes, labels) in the GeoTIFF's pixels."""
    import rasterio
    from affine import Affine
    from pyproj import Transformer

    from borderwatch.datasets.gsd import resample_image
    from borderwatch.training.evaluation import load_eval_data

    ds = load_eval_data(data)
    x0, y0 = Transformer.from_crs("EPSG:4326", "EPSG:32652", always_xy=True).transform(128.18, 41.39)
    out.mkdir(parents=True, exist_ok=True)
    truth = {}
    for k, im in enumerate(ds.images):
        rgb, boxes, g = im.load(), im.boxes, im.gsd_m
        if gsd is not None:
            if im.gsd_m is None or im.gsd_m >= gsd:
                continue
            res = resample_image(im, gsd, pixels=rgb)
            rgb, boxes, g = res.image.pixels, res.image.boxes, gsd
            im = res.image
        # images 400 m apart on a grid, so no two scenes overlap (no cross-scene dedup)
        ox, oy = x0 + (k % 10) * 400.0, y0 - (k // 10) * 400.0
        profile = {"driver": "GTiff", "width": rgb.shape[1], "height": rgb.shape[0], "count": 3, "dtype": "uint8",
                   "crs": "EPSG:32652", "transform": Affine.translation(ox, oy) * Affine.scale(g, -g),
                   "tiled": True, "blockxsize": 256, "blockysize": 256, "compress": "deflate"}
        path = out / f"{im.name}.tif"
        with rasterio.open(path, "w", **profile) as dst:
            dst.write(np.ascontiguousarray(rgb.transpose(2, 0, 1)))
            dst.update_tags(TIFFTAG_DATETIME="2026:09:15 03:00:00")
        truth[path.stem] = (np.asarray(boxes, np.float64).reshape(-1, 4), np.asarray(im.labels))
    return truth


def write_area(tifs: Path) -> Path:
    """One area (a GeoJSON polygon) holding every test scene: the question is the scenes' total."""
    import json

    import rasterio
    import shapely
    from pyproj import Transformer

    to_wgs84 = Transformer.from_crs("EPSG:32652", "EPSG:4326", always_xy=True)
    boxes = []
    for path in sorted(tifs.glob("*.tif")):
        with rasterio.open(path) as src:
            b = src.bounds
        boxes.append(shapely.box(*to_wgs84.transform(b.left, b.bottom), *to_wgs84.transform(b.right, b.top)))
    area = shapely.unary_union(boxes).envelope.buffer(0.001)
    target = tifs.parent / "area.geojson"
    target.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"name": "test scenes"}, "geometry": shapely.geometry.mapping(area)}]}))
    return target


def _inside_share(pred: np.ndarray, gt: np.ndarray) -> np.ndarray:
    """Per predicted box, the largest share of its area inside one labelled box: an unmatched detection
    mostly inside a label is a car of a box drawn around several, or a box a few pixels off, not a
    false alarm."""
    if not len(pred) or not len(gt):
        return np.zeros(len(pred))
    ix = np.clip(np.minimum(pred[:, None, 2], gt[None, :, 2]) - np.maximum(pred[:, None, 0], gt[None, :, 0]), 0, None)
    iy = np.clip(np.minimum(pred[:, None, 3], gt[None, :, 3]) - np.maximum(pred[:, None, 1], gt[None, :, 1]), 0, None)
    area = np.maximum((pred[:, 2] - pred[:, 0]) * (pred[:, 3] - pred[:, 1]), 1e-9)
    return (ix * iy).max(axis=1) / area


def score(run: Path, truth: dict, cls: str = "car") -> dict:
    import pyarrow.parquet as pq

    from borderwatch.taxonomy import CLASSES
    from borderwatch.training.evaluation import match

    dets = pq.read_table(run / "detections.parquet").to_pandas()
    tp = n_pred = n_true = inside = 0
    for stem, (boxes, labels) in truth.items():
        gt = boxes[labels == CLASSES.index(cls)]
        mine = dets[(dets.source_path.map(lambda p: Path(p).stem) == stem) & (dets.vehicle_class == cls)]
        pred = mine[["x_min", "y_min", "x_max", "y_max"]].to_numpy(np.float64)
        hit = match(pred, np.zeros(len(pred), np.int64), mine.score.to_numpy(), gt, np.zeros(len(gt), np.int64),
                    np.array([0.5]))[:, 0].astype(bool)
        tp, n_pred, n_true = tp + int(hit.sum()), n_pred + len(pred), n_true + len(gt)
        inside += int((_inside_share(pred[~hit], gt) >= 0.6).sum())
    counts = pq.read_table(run / "counts.parquet").to_pandas()
    rows = counts[counts.vehicle_class == cls]
    if "frame_kind" in rows.columns:
        rows = rows[rows.frame_kind == "overhead"]
    cal = rows["calibrated_count"].notna().any() and len(rows) == 1  # one area, one bucket: its interval
    return {"true": n_true, "pred": n_pred, "unmatched_inside": inside, "recall": tp / n_true if n_true else None,
            "precision": tp / n_pred if n_pred else None, "count": float(rows["count"].sum()),
            "calibrated": float(rows["calibrated_count"].sum()) if cal else None,
            "interval": (float(rows["calibrated_low"].iloc[0]), float(rows["calibrated_high"].iloc[0])) if cal else None,
            "calibration": str(rows["calibration"].iloc[0]) if len(rows) == 1 else ""}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--model", default="borderwatch-overhead")
    ap.add_argument("--data", type=Path, default=Path("/work/data/overhead_eval"))
    ap.add_argument("--work", type=Path, default=Path("/work/data/overhead_cli"))
    ap.add_argument("--sets", nargs="+", default=list(SETS), choices=list(SETS))
    args = ap.parse_args()
    for name in args.sets:
        gsd, cls = SETS[name]
        tifs = args.work / name / "tifs"
        truth = write_tifs(args.data / name / "data.yaml", gsd, tifs)
        run = args.work / name / f"run-{args.model}"
        exe = Path(sys.executable).with_name("borderwatch")
        subprocess.run([str(exe), "detect", str(tifs), "--model", args.model, "--out", str(run), "-q"], check=False)
        areas = write_area(tifs)
        subprocess.run([str(exe), "count", str(run), "--areas", str(areas), "-q"], check=False)
        r = score(run, truth, cls)
        raw_err = (r["count"] - r["true"]) / r["true"]
        cal = r["calibrated"]
        cal_text = "n/a" if cal is None else f"{cal:.0f} ({(cal - r['true']) / r['true']:+.1%})"
        if r["interval"] is not None:
            lo, hi = r["interval"]
            cal_text += f", 90% interval {lo:.0f}-{hi:.0f} ({'covers' if lo <= r['true'] <= hi else 'misses'} the truth)"
        rec, prec = (f"{v:.3f}" if v is not None else "n/a" for v in (r["recall"], r["precision"]))
        print(f"{name} ({'native' if gsd is None else f'{gsd} m'}), {len(truth)} images: {cls} recall {rec} "
              f"precision {prec} ({r['pred']} detections, {r['true']} true; of the unmatched, "
              f"{r['unmatched_inside']} lie >= 60% inside a labelled box); count {r['count']:.0f} "
              f"({raw_err:+.1%}), calibrated {cal_text}\n    {r['calibration']}")


if __name__ == "__main__":
    main()
