"""Writing the count stage's files, each atomically (temporary file, then rename).

The GeoPackage is written whole to a temporary ``.gpkg`` beside the target and renamed over it,
so QGIS (or a rerun) never sees a half-written package. Columns GeoPackage and CSV cannot hold
(lists) are written as ';'-joined strings there; the Parquet files keep them as lists.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

from borderwatch.atomic import remove_stale_temporaries, write_csv
from borderwatch.geoparquet import write_frame as write_parquet

GPKG_NAME = "borderwatch.gpkg"
LAYERS = ("detections", "areas", "footprints", "counts")


def _tmp_beside(target: Path, suffix: str) -> Path:
    fd, tmp = tempfile.mkstemp(prefix=f".{target.stem}.", suffix=suffix, dir=target.parent)
    os.close(fd)
    os.unlink(tmp)  # GDAL wants to create the file itself
    return Path(tmp)


def _cleanup(tmp: Path) -> None:
    for p in (tmp, Path(f"{tmp}-journal"), Path(f"{tmp}-wal"), Path(f"{tmp}-shm")):
        p.unlink(missing_ok=True)


def write_gpkg(target: Path, layers: dict) -> None:
    """Write GeoDataFrames as layers of one GeoPackage, atomically."""
    import pyogrio

    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_temporaries(target)  # a killed earlier write's .borderwatch.*.gpkg and its SQLite journal
    tmp = _tmp_beside(target, ".gpkg")
    try:
        for name, gdf in layers.items():
            # a layer of photos only has no geometry to infer the type from; boxes are polygons
            kind = "Polygon" if name == "detections" else None
            pyogrio.write_dataframe(gdf, tmp, layer=name, driver="GPKG", append=tmp.exists(), geometry_type=kind)
        os.replace(tmp, target)
    finally:
        _cleanup(tmp)


def write_geojson(target: Path, gdf) -> None:
    import pyogrio

    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = _tmp_beside(target, ".geojson")
    try:
        pyogrio.write_dataframe(gdf.to_crs("EPSG:4326"), tmp, driver="GeoJSON")
        os.replace(tmp, target)
    finally:
        _cleanup(tmp)


def _for_ogr(df):
    """A copy GDAL can store: lists joined, pandas string/nullable dtypes as plain objects."""
    out = df.copy()
    for c in out.columns:
        if c == out.geometry.name:
            continue
        col = out[c]
        if col.dtype == object and any(isinstance(v, (list, tuple)) for v in col):
            out[c] = col.map(lambda v: ";".join(map(str, v)) if isinstance(v, (list, tuple)) else v)
        elif isinstance(col.dtype, pd.StringDtype):
            out[c] = col.astype(object).where(col.notna(), None)
    return out


def counts_frame_for_export(counts: pd.DataFrame) -> pd.DataFrame:
    """counts with ``frame_ids`` as one ';'-joined string (CSV and GeoPackage have no lists)."""
    out = counts.copy()
    out["frame_ids"] = out["frame_ids"].map(lambda v: ";".join(v) if isinstance(v, (list, tuple, np.ndarray)) else v)
    return out


def layer_frames(summary, frames_ok) -> dict:
    """The GeoDataFrames of the GeoPackage layers (EPSG:4326)."""
    import geopandas as gpd

    det = summary.geotagged
    areas = summary.areas.frame
    fp_mask = ~(frames_ok.geometry.isna() | frames_ok.geometry.is_empty)
    fp_cols = [c for c in ("frame_id", "source_path", "kind", "captured_at", "bucket", "crs", "gsd_m", "status") if c in frames_ok.columns]
    footprints = gpd.GeoDataFrame(frames_ok.loc[fp_mask, fp_cols], geometry=frames_ok.geometry[fp_mask], crs="EPSG:4326")
    keyed = areas[["name", "parent", "geometry"]].rename(columns={"name": "area", "parent": "area_parent"})
    counts = summary.counts.copy()
    counts["_pk"] = counts["area_parent"].astype(object).where(counts["area_parent"].notna(), "")
    keyed = keyed.assign(_pk=keyed["area_parent"].astype(object).where(keyed["area_parent"].notna(), ""))
    joined = counts.merge(keyed[["area", "_pk", "geometry"]], on=["area", "_pk"], how="left").drop(columns="_pk")
    counts_gdf = gpd.GeoDataFrame(joined, geometry="geometry", crs="EPSG:4326")
    return {
        "detections": _for_ogr(det),
        "areas": _for_ogr(areas),
        "footprints": _for_ogr(footprints),
        "counts": _for_ogr(counts_gdf),
    }


def write_outputs(summary, frames_ok, gpkg: bool = True, geojson: bool = False) -> dict[str, Path]:
    out = Path(summary.out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths: dict[str, Path] = {}
    write_parquet(out / "geotagged.parquet", summary.geotagged)
    paths["geotagged"] = out / "geotagged.parquet"
    write_parquet(out / "counts.parquet", summary.counts)
    paths["counts"] = out / "counts.parquet"
    write_csv(out / "counts.csv", counts_frame_for_export(summary.counts))
    paths["counts_csv"] = out / "counts.csv"
    if gpkg or geojson:
        layers = layer_frames(summary, frames_ok)
        if gpkg:
            write_gpkg(out / GPKG_NAME, layers)
            paths["gpkg"] = out / GPKG_NAME
        if geojson:
            for name, gdf in layers.items():
                target = out / "geojson" / f"{name}.geojson"
                write_geojson(target, gdf)
                paths[f"geojson_{name}"] = target
    return paths
