"""Geotagging: which area each detection (and each frame) belongs to.

- A georeferenced detection (a box polygon in EPSG:4326) belongs to the area containing its box
  centre: one bulk spatial-index query (shapely STRtree, the engine behind ``geopandas.sjoin``) over
  all centres at once, no Python loop over detections. Areas are disjoint (see ``areas``); a centre
  exactly on a shared boundary goes to the area whose name sorts first.
- A detection without geometry (a photo, or an overhead frame that is not georeferenced) belongs to
  its frame's area. A frame's area is the manifest's ``area`` when it names one: an area of the
  set by name, or a gazetteer alias of one ("혜산" -> Hyesan), because the manifest names the place
  pictured (a telephoto shot from Changbai of Hyesan belongs to Hyesan, not to where the camera
  stood). When the manifest names a gazetteer place that is a *parent* in the area set (Dandong,
  whose districts are the areas), the frame belongs to that parent, as an area of its own.
  Otherwise the frame's lon/lat (manifest or EXIF GPS) is located point-in-polygon.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from borderwatch.errors import warn_geo
from borderwatch.geo.areas import AreaSet
from borderwatch.geo.gazetteer import Gazetteer, fold


@dataclass(frozen=True)
class AreaRef:
    name: str | None
    parent: str | None
    country: str | None


def locate_points(lon, lat, areas: AreaSet) -> np.ndarray:
    """Index into ``areas.frame`` of the area containing each point (-1 when none).

    Vectorised over points: for each area (a loop over areas, never over points) the points inside
    its bounding box are found by binary search on the sorted longitudes, then tested at once
    against the prepared polygon with ``shapely.intersects_xy``. Areas are visited in name order
    and a point keeps the first area it falls in, so a point on a shared boundary goes to the area
    whose name sorts first.
    """
    import shapely

    lon = np.asarray(lon, dtype=float)
    lat = np.asarray(lat, dtype=float)
    result = np.full(len(lon), -1, dtype=np.int64)
    ok = np.flatnonzero(np.isfinite(lon) & np.isfinite(lat))
    if len(ok) == 0 or len(areas) == 0:
        return result
    order = ok[np.argsort(lon[ok], kind="stable")]
    xs, ys = lon[order], lat[order]
    geoms = np.asarray(areas.frame.geometry.values, dtype=object)
    bounds = shapely.bounds(geoms)
    assigned = np.zeros(len(order), dtype=bool)
    for a in np.argsort(_name_rank(areas), kind="stable"):
        geom = geoms[a]
        if geom is None or geom.is_empty:
            continue
        lo = np.searchsorted(xs, bounds[a, 0], side="left")
        hi = np.searchsorted(xs, bounds[a, 2], side="right")
        if hi <= lo:
            continue
        yy = ys[lo:hi]
        cand = np.flatnonzero((yy >= bounds[a, 1]) & (yy <= bounds[a, 3]) & ~assigned[lo:hi]) + lo
        if len(cand) == 0:
            continue
        shapely.prepare(geom)
        inside = cand[shapely.intersects_xy(geom, xs[cand], ys[cand])]
        assigned[inside] = True
        result[order[inside]] = a
    return result


def _name_rank(areas: AreaSet) -> np.ndarray:
    f = areas.frame
    order = np.lexsort((f["parent"].fillna("").astype(str).to_numpy(), f["name"].astype(str).to_numpy()))
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(len(order))
    return rank


def box_centres(geometry) -> tuple[np.ndarray, np.ndarray]:
    """Centre (lon, lat) of each box polygon; NaN where the geometry is null or empty."""
    import shapely

    geoms = np.asarray(geometry, dtype=object)
    lon = np.full(len(geoms), np.nan)
    lat = np.full(len(geoms), np.nan)
    present = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    if present.any():
        # the midpoint of the bounds is the centre of an axis-aligned or slightly rotated box, and
        # much cheaper than a centroid on a million polygons
        b = shapely.bounds(geoms[present])
        lon[present] = (b[:, 0] + b[:, 2]) / 2.0
        lat[present] = (b[:, 1] + b[:, 3]) / 2.0
    return lon, lat


def resolve_area_name(text: str | None, areas: AreaSet, gazetteer: Gazetteer) -> AreaRef | None:
    """The area a manifest ``area`` value names, or None when it names none of the set."""
    if not isinstance(text, str) or not text.strip():
        return None
    f = areas.frame
    keys = f["name"].map(fold)
    candidates = [fold(text)]
    place = gazetteer.find(text)
    if place is not None:
        candidates.append(fold(place.name))
    for key in candidates:
        hit = np.flatnonzero((keys == key).to_numpy())
        if len(hit):
            row = f.iloc[hit[0]]
            return AreaRef(row["name"], row["parent"], row["country"])
    parent_keys = f["parent"].map(lambda v: fold(v) if isinstance(v, str) else "")
    for key in candidates:
        hit = np.flatnonzero((parent_keys == key).to_numpy())
        if len(hit):
            row = f.iloc[hit[0]]
            country = row["country"] if place is None else place.country
            return AreaRef(row["parent"], None, country)
    return None


def frame_areas(frames: pd.DataFrame, areas: AreaSet, gazetteer: Gazetteer) -> pd.DataFrame:
    """Per frame: the area it pictures by manifest name, else by lon/lat. Columns frame_id, area,
    area_parent, country, area_source (manifest, lonlat or None)."""
    out = pd.DataFrame(
        {
            "frame_id": frames["frame_id"].to_numpy(),
            "area": pd.array([None] * len(frames), dtype="string"),
            "area_parent": pd.array([None] * len(frames), dtype="string"),
            "country": pd.array([None] * len(frames), dtype="string"),
            "area_source": pd.array([None] * len(frames), dtype="string"),
        }
    )
    named = frames["area"] if "area" in frames.columns else pd.Series([None] * len(frames))
    resolved: dict[str, AreaRef | None] = {}
    for text in pd.unique(named.dropna()):
        resolved[text] = resolve_area_name(text, areas, gazetteer)
        if resolved[text] is None:
            warn_geo(f"manifest area {text!r} is neither an area nor a gazetteer place of the area set; "
                  "its frames are placed by lon/lat when they have one")
    for i, text in enumerate(named.to_numpy()):
        ref = resolved.get(text) if isinstance(text, str) else None
        if ref is not None:
            out.loc[i, ["area", "area_parent", "country", "area_source"]] = [ref.name, ref.parent, ref.country, "manifest"]
    todo = out["area"].isna().to_numpy()
    if todo.any() and {"lon", "lat"} <= set(frames.columns):
        idx = locate_points(frames["lon"].to_numpy(dtype=float)[todo], frames["lat"].to_numpy(dtype=float)[todo], areas)
        rows = np.flatnonzero(todo)
        hit = idx >= 0
        f = areas.frame
        out.loc[rows[hit], "area"] = f["name"].to_numpy()[idx[hit]]
        out.loc[rows[hit], "area_parent"] = f["parent"].to_numpy()[idx[hit]]
        out.loc[rows[hit], "country"] = f["country"].to_numpy()[idx[hit]]
        out.loc[rows[hit], "area_source"] = "lonlat"
    return out


def geotag(detections, frames: pd.DataFrame, areas: AreaSet, gazetteer: Gazetteer):
    """Detections with area, area_parent and country (GEOTAGGED less ``dedup_kept``)."""
    import geopandas as gpd

    det = detections.copy()
    n = len(det)
    area = np.full(n, None, dtype=object)
    parent = np.full(n, None, dtype=object)
    country = np.full(n, None, dtype=object)
    lon, lat = box_centres(det.geometry.values) if n else (np.empty(0), np.empty(0))
    geo = np.isfinite(lon)
    if geo.any():
        idx = locate_points(lon[geo], lat[geo], areas)
        hit = idx >= 0
        rows = np.flatnonzero(geo)[hit]
        f = areas.frame
        area[rows] = f["name"].to_numpy()[idx[hit]]
        parent[rows] = f["parent"].to_numpy()[idx[hit]]
        country[rows] = f["country"].to_numpy()[idx[hit]]
    if (~geo).any() and len(frames):
        fa = frame_areas(frames, areas, gazetteer).drop_duplicates("frame_id").set_index("frame_id")
        fid = det["frame_id"].to_numpy()[~geo]
        looked = fa.reindex(fid)
        area[~geo] = looked["area"].astype(object).where(looked["area"].notna(), None).to_numpy()
        parent[~geo] = looked["area_parent"].astype(object).where(looked["area_parent"].notna(), None).to_numpy()
        country[~geo] = looked["country"].astype(object).where(looked["country"].notna(), None).to_numpy()
    det["area"] = pd.array(area, dtype="string")
    det["area_parent"] = pd.array(parent, dtype="string")
    det["country"] = pd.array(country, dtype="string")
    if not isinstance(det, gpd.GeoDataFrame):
        det = gpd.GeoDataFrame(det, geometry="geometry", crs="EPSG:4326")
    return det
