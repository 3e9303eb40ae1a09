"""Synthetic detection runs for the geo tests: frames and detections per the table contract,
placed at real coordinates (Hyesan, Dandong) with shapes of exactly known ground size."""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
from pyproj import CRS, Transformer
from shapely.geometry import Polygon, box

from borderwatch.tables import DETECTIONS, FRAMES

HYESAN = (128.178, 41.398)
CHANGBAI = (128.200, 41.418)
DANDONG = (124.392, 40.129)
SINUIJU = (124.398, 40.100)


def local_crs(lon: float, lat: float) -> CRS:
    """An equal-area CRS centred on the point: shapes built here have exactly their stated area."""
    return CRS.from_proj4(f"+proj=laea +lat_0={lat} +lon_0={lon} +datum=WGS84 +units=m +no_defs")


def rect(lon: float, lat: float, dx_m: float, dy_m: float, width_m: float, height_m: float) -> Polygon:
    """A rectangle of ``width_m`` × ``height_m`` whose centre is ``(dx_m, dy_m)`` metres from
    (lon, lat), in EPSG:4326 (densified so its edges stay true after reprojection)."""
    import shapely

    crs = local_crs(lon, lat)
    shape = box(dx_m - width_m / 2, dy_m - height_m / 2, dx_m + width_m / 2, dy_m + height_m / 2)
    shape = shapely.segmentize(shape, max(width_m, height_m) / 20)
    to_ll = Transformer.from_crs(crs, "EPSG:4326", always_xy=True)
    return shapely.transform(shape, lambda xy: np.column_stack(to_ll.transform(xy[:, 0], xy[:, 1])))


def car_box(lon: float, lat: float, dx_m: float, dy_m: float, length_m: float = 4.5, width_m: float = 2.0) -> Polygon:
    import shapely

    crs = local_crs(lon, lat)
    shape = box(dx_m - length_m / 2, dy_m - width_m / 2, dx_m + length_m / 2, dy_m + width_m / 2)
    to_ll = Transformer.from_crs(crs, "EPSG:4326", always_xy=True)
    return shapely.transform(shape, lambda xy: np.column_stack(to_ll.transform(xy[:, 0], xy[:, 1])))


def utc(text: str) -> pd.Timestamp:
    return pd.Timestamp(text).tz_convert("UTC") if pd.Timestamp(text).tzinfo else pd.Timestamp(text, tz="UTC")


def frame(frame_id: str, captured_at: str | None, *, kind: str = "overhead", footprint: Polygon | None = None,
          area: str | None = None, lon: float | None = None, lat: float | None = None, status: str = "ok",
          gsd_m: float | None = 0.5, model: str = "test-model") -> dict:
    """One FRAMES row."""
    geo = footprint is not None
    return {
        "frame_id": frame_id,
        "source_path": f"/data/{frame_id}.{'tif' if geo else 'jpg'}",
        "kind": kind,
        "captured_at": utc(captured_at) if captured_at else pd.NaT,
        "width": 2000,
        "height": 2000,
        "bands": 3,
        "dtype": "uint8",
        "crs": "EPSG:32652" if geo else None,
        "transform": [0.5, 0.0, 0.0, 0.0, -0.5, 0.0] if geo else None,
        "gsd_m": gsd_m if geo else None,
        "area": area,
        "lon": lon,
        "lat": lat,
        "status": status,
        "error": None if status == "ok" else "synthetic failure",
        "n_detections": 0,
        "n_dropped": 0,
        "model": model,
        "params_hash": "0" * 16,
        "geometry": footprint,
    }


def detection(fr: dict, index: int, vehicle_class: str = "car", geometry: Polygon | None = None, score: float = 0.9) -> dict:
    """One DETECTIONS row of frame ``fr``."""
    return {
        "detection_id": f"{fr['frame_id']}:{index}",
        "frame_id": fr["frame_id"],
        "source_path": fr["source_path"],
        "captured_at": fr["captured_at"],
        "vehicle_class": vehicle_class,
        "source_class": vehicle_class,
        "score": np.float32(score),
        "x_min": np.float32(10 * index),
        "y_min": np.float32(10),
        "x_max": np.float32(10 * index + 9),
        "y_max": np.float32(19),
        "raster_crs": fr["crs"],
        "geometry": geometry,
    }


def frames_frame(rows: list[dict]) -> gpd.GeoDataFrame:
    df = pd.DataFrame(rows, columns=FRAMES.column_names)
    df["captured_at"] = pd.to_datetime(df["captured_at"], utc=True).astype("datetime64[us, UTC]")
    for c in ("width", "height", "bands", "n_detections", "n_dropped"):
        df[c] = df[c].astype("int64")
    for c in ("gsd_m", "lon", "lat"):
        df[c] = df[c].astype(float)
    return gpd.GeoDataFrame(df, geometry="geometry", crs="EPSG:4326")


def detections_frame(rows: list[dict]) -> gpd.GeoDataFrame:
    df = pd.DataFrame(rows, columns=DETECTIONS.column_names)
    df["captured_at"] = pd.to_datetime(df["captured_at"], utc=True).astype("datetime64[us, UTC]")
    for c in ("score", "x_min", "y_min", "x_max", "y_max"):
        df[c] = df[c].astype("float32")
    return gpd.GeoDataFrame(df, geometry="geometry", crs="EPSG:4326")


def write_run(run_dir: Path, frames: list[dict], detections: list[dict], run_json: dict | None = None) -> Path:
    """Write frames.parquet, detections.parquet and run.json as the detection stage would."""
    run_dir = Path(run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    counts = pd.Series([d["frame_id"] for d in detections]).value_counts()
    for f in frames:
        f["n_detections"] = int(counts.get(f["frame_id"], 0))
    frames_frame(frames).to_parquet(run_dir / FRAMES.name, index=False)
    detections_frame(detections).to_parquet(run_dir / DETECTIONS.name, index=False)
    info = run_json if run_json is not None else {"status": "complete", "model": {"name": "test-model", "sha256": "ab" * 32}}
    (run_dir / "run.json").write_text(json.dumps(info))
    return run_dir
