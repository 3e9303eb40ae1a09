"""Coverage: how many km² of each area were imaged in each time bucket.

A frame's footprint (its polygon of valid, non-nodata pixels, from frames.parquet) intersected with
an area is the part of the area that frame saw. Within a bucket the footprints are first merged
(union), so two overlapping scenes of the same place add their overlap once, not twice. All areas
are measured in the area set's Lambert azimuthal equal-area CRS. The loop runs over (bucket, area)
pairs that touch, never over detections.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from borderwatch.geo.areas import AreaSet

MIN_IMAGED_M2 = 1.0  # a footprint that only grazes an area's edge has not imaged it


def footprint_coverage(footprints, areas: AreaSet) -> pd.DataFrame:
    """``footprints``: GeoDataFrame (EPSG:4326) with frame_id, bucket and a footprint geometry.

    Returns one row per (area, bucket) the footprints touch: area_index (row of ``areas.frame``),
    bucket, imaged_km2 (area of the union of footprints ∩ area) and frame_ids (sorted list).
    """
    import shapely

    columns = ["area_index", "bucket", "imaged_km2", "frame_ids"]
    if footprints is None or len(footprints) == 0 or len(areas) == 0:
        return pd.DataFrame(columns=columns)
    fp = footprints[~(footprints.geometry.isna() | footprints.geometry.is_empty)]
    # a footprint off the Earth (a run folder from before rasters refused them, or edited by hand)
    # would make every area "imaged": it measures nothing
    bounds = fp.geometry.bounds.to_numpy() if len(fp) else np.zeros((0, 4))
    on_earth = np.isfinite(bounds).all(axis=1) & (np.abs(bounds[:, [1, 3]]) <= 90).all(axis=1) & (
        np.abs(bounds[:, [0, 2]]) <= 180).all(axis=1)
    if not on_earth.all():
        from borderwatch.errors import warn_geo

        bad = fp["frame_id"].to_numpy()[~on_earth]
        warn_geo(f"{len(bad)} frame footprint(s) lie off the Earth or are not finite (e.g. frame {bad[0]}); left out "
                 "of the coverage")
        fp = fp[on_earth]
    if fp.empty:
        return pd.DataFrame(columns=columns)
    fp_geoms = np.asarray(fp.geometry.to_crs(areas.equal_area).values, dtype=object)
    fp_geoms = np.array([g if g.is_valid else shapely.make_valid(g) for g in fp_geoms], dtype=object)
    area_geoms = np.asarray(areas.in_equal_area().geometry.values, dtype=object)
    shapely.prepare(area_geoms)
    tree = shapely.STRtree(area_geoms)
    buckets = fp["bucket"].to_numpy()
    frame_ids = fp["frame_id"].to_numpy()
    rows = []
    for bucket in sorted(set(buckets.tolist())):
        members = np.flatnonzero(buckets == bucket)
        # which frames saw which areas (for n_frames and frame_ids)
        fi, ai = tree.query(fp_geoms[members], predicate="intersects")
        if len(fi) == 0:
            continue
        seen = shapely.area(shapely.intersection(fp_geoms[members][fi], area_geoms[ai]))
        keep = seen >= MIN_IMAGED_M2
        fi, ai = fi[keep], ai[keep]
        if len(ai) == 0:
            continue
        # one union per bucket, intersected with every area it touches at once
        union = shapely.union_all(fp_geoms[members])
        touched = np.unique(ai)
        covered = shapely.covers(union, area_geoms[touched])
        imaged = np.where(
            covered,
            shapely.area(area_geoms[touched]),
            shapely.area(shapely.intersection(union, area_geoms[touched])) if (~covered).any() else 0.0,
        )
        for a, km2 in zip(touched, imaged / 1e6, strict=True):
            ids = sorted(set(frame_ids[members][fi[ai == a]].tolist()))
            rows.append((int(a), bucket, float(km2), ids))
    return pd.DataFrame(rows, columns=columns)
