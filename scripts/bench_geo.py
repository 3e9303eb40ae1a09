"""Benchmark of the geo stage: 1 M detections joined to 200 areas and aggregated into counts.

    python scripts/bench_geo.py [--detections 1000000] [--areas 200] [--full] [--out /tmp/team/bench_geo.txt]

Builds a synthetic run around Hyesan (200 irregular 64-vertex areas on a 20 x 10 grid, 60 overhead
frames over 30 dates, boxes of 4.5 m x 2 m scattered over them), then times each step on its own:
reading detections.parquet, the spatial join (box centres -> areas), the cross-scene dedup, the
aggregation into the COUNTS table, and (with --full) the whole `count_run` including its files.
The target for "join + aggregation" is < 5 s on this machine.
"""

from __future__ import annotations

import argparse
import platform
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def build(tmp: Path, n_det: int, n_areas: int, seed: int = 0):
    import geopandas as gpd
    import pandas as pd
    import shapely
    from pyproj import CRS, Transformer

    from borderwatch.tables import DETECTIONS, FRAMES

    rng = np.random.default_rng(seed)
    lon0, lat0 = 128.178, 41.398
    laea = CRS.from_proj4(f"+proj=laea +lat_0={lat0} +lon_0={lon0} +datum=WGS84 +units=m +no_defs")
    to_ll = Transformer.from_crs(laea, "EPSG:4326", always_xy=True)

    def ll(geoms):
        return gpd.GeoSeries(geoms, crs=laea).to_crs(4326).values

    # 200 irregular areas tiling the region like districts: Voronoi cells of a jittered 1 km grid,
    # edges densified to tens of vertices, as real boundaries have
    cols = 20
    rows = int(np.ceil(n_areas / cols))
    cx, cy = np.meshgrid(np.arange(cols) * 1000.0, np.arange(rows) * 1000.0)
    seeds = np.column_stack([cx.ravel(), cy.ravel()])[:n_areas] + rng.uniform(-250, 250, (n_areas, 2))
    extent = shapely.box(-500, -500, cols * 1000.0 - 500, rows * 1000.0 - 500)
    cells = shapely.voronoi_polygons(shapely.multipoints(seeds), extend_to=extent, ordered=True)
    polys = shapely.segmentize(shapely.intersection(shapely.get_parts(cells), extent), 25.0)
    areas = gpd.GeoDataFrame({"name": [f"A{i:03d}" for i in range(n_areas)]}, geometry=ll(polys), crs=4326)
    areas_path = tmp / "areas.parquet"
    areas.to_parquet(areas_path)

    # 60 frames, two per date, each footprint a third of the grid, the pair of a date overlapping
    n_frames, width, height = 60, cols * 1000.0, rows * 1000.0
    fx = rng.uniform(-500, width - 7000, n_frames)
    fy = rng.uniform(-500, height - 4000, n_frames)
    footprints = shapely.box(fx, fy, fx + 7000, fy + 4000)
    dates = pd.Timestamp("2025-09-01T03:00:00Z") + pd.to_timedelta(np.repeat(np.arange(n_frames // 2), 2), unit="D")
    frames = pd.DataFrame({c: [None] * n_frames for c in FRAMES.column_names})
    frames["frame_id"] = [f"f{i:03d}" for i in range(n_frames)]
    frames["source_path"] = [f"/data/f{i:03d}.tif" for i in range(n_frames)]
    frames["kind"] = "overhead"
    frames["captured_at"] = dates + pd.to_timedelta(np.arange(n_frames) % 2, unit="h")
    frames["status"] = "ok"
    frames["gsd_m"] = 0.5
    frames["model"] = "bench"
    frames = gpd.GeoDataFrame(frames.drop(columns="geometry"), geometry=ll(footprints), crs=4326)
    frames.to_parquet(tmp / FRAMES.name)

    # detections uniformly inside their frame's footprint
    fi = rng.integers(0, n_frames, n_det)
    x = fx[fi] + rng.uniform(0, 7000, n_det)
    y = fy[fi] + rng.uniform(0, 4000, n_det)
    lon, lat = to_ll.transform(x, y)
    dlon, dlat = 2.25 / 83_500.0, 1.0 / 111_000.0  # ~4.5 m x 2 m at 41° N
    boxes = shapely.box(lon - dlon, lat - dlat, lon + dlon, lat + dlat)
    classes = np.array(["car", "truck", "bus", "two_wheeler", "heavy_equipment"])
    det = pd.DataFrame(
        {
            "detection_id": [f"f{f:03d}:{i}" for i, f in enumerate(fi)],
            "frame_id": frames["frame_id"].to_numpy()[fi],
            "source_path": frames["source_path"].to_numpy()[fi],
            "captured_at": frames["captured_at"].to_numpy()[fi],
            "vehicle_class": classes[rng.choice(5, n_det, p=[0.7, 0.15, 0.05, 0.05, 0.05])],
            "source_class": "car",
            "score": rng.uniform(0.3, 1, n_det).astype("float32"),
            "x_min": np.zeros(n_det, "float32"),
            "y_min": np.zeros(n_det, "float32"),
            "x_max": np.ones(n_det, "float32"),
            "y_max": np.ones(n_det, "float32"),
            "raster_crs": "EPSG:32652",
        }
    )
    det["captured_at"] = pd.to_datetime(det["captured_at"], utc=True)
    gpd.GeoDataFrame(det, geometry=boxes, crs=4326)[DETECTIONS.column_names].to_parquet(tmp / DETECTIONS.name)
    (tmp / "run.json").write_text('{"model": {"name": "bench"}}')
    return areas_path


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--detections", type=int, default=1_000_000)
    ap.add_argument("--areas", type=int, default=200)
    ap.add_argument("--full", action="store_true", help="also time the whole count_run with its files")
    ap.add_argument("--out", default="/tmp/team/bench_geo.txt")
    args = ap.parse_args()

    import pandas as pd

    from borderwatch.errors import GeoWarning
    from borderwatch.geo.areas import load_areas
    from borderwatch.geo.buckets import bucket_table
    from borderwatch.geo.counts import _build_counts, count_run
    from borderwatch.geo.dedup import dedup_flags
    from borderwatch.geo.gazetteer import load_gazetteer
    from borderwatch.geo.geotag import box_centres, locate_points
    from borderwatch.geo.runio import read_table
    from borderwatch.tables import DETECTIONS, FRAMES

    warnings.simplefilter("ignore", GeoWarning)
    import os

    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    lines = [f"bench_geo: {args.detections:,} detections x {args.areas} areas "
             f"({platform.processor() or platform.machine()}, {os.cpu_count()} cpus, load average {load:.1f} at start)",
             f"  {'step':<42} {'wall':>9} {'cpu':>9}"]
    cpu = {"t": time.process_time()}

    def report(name, seconds):
        used = time.process_time() - cpu["t"]
        lines.append(f"  {name:<42} {seconds:7.2f} s {used:7.2f} s")
        print(lines[-1], flush=True)
        cpu["t"] = time.process_time()

    print(lines[0], flush=True)
    with tempfile.TemporaryDirectory(prefix="bw-bench-") as d:
        tmp = Path(d)
        t = time.perf_counter()
        cpu["t"] = time.process_time()
        areas_path = build(tmp, args.detections, args.areas)
        report("build synthetic run (not timed work)", time.perf_counter() - t)
        gaz = load_gazetteer()
        t = time.perf_counter()
        cpu["t"] = time.process_time()
        aset = load_areas(areas_path, "name", gazetteer=gaz)
        verts = int(np.mean([len(g.exterior.coords) for g in aset.frame.geometry.values if g.geom_type == "Polygon"]))
        report(f"load {len(aset)} areas (~{verts} vertices each)", time.perf_counter() - t)
        t = time.perf_counter()
        cpu["t"] = time.process_time()
        det = read_table(tmp / DETECTIONS.name, DETECTIONS)
        frames = read_table(tmp / FRAMES.name, FRAMES)
        report("read detections.parquet + frames", time.perf_counter() - t)

        t = time.perf_counter()
        cpu["t"] = time.process_time()
        lon, lat = box_centres(det.geometry.values)
        idx = locate_points(lon, lat, aset)
        t_join = time.perf_counter() - t
        report("spatial join (box centres -> areas)", t_join)
        tagged = det.copy()
        tagged["area"] = pd.array(np.where(idx >= 0, np.asarray(aset.names, dtype=object)[np.maximum(idx, 0)], None), dtype="string")
        tagged["area_parent"] = pd.array([None] * len(tagged), dtype="string")
        tagged["country"] = pd.array([None] * len(tagged), dtype="string")

        t = time.perf_counter()
        cpu["t"] = time.process_time()
        dbuckets = bucket_table(det["captured_at"], "day", "Asia/Pyongyang")
        footprints = dict(zip(frames["frame_id"], frames.geometry.values, strict=True))
        tagged["dedup_kept"] = dedup_flags(tagged, dbuckets["local_date"], aset.equal_area, 0.3, footprints)
        report(f"dedup across scenes ({int((~tagged['dedup_kept']).sum())} repeats)", time.perf_counter() - t)

        t = time.perf_counter()
        cpu["t"] = time.process_time()
        fb = pd.concat([frames, bucket_table(frames["captured_at"], "day", "Asia/Pyongyang")], axis=1)
        counts = _build_counts(tagged, dbuckets, fb, aset, gaz, "day", "Asia/Pyongyang")
        t_agg = time.perf_counter() - t
        report(f"aggregate + coverage -> {len(counts):,} count rows", t_agg)
        lines.append(f"  {'JOIN + AGGREGATION (target < 5 s)':<42} {t_join + t_agg:7.2f} s")
        print(lines[-1], flush=True)
        in_areas = int((idx >= 0).sum())
        lines.append(f"  detections in an area: {in_areas:,}; sum of raw_count (classes): "
                     f"{int(counts.loc[counts['vehicle_class'] != 'any_vehicle', 'raw_count'].sum()):,}")
        print(lines[-1])

        if args.full:
            t = time.perf_counter()
            cpu["t"] = time.process_time()
            count_run(tmp, aset, by="day", tz="Asia/Pyongyang", gpkg=False, gazetteer=gaz)
            report("count_run end to end, no GeoPackage", time.perf_counter() - t)
    if args.out:
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        Path(args.out).write_text("\n".join(lines) + "\n")
        print(f"written to {args.out}")


if __name__ == "__main__":
    main()
