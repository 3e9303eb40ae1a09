"""Build the report of a run directory: index.html (self-contained), and on request report.pdf and map.html.

Reads only the run's tables (``report.tables.load_run``), so ``borderwatch report RUN_DIR`` can rebuild
the page at any time without rerunning a stage.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from pathlib import Path
from zoneinfo import ZoneInfo

import pandas as pd
from PIL import Image

from borderwatch import __version__
from borderwatch import tables as T
from borderwatch.atomic import write_text
from borderwatch.errors import one_line, warn_run
from borderwatch.progress import SILENT, Progress
from borderwatch.report import html as H
from borderwatch.report.page import render_page
from borderwatch.report.tables import RunTables, claim_details, load_run, vehicles_per_class, verdict_counts

MAX_THUMBNAILS = 60


@dataclass
class ReportOutputs:
    index: Path
    pdf: Path | None = None
    map_html: Path | None = None
    notes: list[str] = field(default_factory=list)


def infer_bucket(counts: pd.DataFrame | None) -> str:
    """day, week or month from the bucket labels counting wrote (2025-09-15, 2025-W38, 2025-09)."""
    if counts is None or counts.empty:
        return "day"
    if "bucket_by" in counts.columns and counts["bucket_by"].notna().any():
        return str(counts["bucket_by"].dropna().iloc[0])  # recorded by `count`
    label = str(counts["bucket"].iloc[0])  # run folders counted before the column existed
    if "W" in label:
        return "week"
    return "month" if len(label) == 7 else "day"


def display_zone(tz: str | None, counts: pd.DataFrame | None) -> tuple[tzinfo, str]:
    """The zone capture times are shown in: the counts' zone when given, else the fixed offset
    their buckets start at (buckets begin at local midnight), else UTC."""
    if not tz and counts is not None and "tz" in counts.columns and counts["tz"].notna().any():
        tz = str(counts["tz"].dropna().iloc[0])  # recorded by `count`
    if tz:
        return ZoneInfo(tz), tz
    if counts is not None and len(counts):
        start = pd.Timestamp(counts["bucket_start"].iloc[0])
        start = start.tz_localize("UTC") if start.tzinfo is None else start.tz_convert("UTC")
        minutes = -(start.hour * 60 + start.minute) % 1440
        minutes = minutes - 1440 if minutes > 720 else minutes
        if minutes:
            sign = "+" if minutes > 0 else "-"
            label = f"UTC{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"
            return timezone(timedelta(minutes=minutes)), label
    return UTC, "UTC"


def _frame_areas(run: RunTables) -> dict[str, str]:
    """frame id -> the area it imaged (from the counts), for frames whose detections name none."""
    out: dict[str, str] = {}
    if run.counts is None or "frame_ids" not in run.counts.columns:
        return out
    for area, ids in zip(run.counts["area"], run.counts["frame_ids"], strict=True):
        if ids is None or isinstance(ids, float):
            continue
        for fid in ids:
            out.setdefault(str(fid), str(area))
    return out


def _figure(fig, alt: str) -> H.Picture | None:
    from borderwatch.report.charts import fig_to_png

    if fig is None:
        return None
    png = fig_to_png(fig)
    with Image.open(io.BytesIO(png)) as img:
        width, height = img.size
    return H.Picture(png, width, height, alt)


def _numbered_claims(run: RunTables) -> pd.DataFrame:
    if run.comparisons is None or run.comparisons.empty:
        return pd.DataFrame()
    claims = run.comparisons.reset_index(drop=True).copy()
    claims["number"] = range(1, len(claims) + 1)
    details = claim_details(run)
    for column in ("published", "publisher", "title"):
        claims[column] = [details.get(str(cid), {}).get(column) for cid in claims["claim_id"]]
    if "url" in claims.columns:
        claims["url"] = [u if not H.is_missing(u) else details.get(str(cid), {}).get("url")
                         for u, cid in zip(claims["url"], claims["claim_id"], strict=True)]
    return claims


def _evidence_ids(run: RunTables, claims: pd.DataFrame, per_frame: dict[str, pd.DataFrame]) -> list[str]:
    """Frames to thumbnail: those a verdict used first, then the frames with the most detections."""
    ok = set(run.ok_frames["frame_id"].astype(str))
    chosen: list[str] = []
    if not claims.empty and "frame_ids" in claims.columns:
        for value in claims["frame_ids"]:
            if H.is_missing(value):
                continue
            for fid in str(value).split(","):
                fid = fid.strip()
                if fid and fid in ok and fid not in chosen:
                    chosen.append(fid)
    by_size = sorted(per_frame, key=lambda f: -len(per_frame[f]))
    for fid in by_size:
        if fid in ok and fid not in chosen:
            chosen.append(fid)
    return chosen[:MAX_THUMBNAILS]


OUTSIDE_INPUTS = "outside the run's inputs (as run.json records them); not read"


def _source_allowed(run: RunTables):
    """Which source files the report may read: those under the inputs run.json records.

    A run folder can come from someone else; its frames table may name any file on this machine
    (``~/.ssh/id_rsa``, a private photo), and the report would embed it. With no inputs recorded,
    nothing is read.
    """
    from borderwatch.safe_read import input_roots, inside_roots

    info = run.run_info if isinstance(getattr(run, "run_info", None), dict) else {}
    named = [str(i) for i in info.get("inputs") or [] if isinstance(i, str)]
    config = info.get("config") if isinstance(info.get("config"), dict) else {}
    named += [str(m) for m in config.get("manifests") or [] if isinstance(m, str)]
    roots = input_roots(named)
    return lambda path: inside_roots(path, roots)


def demo_thumbnail_stamp(area: str | None) -> str:
    """The caveat burnt into each thumbnail of a demo, naming the place the imagery was not taken in."""
    return f"DEMO — placed sample imagery, {f'not taken in {area}' if area else 'not a real observation'}"


def _evidence(run: RunTables, ids: list[str], per_frame: dict[str, pd.DataFrame], progress: Progress,
              demo: bool = False) -> dict[str, H.Evidence]:
    frame_areas = _frame_areas(run)
    allowed = _source_allowed(run)
    from borderwatch.report.thumbnails import frame_thumbnail

    frames = run.frames.set_index(run.frames["frame_id"].astype(str))
    empty = pd.DataFrame(columns=["x_min", "y_min", "x_max", "y_max", "vehicle_class"])
    out: dict[str, H.Evidence] = {}
    for fid in progress.track(ids, "thumbnails", total=len(ids)):
        frame = frames.loc[fid]
        if isinstance(frame, pd.DataFrame):
            frame = frame.iloc[0]
        dets = per_frame.get(fid, empty)
        area = None
        if "area" in dets.columns and dets["area"].notna().any():
            area = str(dets["area"].dropna().mode().iloc[0])
        elif not H.is_missing(frame.get("area")):
            area = str(frame.get("area"))
        else:
            area = frame_areas.get(fid)
        ev = H.Evidence(fid, str(frame["source_path"]), frame.get("captured_at"), area, str(frame.get("kind") or ""),
                        len(dets), None)
        if not allowed(ev.source_path):
            ev.error = OUTSIDE_INPUTS
            out[fid] = ev
            continue
        try:
            thumb = frame_thumbnail(frame, dets, stamp_text=demo_thumbnail_stamp(area) if demo else None)
            ev.figure = H.Picture(thumb.png, thumb.width, thumb.height, f"detections in {Path(ev.source_path).name}")
        except Exception as exc:  # a moved or unreadable source file loses its thumbnail, not the report
            ev.error = one_line(exc)
        out[fid] = ev
    return out


NO_TIME = ("no frame has a capture time: give captured_at in a manifest, or use files with EXIF DateTimeOriginal "
           "or TIFF DateTime tags, and run again")
NO_AREA = ("no frame lies in an area: give --areas (areas: in the config) covering the imagery, an area in the "
           "manifest, or a lon/lat inside a gazetteer city (`borderwatch areas` lists them), and run again")


def _why_no_counts(run: RunTables, frame_ids: set[str]) -> str | None:
    """Why frames of an area gave no count rows: no capture time, or counting has not run."""
    frames = run.ok_frames[run.ok_frames["frame_id"].astype(str).isin(frame_ids)]
    if len(frames) and frames["captured_at"].isna().all():
        return NO_TIME
    if run.counts is None:
        return "counting has not run on this folder (`borderwatch count RUN`)"
    return None


def why_no_areas(run: RunTables) -> str:
    """Why the report has no area to show, with the fix."""
    ok = run.ok_frames
    if ok.empty:
        return "no frame was read (see Frame failures)"
    if ok["captured_at"].isna().all():
        return NO_TIME + "; " + NO_AREA
    return NO_AREA


def _area_polygons(run: RunTables, names: list[str]):
    """(polygons, where they come from): the areas the run was counted with (its GeoPackage: the
    boundaries given to `count --areas`, or the gazetteer's urban cores), else the gazetteer's discs."""
    if run.areas is not None and not run.areas.empty:
        source = "gazetteer urban core" if _gazetteer_cores(run) else "boundaries given to count"
        return run.areas, source
    try:
        from borderwatch.geo.gazetteer import default_areas, load_gazetteer

        gaz = load_gazetteer()
        known = [n for n in names if n in gaz]
        return (default_areas(gaz, known), "gazetteer urban core, not a boundary") if known else (None, None)
    except Exception:  # the gazetteer is a convenience here; the report works without polygons
        return None, None


def _gazetteer_cores(run: RunTables) -> bool:
    """True when the run was counted without an areas file: the gazetteer's cores carry a province."""
    return "province" in run.areas.columns


def _area_polygon(polygons, name: str) -> tuple:
    """The polygon of one area (None when the run has none for it), its parent and its country."""
    if polygons is None or "name" not in polygons.columns:
        return None, None, None
    rows = polygons[polygons["name"] == name]
    if not len(rows):
        return None, None, None
    parent = next((str(v) for v in rows.get("parent", pd.Series(dtype=object)) if not H.is_missing(v)), None)
    country = next((str(v) for v in rows.get("country", pd.Series(dtype=object)) if not H.is_missing(v)), None)
    return rows.geometry.union_all(), parent, country


def _area_photos(frames: pd.DataFrame, frame_ids: set[str], per_frame: dict[str, pd.DataFrame],
                 evidence: dict[str, H.Evidence]) -> list[dict]:
    """The photos (frames without a footprint) of one area, oldest first, failed ones left out."""
    import geopandas as gpd

    photos = []
    photo_rows = frames[frames["frame_id"].astype(str).isin(frame_ids) & frames.geometry.isna()] if isinstance(
        frames, gpd.GeoDataFrame) else frames[frames["frame_id"].astype(str).isin(frame_ids)]
    for _, p in photo_rows.sort_values("captured_at").iterrows():
        if p.get("status") == "failed":
            continue
        fid = str(p["frame_id"])
        photos.append({"source_path": p["source_path"], "captured_at": p.get("captured_at"), "frame_id": fid,
                       "n_detections": len(per_frame.get(fid, ())),
                       "has_thumb": fid in evidence and evidence[fid].figure is not None})
    return photos


def _area_stats(run: RunTables, frame_ids: set[str], area_dets: pd.DataFrame, area_counts: pd.DataFrame,
                n_claims: int, by: str) -> tuple[list[tuple[str, str]], int, int]:
    """The figures at the top of an area's section, its frames read and its vehicles (one per duplicate)."""
    stats = []
    n_frames = len({f for f in frame_ids if f in set(run.ok_frames["frame_id"].astype(str))})
    stats.append(("frames", str(n_frames)))
    kept_dets = area_dets
    if "dedup_kept" in kept_dets.columns:
        kept_dets = kept_dets[kept_dets["dedup_kept"].fillna(True).astype(bool)]
    stats.append(("vehicles detected", f"{len(kept_dets):,}"))
    if len(area_counts) and area_counts["area_km2"].notna().any():
        stats.append(("area", f"{float(area_counts['area_km2'].dropna().iloc[0]):,.1f} km²"))
    if len(area_counts) and area_counts["imaged_km2"].notna().any():
        stats.append(("imaged per bucket, up to", f"{float(area_counts['imaged_km2'].max()):,.3f} km²"))
    if len(area_counts):
        stats.append((f"{by}s with imagery", str(area_counts["bucket"].nunique())))
    if n_claims:
        stats.append(("claims", str(n_claims)))
    return stats, n_frames, len(kept_dets)


def _area_sections(run: RunTables, claims: pd.DataFrame, evidence: dict[str, H.Evidence], by: str,
                   per_frame: dict[str, pd.DataFrame], figures: list,
                   notes: list[str] | None = None, stamp: str | None = None) -> tuple[list[H.AreaSection], list]:
    import geopandas as gpd

    from borderwatch.claims.rules import SiteIndex
    from borderwatch.report.charts import area_chart, claim_marks
    from borderwatch.report.maps import area_map
    from borderwatch.report.thumbnails import is_raster

    allowed = _source_allowed(run)
    names = run.area_names()
    polygons, area_source = _area_polygons(run, names)
    sites = SiteIndex(run.frames)
    located = run.located_detections()
    frames = run.frames
    geo_frames = frames[frames.geometry.notna()] if isinstance(frames, gpd.GeoDataFrame) else frames.iloc[0:0]
    numbers = ({str(c): int(n) for c, n in zip(claims["claim_id"], claims["number"], strict=True)}
               if not claims.empty else {})
    sections = []
    covered = []
    for name in names:
        geom, parent, country = _area_polygon(polygons, name)
        area_counts = run.counts[run.counts["area"] == name] if run.counts is not None else pd.DataFrame()
        if country is None and len(area_counts) and area_counts["country"].notna().any():
            country = str(area_counts["country"].dropna().iloc[0])
        area_dets = located[located["area"] == name] if "area" in located.columns else located.iloc[0:0]
        frame_ids = set(area_dets["frame_id"].astype(str))
        if len(area_counts) and "frame_ids" in area_counts.columns:
            for ids in area_counts["frame_ids"]:
                if ids is not None and not (isinstance(ids, float)):
                    frame_ids.update(str(i) for i in ids)
        frame_ids.update(frames.loc[frames["area"] == name, "frame_id"].astype(str))
        feet = None
        if len(geo_frames):
            sel = geo_frames["frame_id"].astype(str).isin(frame_ids)
            if geom is not None:
                sel |= geo_frames.geometry.intersects(geom)
            feet = geo_frames.loc[sel].geometry
        det_geo = None
        if isinstance(area_dets, gpd.GeoDataFrame) and len(area_dets):
            kept = area_dets
            if "dedup_kept" in kept.columns:
                kept = kept[kept["dedup_kept"].fillna(True).astype(bool)]
            det_geo = kept[kept.geometry.notna()]
        rasters = []
        if feet is not None and len(feet):
            chosen = geo_frames.loc[feet.index]
            rasters = [str(p) for p, crs in zip(chosen["source_path"], chosen["crs"], strict=True)
                       if is_raster(Path(str(p)), crs) and allowed(str(p))]
        map_fig = area_map(name, geom, feet, det_geo, imagery=rasters, area_source=area_source, notes=notes,
                           stamp=stamp) if (
            feet is not None and len(feet)) or (det_geo is not None and len(det_geo)) else None
        area_claims = claims[claims["place"] == name] if not claims.empty else pd.DataFrame()
        marks = claim_marks(area_claims, numbers) if len(area_claims) else []
        chart_fig, unplaced = area_chart(name, area_counts, marks, by, sites, stamp=stamp)
        if map_fig is not None:
            figures.append((f"{name}: map", map_fig))
        if chart_fig is not None:
            figures.append((f"{name}: counts over time", chart_fig))
        photos = _area_photos(frames, frame_ids, per_frame, evidence)
        stats, n_frames, n_kept = _area_stats(run, frame_ids, area_dets, area_counts, len(area_claims), by)
        if n_frames:
            covered.append((name, f"{n_frames} frame{'s' if n_frames != 1 else ''}, {n_kept:,} vehicles"))
        why = None
        if chart_fig is None and frame_ids:
            why = _why_no_counts(run, frame_ids)
        sections.append(H.AreaSection(
            name=name, parent=parent, country=country, stats=stats,
            map_fig=_figure(map_fig, f"map of {name}"), chart_fig=_figure(chart_fig, f"counts over time in {name}"),
            unplaced_claims=unplaced, counts=area_counts, photos=photos, why_no_chart=why,
        ))
    # Areas with imagery first, then areas only named by claims.
    sections.sort(key=lambda s: (s.stats[0][1] == "0", s.name))
    return sections, covered


def _files(run_dir: Path, report_dir: Path, pdf: Path | None, map_html: Path | None) -> list[tuple[str, Path, str]]:
    entries = [
        ("counts.csv", run_dir / "counts.csv", "vehicles per area, class and time bucket (open in a spreadsheet)"),
        ("comparisons.csv", run_dir / "comparisons.csv", "one row per claim: verdict, reason and evidence"),
        ("borderwatch.gpkg", run_dir / "borderwatch.gpkg",
         "GeoPackage for QGIS: layers detections, areas, footprints, counts"),
        ("claims.json", run_dir / "claims.json", "claims extracted from the articles"),
        (T.DETECTIONS.name, run_dir / T.DETECTIONS.name, "every detection (GeoParquet)"),
        (T.GEOTAGGED.name, run_dir / T.GEOTAGGED.name, "detections with their area (GeoParquet)"),
        (T.FRAMES.name, run_dir / T.FRAMES.name, "one row per input frame, with status and error"),
        (T.COUNTS.name, run_dir / T.COUNTS.name, "the counts as Parquet"),
        (T.COMPARISONS.name, run_dir / T.COMPARISONS.name, "the comparisons as Parquet"),
        ("run.json", run_dir / "run.json", "detection settings, versions and model hash"),
        ("stages.json", run_dir / "stages.json", "which stages ran, with their input fingerprints"),
        (T.RUN_LABEL, run_dir / T.RUN_LABEL, "the run's label: demo or not, title and notice"),
    ]
    for path in sorted(run_dir.glob("geojson/*.geojson")):
        entries.append((f"geojson/{path.name}", path, f"the {path.stem} layer as GeoJSON"))
    if pdf is not None:
        entries.insert(0, ("report.pdf", pdf, "this report as a PDF"))
    if map_html is not None:
        entries.insert(0, ("map.html", map_html, "interactive map (needs a network to load map tiles)"))
    return entries


DEFAULT_TITLE = "borderwatch report"
# printed on every map and chart of a demo, so a figure copied out of the report keeps its caveat
DEMO_STAMP = "DEMO: sample imagery placed here on invented dates; not an observation of this place"


def read_label(run_dir: Path, notes: list[str] | None = None) -> T.RunLabel:
    """The run folder's label (``tables.RUN_LABEL``): demo or not, title, notice. Absent: an unlabelled run."""
    import json

    from pydantic import ValidationError

    path = Path(run_dir) / T.RUN_LABEL
    if not path.exists():
        return T.RunLabel()
    try:
        return T.RunLabel.model_validate(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError, ValidationError) as exc:
        if notes is not None:
            notes.append(f"{path}: unreadable label ({one_line(exc)})")
        # a damaged label of a demo must still not let placed imagery pass for a real observation
        return T.RunLabel(demo=True, notice="This run's label is unreadable: it may be a demo on placed sample imagery.")


def _labelled(run_dir: Path, title: str | None, notice: str | None, notes: list[str]) -> tuple[str, str | None, bool]:
    """Title, notice and demo flag of the page: the caller's, else the run's label; a demo's notice always shows."""
    label = read_label(run_dir, notes)
    if title in (None, DEFAULT_TITLE) and label.title:
        title = label.title
    if label.notice and (label.demo or not notice) and label.notice not in (notice or ""):
        notice = f"{label.notice} {notice}" if notice else label.notice
    elif label.demo and not notice:
        notice = "DEMO. This run is a demo on sample imagery placed in invented places and dates."
    return title or DEFAULT_TITLE, notice, label.demo


def build_report(
    run_dir: str | Path,
    report_dir: str | Path | None = None,
    *,
    title: str | None = None,
    notice: str | None = None,
    pdf: bool = False,
    interactive_map: bool = False,
    tz: str | None = None,
    quiet: bool = False,
    progress: Progress = SILENT,
) -> ReportOutputs:
    """Write REPORT_DIR/index.html (and report.pdf / map.html on request) from the run's tables.

    ``tz`` is the zone capture times are shown in (the counts' zone); None infers it from the counts.
    ``progress`` hears what is being done (``quiet``: nothing, whatever it is); problems are warnings.
    """
    progress = SILENT if quiet else progress
    run_dir = Path(run_dir)
    report_dir = Path(report_dir) if report_dir is not None else run_dir / "report"
    run = load_run(run_dir)
    notes = list(run.problems)
    title, notice, demo = _labelled(run_dir, title, notice, notes)
    stamp = DEMO_STAMP if demo else None
    by = infer_bucket(run.counts)
    claims = _numbered_claims(run)
    located = run.located_detections()
    per_frame = {str(k): v for k, v in located.groupby(located["frame_id"].astype(str))} if len(located) else {}
    evidence = _evidence(run, _evidence_ids(run, claims, per_frame), per_frame, progress, demo)
    notes += [f"{e.source_path}: no thumbnail: {e.error}" for e in evidence.values() if e.error]
    figures: list = []
    sections, covered = _area_sections(run, claims, evidence, by, per_frame, figures, notes, stamp)
    status = {str(k): int(v) for k, v in run.frames["status"].value_counts().items()}
    n_articles = claims["source_file"].nunique() if not claims.empty and "source_file" in claims else 0

    outputs = ReportOutputs(index=report_dir / "index.html")
    if interactive_map:
        from borderwatch.report.interactive import write_interactive_map

        outputs.map_html, message = write_interactive_map(run, report_dir / "map.html")
        if message:
            notes.append(message)
            warn_run(message)
    page = H.PageData(
        title=title, notice=notice, generated=datetime.now(UTC), run_dir=run_dir.resolve(),
        report_dir=report_dir.resolve(), frame_status=status, n_frames=len(run.frames),
        per_class=vehicles_per_class(run), class_bars="", areas_covered=covered, verdicts=verdict_counts(run),
        n_articles=int(n_articles), claims=claims, areas=sections, evidence=evidence,
        failures=run.failed_frames, files=[], notes=notes, version=__version__, by=by,
    )
    from borderwatch.report.charts import class_bars_svg

    page.class_bars = class_bars_svg(page.per_class)
    if not sections:
        page.why_no_areas = why_no_areas(run)
    page.zone, page.zone_label = display_zone(tz, run.counts)
    if pdf:
        from borderwatch.report.pdf import write_pdf

        outputs.pdf = report_dir / "report.pdf"
        try:
            write_pdf(outputs.pdf, page, figures)
        except Exception as exc:  # the HTML page still matters when the PDF fails
            notes.append(f"report.pdf not written: {one_line(exc)}")
            warn_run(f"{outputs.pdf}: not written: {one_line(exc)}")
            outputs.pdf = None
    page.files = _files(run_dir, report_dir, outputs.pdf, outputs.map_html)
    write_text(outputs.index, render_page(page))
    for _, fig in figures:
        fig.clear()
    outputs.notes = notes
    progress.note(f"report: {outputs.index}")
    return outputs
