"""Counts per area × vehicle class × time bucket: the table analysts and claim checks read.

``count_run(RUN_DIR)`` reads the detection run, places every detection in an area (``geotag``),
flags the same vehicle seen twice on one date (``dedup``), measures the km² imaged (``coverage``)
and writes, in the run folder (or ``out_dir``):

- ``counts.parquet`` / ``counts.csv``: the COUNTS table of ``borderwatch.tables``;
- ``geotagged.parquet``: the GEOTAGGED table (detections with area and ``dedup_kept``);
- ``borderwatch.gpkg``: layers detections, areas, footprints and counts (with area geometry),
  readable by QGIS; with ``geojson=True`` also ``geojson/<layer>.geojson``.

What a row means. A row exists for every (area, class, bucket) that was imaged, zero counts
included: an area is imaged in a bucket when a frame's footprint covers part of it (≥ 1 m²), when a
photo's manifest names it (or its lon/lat falls in it), or when a detection was placed in it.
``raw_count`` counts detections; ``count`` drops the duplicates of overlapping scenes;
``imaged_km2`` is the union of the bucket's footprints within the area (null when only photos saw
it). ``density_per_km2`` divides the count of detections from frames *with* footprints by
``imaged_km2``, because photos have no ground area. ``any_vehicle`` rows sum the classes.
Frames whose status is not ``ok``, and frames without a capture time, are left out (with a warning).
Photos and overhead frames are counted apart (``frame_kind``): a street photo and a nadir raster
see different things through different models, so their counts are never added. Calibrated
estimates: see ``calibration``; each kind's rows use the card of the model that detected it
(run.json's per-kind section, or the ``card`` argument) at the GSD and threshold it ran at, and
``calibration`` says what they rest on or why there are none.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from borderwatch.errors import GeoWarning, warn_geo
from borderwatch.geo.areas import AreaSet, load_areas
from borderwatch.geo.buckets import bucket_table, check_tz
from borderwatch.geo.calibration import (
    DEFAULT_DRAWS,
    ClassCalibration,
    card_calibration,
    interval,
    point_estimate,
    sample_true_counts,
)
from borderwatch.geo.coverage import footprint_coverage
from borderwatch.geo.dedup import dedup_flags
from borderwatch.geo.gazetteer import load_gazetteer
from borderwatch.geo.geotag import frame_areas, geotag
from borderwatch.geo.runio import kind_run, read_run
from borderwatch.tables import COUNTS, GEOTAGGED
from borderwatch.taxonomy import ANY_VEHICLE, CLASSES

KEY = ["area", "area_parent", "bucket"]
_CHUNK_CELLS = 4_000_000  # rows × draws sampled at once, to bound memory


@dataclass
class CountSummary:
    """What ``count_run`` did: the tables it built, where it wrote them, and what it left out."""

    run_dir: Path
    out_dir: Path
    counts: pd.DataFrame
    geotagged: object  # GeoDataFrame (GEOTAGGED)
    areas: AreaSet
    paths: dict[str, Path] = field(default_factory=dict)
    n_detections: int = 0
    n_in_areas: int = 0
    n_duplicates: int = 0
    frames_used: int = 0
    frames_ignored: int = 0
    frames_without_time: int = 0
    card: str | None = None
    warnings: list[str] = field(default_factory=list)


def count_run(
    run_dir: str | Path,
    areas: str | Path | list[str | Path] | AreaSet | None = None,
    name_field: str | list[str] | None = None,
    parent_field: str | list[str | None] | None = None,
    by: str = "day",
    tz: str = "UTC",
    out_dir: str | Path | None = None,
    geojson: bool = False,
    dedup_iou: float = 0.3,
    *,
    layer: str | int | None = None,
    areas_crs: str | None = None,
    select: list[str] | None = None,
    card=None,
    gpkg: bool = True,
    draws: int = DEFAULT_DRAWS,
    seed: int = 0,
    gazetteer=None,
) -> CountSummary:
    """Count the detections of ``run_dir`` per area, class and time bucket and write the outputs.

    ``areas``: a vector file or a list of them (with ``name_field``/``parent_field``, one value or one
    per file, ``layer``, ``areas_crs``), an ``AreaSet`` from ``load_areas``, or None for the
    gazetteer's urban cores; ``select`` keeps some
    areas by name. ``by``: day, week or month in time zone ``tz``. ``dedup_iou``: IoU at which boxes
    of different frames of one date are the same vehicle (0 disables). ``card``: a ModelCard or a
    card file, overriding the one run.json points to. Warnings are collected in the summary and
    re-issued as ``GeoWarning``.
    """
    run_dir = Path(run_dir)
    out = Path(out_dir) if out_dir is not None else run_dir
    check_tz(tz)
    gaz = gazetteer or load_gazetteer()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", GeoWarning)
        summary = _count(run_dir, out, areas, name_field, parent_field, by, tz, geojson, dedup_iou, layer,
                         areas_crs, select, card, gpkg, draws, seed, gaz)
    for w in caught:
        if issubclass(w.category, GeoWarning):
            summary.warnings.append(str(w.message))
        warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    return summary


def _count(run_dir, out, areas, name_field, parent_field, by, tz, geojson, dedup_iou, layer, areas_crs,
           select, card, gpkg, draws, seed, gaz) -> CountSummary:
    from borderwatch.geo.outputs import write_outputs

    frames, detections, info = read_run(run_dir)
    if isinstance(areas, AreaSet):
        aset = areas
    else:
        aset = load_areas(areas, name_field, parent_field, layer=layer, crs=areas_crs, select=select, gazetteer=gaz)

    ok = frames["status"].astype(str).eq("ok").to_numpy()
    frames_ok = frames[ok].drop_duplicates("frame_id").reset_index(drop=True)
    ignored = int((~ok).sum())
    if ignored:
        warn_geo(f"{ignored} frame(s) with status other than ok are left out of the counts")
    known = detections["frame_id"].isin(frames_ok["frame_id"]).to_numpy()
    orphan = ~detections["frame_id"].isin(frames["frame_id"]).to_numpy()
    if orphan.any():
        warn_geo(f"{int(orphan.sum())} detection(s) belong to frames missing from frames.parquet; left out")
    det = detections[known].reset_index(drop=True)

    # times: the frame's capture time is authoritative; a detection's own is the fallback
    ftime = frames_ok.set_index("frame_id")["captured_at"]
    det_time = pd.to_datetime(det["frame_id"].map(ftime), utc=True)  # stays a time column when no frame is ok
    det_time = det_time.where(det_time.notna(), det["captured_at"])
    fbuckets = bucket_table(frames_ok["captured_at"], by, tz)
    frames_ok = pd.concat([frames_ok, fbuckets], axis=1)
    no_time = frames_ok["bucket"].isna()
    if no_time.any():
        warn_geo(f"{int(no_time.sum())} frame(s) have no capture time; their detections are geotagged but not counted")
    dbuckets = bucket_table(det_time.reset_index(drop=True), by, tz)

    tagged = geotag(det, frames_ok, aset, gaz)
    footprints = dict(zip(frames_ok["frame_id"], frames_ok.geometry.values, strict=True))
    tagged["dedup_kept"] = dedup_flags(tagged, dbuckets["local_date"], aset.equal_area, dedup_iou, footprints)
    tagged = tagged[GEOTAGGED.column_names]

    counts, cards = _counts_per_kind(tagged, dbuckets, frames_ok, aset, gaz, by, tz, info, card, run_dir, draws, seed)
    counts["bucket_by"] = by
    counts["tz"] = tz
    for c in ("frame_kind", "bucket_by", "tz", "calibration"):
        counts[c] = counts[c].astype("string")
    counts = counts[COUNTS.column_names]

    summary = CountSummary(
        run_dir=run_dir,
        out_dir=out,
        counts=counts,
        geotagged=tagged,
        areas=aset,
        n_detections=len(tagged),
        n_in_areas=int(tagged["area"].notna().sum()),
        n_duplicates=int((~tagged["dedup_kept"]).sum()),
        frames_used=int((~no_time).sum()),
        frames_ignored=ignored,
        frames_without_time=int(no_time.sum()),
        card=_card_names(cards),
    )
    summary.paths = write_outputs(summary, frames_ok, gpkg=gpkg, geojson=geojson)
    return summary


@dataclass
class _DetectionCodes:
    """Per-detection integer codes (factorised once, so a million rows group fast) and the
    detections' per-(area, parent, bucket, class) sums."""

    placed: np.ndarray
    area: np.ndarray
    parent: np.ndarray
    bucket: np.ndarray
    frame: np.ndarray
    area_names: np.ndarray
    parent_names: np.ndarray
    bucket_names: np.ndarray
    frame_names: np.ndarray

    @classmethod
    def of(cls, tagged, dbuckets) -> _DetectionCodes:
        a, a_u = pd.factorize(tagged["area"])
        p, p_u = pd.factorize(tagged["area_parent"])
        b, b_u = pd.factorize(dbuckets["bucket"])
        f, f_u = pd.factorize(tagged["frame_id"])
        placed = (a >= 0) & (b >= 0)
        return cls(placed, a, p, b, f, *(np.asarray(u, dtype=object) for u in (a_u, p_u, b_u, f_u)))

    def names(self, codes: np.ndarray, which: str) -> np.ndarray:
        table = np.append(getattr(self, f"{which}_names"), "")  # code -1 (no parent) -> ""
        return table[codes]


def _imaged_pairs(codes: _DetectionCodes, frames_ok, aset: AreaSet, gaz) -> pd.DataFrame:
    """(area, area_parent, bucket) -> frame_ids and imaged_km2, from footprints, photos and detections.
    ``area_parent`` is "" when there is none (a join key; turned back into null at the end)."""
    f = aset.frame
    parts = []
    timed = frames_ok[frames_ok["bucket"].notna()]
    has_fp = ~(timed.geometry.isna() | timed.geometry.is_empty).to_numpy()
    cov = footprint_coverage(timed[has_fp][["frame_id", "bucket", "geometry"]], aset)
    imaged = pd.DataFrame(columns=[*KEY, "imaged_km2"])
    if len(cov):
        at = cov["area_index"].to_numpy(dtype=int)
        cov["area"] = f["name"].to_numpy(dtype=object)[at]
        cov["area_parent"] = f["parent"].astype(object).where(f["parent"].notna(), "").to_numpy()[at]
        imaged = cov[[*KEY, "imaged_km2"]]
        parts.append(cov[[*KEY, "frame_ids"]].explode("frame_ids").rename(columns={"frame_ids": "frame_id"}))
    no_fp = timed[~has_fp]
    if len(no_fp):
        fa = frame_areas(no_fp.reset_index(drop=True), aset, gaz)
        fa["bucket"] = no_fp["bucket"].to_numpy()
        fa = fa[fa["area"].notna()]
        fa = fa.assign(area_parent=fa["area_parent"].astype(object).where(fa["area_parent"].notna(), ""))
        parts.append(fa[[*KEY, "frame_id"]].astype(object))
    if codes.placed.any():
        m = codes.placed
        d = pd.DataFrame({"a": codes.area[m], "p": codes.parent[m], "b": codes.bucket[m], "f": codes.frame[m]}).drop_duplicates()
        parts.append(
            pd.DataFrame(
                {
                    "area": codes.names(d["a"].to_numpy(), "area"),
                    "area_parent": codes.names(d["p"].to_numpy(), "parent"),
                    "bucket": codes.names(d["b"].to_numpy(), "bucket"),
                    "frame_id": codes.names(d["f"].to_numpy(), "frame"),
                }
            )
        )
    if not parts:
        return pd.DataFrame(columns=[*KEY, "frame_ids", "imaged_km2"])
    allf = pd.concat(parts, ignore_index=True).astype(object)
    pairs = allf.groupby(KEY, sort=True)["frame_id"].agg(lambda s: sorted(set(s))).rename("frame_ids").reset_index()
    return pairs.merge(imaged.astype({"area": object, "area_parent": object, "bucket": object}), on=KEY, how="left")


def _with_area_attributes(grid: pd.DataFrame, aset: AreaSet, gaz) -> pd.DataFrame:
    """``grid`` with each area's country and km² (a parent-level area a manifest names: from the gazetteer)."""
    f = aset.frame.copy()
    f["_parent_key"] = f["parent"].astype(object).where(f["parent"].notna(), "")
    attrs = f[["name", "_parent_key", "country", "area_km2"]].rename(columns={"name": "area"})
    grid = grid.merge(attrs, on=["area", "_parent_key"], how="left")
    missing_country = grid["country"].isna()
    if missing_country.any():  # parent-level areas named by a manifest: country from the gazetteer
        names = grid.loc[missing_country, "area"]
        lookup = {n: (gaz.get(n).country if n in gaz else None) for n in names.unique()}
        grid.loc[missing_country, "country"] = names.map(lookup)
    return grid


def _build_counts(tagged, dbuckets, frames_ok, aset: AreaSet, gaz, by: str, tz: str,
                  model_classes: tuple[str, ...] | None = None) -> pd.DataFrame:
    """COUNTS rows of one kind of frame: every imaged (area, bucket) times every class the model can
    output (``model_classes``; None: every taxonomy class), plus any other class detected."""
    import shapely

    codes = _DetectionCodes.of(tagged, dbuckets)
    pairs = _imaged_pairs(codes, frames_ok, aset, gaz)
    wanted = [c for c in CLASSES if model_classes is None or c in model_classes]
    classes = wanted + sorted(set(tagged["vehicle_class"].dropna().unique().tolist()) - set(wanted))
    if pairs.empty:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in [*COUNTS.column_names, "_count_fp"]})

    # detections per (area, parent, bucket, class), grouped on integer codes
    m = codes.placed
    c_codes, c_names = pd.factorize(tagged["vehicle_class"])
    geoms = np.asarray(tagged.geometry.values, dtype=object)
    has_geom = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    kept = tagged["dedup_kept"].to_numpy(dtype=bool)
    d = pd.DataFrame(
        {
            "a": codes.area[m], "p": codes.parent[m], "b": codes.bucket[m], "c": c_codes[m],
            "raw_count": np.ones(int(m.sum()), dtype=np.int64),
            "count": kept[m].astype(np.int64),
            "_count_fp": (kept & has_geom)[m].astype(np.int64),
        }
    )
    per = d.groupby(["a", "p", "b", "c"], sort=False).sum().reset_index()
    per = pd.DataFrame(
        {
            "area": codes.names(per["a"].to_numpy(), "area"),
            "_parent_key": codes.names(per["p"].to_numpy(), "parent"),
            "bucket": codes.names(per["b"].to_numpy(), "bucket"),
            "vehicle_class": np.asarray(c_names, dtype=object)[per["c"].to_numpy()],
            "raw_count": per["raw_count"].to_numpy(),
            "count": per["count"].to_numpy(),
            "_count_fp": per["_count_fp"].to_numpy(),
        }
    )
    pairs = pairs.rename(columns={"area_parent": "_parent_key"})
    grid = pairs.merge(pd.DataFrame({"vehicle_class": classes}), how="cross")
    grid = grid.merge(per, on=["area", "_parent_key", "bucket", "vehicle_class"], how="left")
    for c in ("raw_count", "count", "_count_fp"):
        grid[c] = grid[c].fillna(0).astype(np.int64)
    anyv = grid.groupby(["area", "_parent_key", "bucket"], sort=False)[["raw_count", "count", "_count_fp"]].sum().reset_index()
    anyv = pairs.merge(anyv, on=["area", "_parent_key", "bucket"], how="left")
    anyv["vehicle_class"] = ANY_VEHICLE
    grid = pd.concat([grid, anyv], ignore_index=True)

    grid = _with_area_attributes(grid, aset, gaz)

    # bucket bounds and frame times
    bt = bucket_table(frames_ok["captured_at"], by, tz)
    bounds = bt.dropna(subset=["bucket"]).drop_duplicates("bucket").set_index("bucket")[["bucket_start", "bucket_end"]]
    grid = grid.join(bounds, on="bucket")
    times = frames_ok.set_index("frame_id")["captured_at"]
    frame_lists = grid["frame_ids"]
    exploded = frame_lists.explode()
    t = exploded.map(times)
    grid["first_seen"] = t.groupby(level=0).min().reindex(grid.index)
    grid["last_seen"] = t.groupby(level=0).max().reindex(grid.index)
    grid["n_frames"] = frame_lists.map(len).astype(np.int64)

    imaged = grid["imaged_km2"].astype(float)
    grid["coverage_fraction"] = imaged / grid["area_km2"].astype(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        dens = grid["_count_fp"].to_numpy(dtype=float) / imaged.to_numpy()
    grid["density_per_km2"] = np.where(imaged.to_numpy() > 0, dens, np.nan)
    grid["area_parent"] = grid["_parent_key"].replace("", None)

    order = {c: i for i, c in enumerate([*classes, ANY_VEHICLE])}
    grid["_class_order"] = grid["vehicle_class"].map(order)
    grid = grid.sort_values(["area", "_parent_key", "bucket_start", "_class_order"], kind="stable").reset_index(drop=True)
    for c in ("area", "area_parent", "country", "vehicle_class", "bucket"):
        grid[c] = grid[c].astype("string")
    for c in ("bucket_start", "bucket_end", "first_seen", "last_seen"):
        grid[c] = pd.to_datetime(grid[c], utc=True).astype("datetime64[us, UTC]")
    for c in ("imaged_km2", "area_km2", "coverage_fraction", "density_per_km2"):
        grid[c] = grid[c].astype(float)
    for c in ("calibrated_count", "calibrated_low", "calibrated_high"):
        grid[c] = np.nan
    return grid


FRAME_KINDS = ("overhead", "photo")


def _card_names(cards: dict[str, str | None]) -> str | None:
    """One name when every kind used the same card, else 'overhead: A, photo: B' (None: no card)."""
    names = {n for n in cards.values() if n}
    if len(names) <= 1:
        return next(iter(names), None)
    return ", ".join(f"{kind}: {name or 'none'}" for kind, name in cards.items())


def _kind_of(frames_ok) -> pd.Series:
    kind = frames_ok["kind"].astype(object) if "kind" in frames_ok.columns else pd.Series("photo", index=frames_ok.index)
    return kind.where(kind.isin(FRAME_KINDS), "photo")


def _counts_per_kind(tagged, dbuckets, frames_ok, aset, gaz, by, tz, info, card, run_dir, draws, seed):
    """COUNTS rows per kind of frame (photo and overhead counts are never added: a street photo and a
    nadir raster see different things, with different models), each calibrated with the card of the
    model that produced its detections at the scale and threshold it ran at."""
    kinds = _kind_of(frames_ok)
    det_kind = tagged["frame_id"].map(dict(zip(frames_ok["frame_id"], kinds, strict=True))).fillna("photo").to_numpy()
    parts, cards = [], {}
    for kind in FRAME_KINDS:
        fm = (kinds == kind).to_numpy()
        if not fm.any():
            continue
        dm = det_kind == kind
        run = kind_run(info, kind, card, run_dir)
        # a class the model cannot output gets no rows: a zero there would be a measurement never made
        part = _build_counts(tagged[dm].reset_index(drop=True), dbuckets[dm].reset_index(drop=True),
                             frames_ok[fm].reset_index(drop=True), aset, gaz, by, tz, run.classes)
        if part.empty:
            continue
        part["frame_kind"] = kind
        # a card's evaluations are keyed by the imagery's GSD, not by the model-input GSD that detect
        # resampled windows to (run.gsd_m), so calibrate at the frames' own scale
        gsd = None
        if "gsd_m" in frames_ok.columns:
            median = frames_ok.loc[fm, "gsd_m"].dropna().median()
            gsd = None if pd.isna(median) else float(median)
        cards[kind] = run.card.name if run.card is not None else None
        parts.append(_calibrate(part, run.card, gsd, draws, seed, threshold=run.conf, kind=kind, model=run.model,
                                class_thresholds=run.conf_per_class))
    if not parts:
        empty = pd.DataFrame({c: pd.Series(dtype=object) for c in COUNTS.column_names})
        return empty, cards
    grid = pd.concat(parts, ignore_index=True)
    grid = grid.sort_values(["area", "_parent_key", "bucket_start", "frame_kind", "_class_order"], kind="stable")
    return grid.reset_index(drop=True), cards


def _calibrate(grid: pd.DataFrame, card, gsd: float | None, draws: int, seed: int, *, threshold: float | None = None,
               kind: str = "", model: str | None = None, class_thresholds: dict[str, float] | None = None) -> pd.DataFrame:
    """Calibrated estimates for the rows of one kind: each class with the card's figures at the
    threshold its detections were kept at (``class_thresholds``, else ``threshold``)."""
    if grid.empty:
        return grid
    per_class = class_thresholds or {}
    cals: dict[str, ClassCalibration | None] = {}
    notes: dict[str, str] = {}
    for cls in [*grid["vehicle_class"].dropna().unique()]:
        # an any_vehicle card entry was measured at one threshold: it cannot stand for classes kept at several
        if cls == ANY_VEHICLE and card is not None and (per_class or not any(ANY_VEHICLE in m.per_class for m in card.metrics)):
            cals[cls] = None
            continue
        cals[cls], notes[cls] = card_calibration(card, cls, gsd, per_class.get(cls, threshold), kind, model)
    if card is None:
        grid = grid.copy()
        grid["calibration"] = notes.get(next(iter(notes), ""), "not calibrated: no model card")
        return grid
    cls_rows = grid["vehicle_class"].ne(ANY_VEHICLE).to_numpy()
    calibrated = np.array([cals.get(c) is not None for c in grid["vehicle_class"]])
    counts = grid["count"].to_numpy(dtype=np.int64)
    point = np.full(len(grid), np.nan)
    low = np.full(len(grid), np.nan)
    high = np.full(len(grid), np.nan)
    for i in np.flatnonzero(calibrated):
        point[i] = point_estimate(counts[i], cals[grid["vehicle_class"].iat[i]])
    rng = np.random.default_rng(seed)

    # any_vehicle: its own card entry if there is one, else the sum of the class draws when every
    # class with detections is calibrated (a class nobody measured and nothing seen adds zero)
    group = grid.groupby(["area", "_parent_key", "frame_kind", "bucket"], sort=False).ngroup().to_numpy()
    sample_rows = np.flatnonzero(calibrated & cls_rows)
    anyv_rows = np.flatnonzero(~cls_rows)
    anyv_direct = cals.get(ANY_VEHICLE) is not None
    n_groups = group.max() + 1 if len(group) else 0
    summable = np.ones(n_groups, dtype=bool)
    blocked = cls_rows & ~calibrated & (counts > 0)
    summable[group[blocked]] = False
    sums: dict[int, np.ndarray] = {}
    if len(sample_rows):
        sample_rows = sample_rows[np.argsort(group[sample_rows], kind="stable")]
        gids, first = np.unique(group[sample_rows], return_index=True)
        bounds = np.append(first, len(sample_rows))
        per_chunk = max(1, _CHUNK_CELLS // (max(draws, 1) * (len(CLASSES) + 1)))
        for c0 in range(0, len(gids), per_chunk):
            rows = sample_rows[bounds[c0] : bounds[min(c0 + per_chunk, len(gids))]]
            samples = sample_true_counts(counts[rows], [cals[grid["vehicle_class"].iat[r]] for r in rows], draws, rng)
            low[rows], high[rows] = interval(samples)
            if not anyv_direct:
                owner = group[rows]
                for g in np.unique(owner):
                    if summable[g]:
                        sums[int(g)] = samples[owner == g].sum(axis=0)
    for r in anyv_rows:
        g = group[r]
        if anyv_direct:
            s = sample_true_counts(counts[[r]], [cals[ANY_VEHICLE]], draws, rng)
            point[r] = point_estimate(counts[r], cals[ANY_VEHICLE])
            low[r], high[r] = (v[0] for v in interval(s))
        elif summable[g] and g in sums:
            members = np.flatnonzero((group == g) & cls_rows & calibrated)
            point[r] = point[members].sum()
            lo, hi = interval(sums[g][None, :])
            low[r], high[r] = lo[0], hi[0]
    # The draws follow a flat prior on the true number, which puts their bulk above count x p / r when a
    # low-recall class was seen rarely (0 buses seen at recall 0.12: 0-33); the interval is widened to
    # hold the point estimate, so no row shows an estimate outside its own interval.
    has = ~np.isnan(low) & ~np.isnan(point)
    low[has], high[has] = np.minimum(low[has], point[has]), np.maximum(high[has], point[has])
    grid = grid.copy()
    grid["calibrated_count"] = point
    grid["calibrated_low"] = low
    grid["calibrated_high"] = high
    grid["calibration"] = _calibration_notes(grid, group, cls_rows, blocked, anyv_direct, notes, card)
    return grid


def _calibration_notes(grid, group, cls_rows, blocked, anyv_direct, notes, card) -> list[str]:
    """Per row: what its calibrated figures rest on, or why it has none."""
    out = []
    classes = grid["vehicle_class"].to_numpy()
    calibrated = ~np.isnan(grid["calibrated_low"].to_numpy(dtype=float))
    for r in range(len(grid)):
        cls = classes[r]
        if cls_rows[r] or anyv_direct:
            out.append(notes.get(cls, "not calibrated"))
        elif calibrated[r]:
            out.append(f"sum of the calibrated classes (card {card.name})")
        else:
            missing = sorted({classes[k] for k in np.flatnonzero((group == group[r]) & blocked)})
            out.append(f"not calibrated: {', '.join(missing)} detected here without figures on card {card.name}"
                       if missing else "not calibrated")
    return out
