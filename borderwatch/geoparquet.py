"""Reading and writing the run tables as GeoParquet: the one place that knows the file format.

Beside ``tables.py`` (which says what columns a table has), this module says how a table lies on
disk: Parquet with a ``geometry`` column of WKB in EPSG:4326 and the GeoParquet 1.0 ``geo`` schema
metadata. Every write is atomic (``atomic.atomic_path``). Readers are lenient about what older or
foreign writers left: a table may be GeoParquet, or plain Parquet with a WKB ``geometry`` column, or
have no geometry at all (a run of photos only); each comes back as a GeoDataFrame in EPSG:4326.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from borderwatch.atomic import atomic_path
from borderwatch.tables import Table

STORAGE_EPSG = 4326
GEO_KEY = b"geo"

_ARROW_TYPES = {
    "string": "string",
    "int64": "int64",
    "float64": "float64",
    "float32": "float32",
    "timestamp[UTC]": "timestamp",
    "list<float64>[6]": "list_float64",
}


def arrow_type(dtype: str):
    """The arrow type of a ``tables.Column`` dtype."""
    import pyarrow as pa

    kind = _ARROW_TYPES.get(dtype)
    if kind == "timestamp":
        return pa.timestamp("us", tz="UTC")
    if kind == "list_float64":
        return pa.list_(pa.float64())
    if kind is None:
        raise ValueError(f"no arrow type for {dtype}")
    return getattr(pa, kind)()


def geo_metadata(geometries: list) -> dict:
    """The GeoParquet ``geo`` metadata of a ``geometry`` column holding ``geometries`` (None allowed)."""
    import shapely
    from pyproj import CRS

    types = sorted({g.geom_type for g in geometries if g is not None})
    present = [g for g in geometries if g is not None and not g.is_empty]
    column: dict = {"encoding": "WKB", "geometry_types": types, "crs": CRS.from_epsg(STORAGE_EPSG).to_json_dict()}
    if present:
        column["bbox"] = [float(v) for v in shapely.total_bounds(present)]
    return {"version": "1.0.0", "primary_column": "geometry", "columns": {"geometry": column}}


def arrow_table(spec: Table, columns: dict[str, list], geometries: list):
    """An arrow table with exactly ``spec``'s columns and types, geometry as GeoParquet WKB in EPSG:4326."""
    import pyarrow as pa
    import shapely

    arrays = {}
    for col in spec.columns:
        if col.name == "geometry":
            wkb = shapely.to_wkb(np.array(geometries, dtype=object)) if geometries else []
            arrays["geometry"] = pa.array(list(wkb), pa.binary())
        else:
            arrays[col.name] = pa.array(columns[col.name], arrow_type(col.dtype))
    table = pa.table(arrays)
    return table.replace_schema_metadata({GEO_KEY: json.dumps(geo_metadata(geometries)).encode()})


def merged_geo_metadata(tables: list) -> dict | None:
    """The ``geo`` metadata for the concatenation of ``tables``: the first one's, with the geometry
    types of all and no bbox (the union's bbox is not worth a pass over the data)."""
    first = tables[0].schema.metadata or {}
    if GEO_KEY not in first:
        return None
    meta = json.loads(first[GEO_KEY])
    meta["columns"]["geometry"].pop("bbox", None)
    kinds: set[str] = set()
    for t in tables:
        tm = json.loads((t.schema.metadata or {}).get(GEO_KEY, b"{}") or b"{}")
        kinds.update(tm.get("columns", {}).get("geometry", {}).get("geometry_types", []))
    meta["columns"]["geometry"]["geometry_types"] = sorted(kinds)
    return meta


def with_geo_metadata(table, meta: dict | None):
    """``table`` carrying ``meta`` as its ``geo`` metadata (unchanged when ``meta`` is None)."""
    return table if meta is None else table.replace_schema_metadata({GEO_KEY: json.dumps(meta).encode()})


def write_arrow(path: str | Path, table) -> None:
    """Write an arrow table atomically."""
    import pyarrow.parquet as pq

    with atomic_path(path) as tmp:
        pq.write_table(table, tmp)


def write_frame(path: str | Path, df) -> None:
    """Write a pandas DataFrame, or a GeoDataFrame as GeoParquet, atomically."""
    with atomic_path(path) as tmp:
        df.to_parquet(tmp, index=False)


def read_arrow(path: str | Path, columns: list[str] | None = None):
    import pyarrow.parquet as pq

    return pq.read_table(path, columns=columns)


def read_frame(path: str | Path):
    """A table as a GeoDataFrame in EPSG:4326, whichever way its geometry was stored (or none).

    Raises what pyarrow/geopandas raise on a damaged file: callers name the file in their error.
    """
    import geopandas as gpd
    import pandas as pd
    import pyarrow.parquet as pq
    import shapely

    meta = pq.read_schema(path).metadata or {}
    if GEO_KEY in meta:
        df = gpd.read_parquet(path)
    else:
        raw = pd.read_parquet(path)
        geoms = None
        if "geometry" in raw.columns:
            vals = raw["geometry"].to_numpy()
            wkb = np.array([v if isinstance(v, (bytes, bytearray)) else None for v in vals], dtype=object)
            geoms = shapely.from_wkb(wkb)
            raw = raw.drop(columns="geometry")
        df = gpd.GeoDataFrame(raw, geometry=geoms if geoms is not None else [None] * len(raw), crs=STORAGE_EPSG)
    if df.crs is None:
        df = df.set_crs(STORAGE_EPSG)
    elif df.crs.to_epsg() != STORAGE_EPSG:
        df = df.to_crs(STORAGE_EPSG)
    return df
