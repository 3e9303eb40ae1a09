"""The same vehicle seen in overlapping scenes of one date is counted once.

Two georeferenced detections are the same vehicle when they come from DIFFERENT frames taken on
the same local date, have the same class, and their boxes overlap on the ground with IoU at or
above a threshold (boxes measured in a metric CRS). Matches chain into groups (connected
components). A group stands for as many vehicles as the most any single frame contributed to it
(two neighbouring cars in one frame are never merged, even if a third scene's box straddles both);
the detections of that frame are kept, the others flagged ``dedup_kept = False``. Ties go to the
frame with the higher total score, then the smaller frame id, so the result is deterministic.

Detections without geometry (photos) cannot be matched and are always kept.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def _components(n: int, left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """Connected-component label (smallest member index) of each of ``n`` nodes; vectorised
    label propagation with pointer jumping."""
    label = np.arange(n)
    if len(left) == 0:
        return label
    while True:
        low = np.minimum(label[left], label[right])
        before = label.copy()
        np.minimum.at(label, left, low)
        np.minimum.at(label, right, low)
        label = label[label]  # pointer jumping: follow labels to their roots
        if np.array_equal(label, before):
            return label


def overlapping_pairs(boxes: np.ndarray, date_key: np.ndarray, class_key: np.ndarray,
                      frame_key: np.ndarray, iou_threshold: float) -> tuple[np.ndarray, np.ndarray]:
    """Index pairs (i < j) of boxes of one date and class from different frames with IoU >= threshold."""
    import shapely

    tree = shapely.STRtree(boxes)
    left, right = tree.query(boxes)  # bounding boxes only: the exact test is the IoU below
    m = (left < right) & (date_key[left] == date_key[right]) & (class_key[left] == class_key[right]) & (
        frame_key[left] != frame_key[right]
    )
    left, right = left[m], right[m]
    if len(left) == 0:
        return left, right
    inter = shapely.area(shapely.intersection(boxes[left], boxes[right]))
    union = shapely.area(boxes[left]) + shapely.area(boxes[right]) - inter
    iou = np.divide(inter, union, out=np.zeros_like(inter), where=union > 0)
    keep = iou >= iou_threshold
    return left[keep], right[keep]


OVERLAP_MARGIN_DEG = 0.0003  # ~30 m: a box whose centre is this close to a shared footprint may still match


def _in_shared_footprint(rows, frame_codes, date_codes, frame_names, lon, lat, footprints) -> np.ndarray:
    """Which candidate rows lie where their frame's footprint overlaps another frame's of the same
    date; only there can a vehicle have been seen twice. Frames without a footprint keep all rows."""
    import shapely

    keep = np.ones(len(rows), dtype=bool)
    fp = {k: g for k, g in footprints.items() if g is not None and not g.is_empty}
    pairs = pd.DataFrame({"f": frame_codes, "d": date_codes}).drop_duplicates()
    by_frame = pd.Series(np.arange(len(rows))).groupby(frame_codes).indices
    for _, group in pairs.groupby("d"):
        codes = group["f"].to_numpy()
        names = [frame_names[c] for c in codes]
        if any(n not in fp for n in names):
            continue  # a frame of this date has no footprint: every row stays a candidate
        for c, name in zip(codes, names, strict=True):
            others = [fp[n] for n in names if n != name]
            shared = shapely.union_all(shapely.intersection(fp[name], np.array(others, dtype=object)))
            idx = by_frame[c]
            if shared.is_empty:
                keep[idx] = False
                continue
            zone = shared.buffer(OVERLAP_MARGIN_DEG)
            shapely.prepare(zone)
            keep[idx] = shapely.intersects_xy(zone, lon[idx], lat[idx])
    return keep


def dedup_flags(geotagged, local_date: pd.Series, metric_crs, iou_threshold: float = 0.3,
                footprints: dict | None = None) -> np.ndarray:
    """``dedup_kept`` for each row of ``geotagged`` (aligned with ``local_date``). ``footprints``
    (frame_id -> footprint polygon in EPSG:4326) narrows the search to where scenes overlap."""
    import shapely

    n = len(geotagged)
    kept = np.ones(n, dtype=bool)
    if n == 0 or iou_threshold is None or iou_threshold <= 0 or iou_threshold > 1:
        return kept
    geoms = np.asarray(geotagged.geometry.values, dtype=object)
    has_geom = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms)) & local_date.notna().to_numpy()
    if has_geom.sum() < 2:
        return kept
    rows = np.flatnonzero(has_geom)
    frame_codes, frame_uniques = pd.factorize(geotagged["frame_id"].to_numpy()[rows])
    date_codes = pd.factorize(local_date.to_numpy()[rows])[0]
    # only dates imaged by more than one frame can hold the same vehicle twice
    frames_per_date = pd.Series(frame_codes).groupby(date_codes).nunique()
    multi = np.isin(date_codes, frames_per_date.index[frames_per_date.to_numpy() > 1])
    rows, frame_codes, date_codes = rows[multi], frame_codes[multi], date_codes[multi]
    if len(rows) < 2:
        return kept
    if footprints:
        from borderwatch.geo.geotag import box_centres

        lon, lat = box_centres(geoms[rows])
        near = _in_shared_footprint(rows, frame_codes, date_codes, np.asarray(frame_uniques, dtype=object), lon, lat, footprints)
        rows, frame_codes, date_codes = rows[near], frame_codes[near], date_codes[near]
        if len(rows) < 2:
            return kept
    class_codes = pd.factorize(geotagged["vehicle_class"].to_numpy()[rows])[0]
    import geopandas as gpd

    boxes = np.asarray(gpd.GeoSeries(geoms[rows], crs=geotagged.crs or "EPSG:4326").to_crs(metric_crs).values, dtype=object)
    left, right = overlapping_pairs(boxes, date_codes, class_codes, frame_codes, iou_threshold)
    if len(left) == 0:
        return kept
    comp = _components(len(rows), left, right)
    in_group = np.zeros(len(rows), dtype=bool)
    in_group[left] = in_group[right] = True
    sub = pd.DataFrame(
        {
            "comp": comp[in_group],
            "frame": frame_codes[in_group],
            "frame_id": frame_uniques[frame_codes[in_group]],
            "score": geotagged["score"].to_numpy(dtype=float)[rows[in_group]],
        }
    )
    per_frame = sub.groupby(["comp", "frame"], sort=False).agg(
        n=("score", "size"), total=("score", "sum"), frame_id=("frame_id", "first")
    ).reset_index()
    per_frame = per_frame.sort_values(["comp", "n", "total", "frame_id"], ascending=[True, False, False, True])
    winner = per_frame.drop_duplicates("comp").set_index("comp")["frame"]
    keep_sub = sub["frame"].to_numpy() == winner.reindex(sub["comp"]).to_numpy()
    kept[rows[in_group]] = keep_sub
    return kept
