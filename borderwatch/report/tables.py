"""What the report reads from a run directory, loaded once and checked against ``borderwatch.tables``.

A run may be partial (no articles, no georeferenced frames, a stage that failed): every table except
``frames.parquet`` is optional and the report says what is missing instead of failing.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from borderwatch import tables as T
from borderwatch.errors import InputError

VERDICTS = ("supported", "contradicted", "inconclusive", "not_testable")
VERDICT_COLOURS = {
    "supported": "#1b7a3a",
    "contradicted": "#c0392b",
    "inconclusive": "#d68910",
    "not_testable": "#7f8c8d",
}
CLASS_COLOURS = {
    "car": "#1f77b4",
    "truck": "#e67e22",
    "bus": "#8e44ad",
    "two_wheeler": "#16a085",
    "heavy_equipment": "#a0522d",
    "any_vehicle": "#34495e",
}
GPKG_NAME = "borderwatch.gpkg"


@dataclass
class RunTables:
    """The tables of one run; optional ones are None when the stage has not run."""

    run_dir: Path
    frames: pd.DataFrame
    detections: pd.DataFrame | None = None
    geotagged: pd.DataFrame | None = None
    counts: pd.DataFrame | None = None
    comparisons: pd.DataFrame | None = None
    claims: list[dict] = field(default_factory=list)
    areas: pd.DataFrame | None = None  # GeoDataFrame: name, parent, country, geometry (EPSG:4326)
    run_info: dict = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)  # tables that could not be read, one line each

    @property
    def failed_frames(self) -> pd.DataFrame:
        return self.frames[self.frames["status"] == "failed"]

    @property
    def ok_frames(self) -> pd.DataFrame:
        return self.frames[self.frames["status"] != "failed"]

    def located_detections(self) -> pd.DataFrame:
        """Detections with their area: geotagged when counting ran, else the raw detections."""
        if self.geotagged is not None:
            return self.geotagged
        if self.detections is not None:
            return self.detections.assign(area=None, area_parent=None, country=None, dedup_kept=True)
        return pd.DataFrame(columns=T.GEOTAGGED.column_names)

    def area_names(self) -> list[str]:
        """Areas the report has something to say about: imaged, counted, or named by a claim."""
        names: set[str] = set()
        if self.counts is not None:
            names.update(self.counts["area"].dropna().astype(str))
        if self.geotagged is not None:
            names.update(self.geotagged["area"].dropna().astype(str))
        names.update(self.frames["area"].dropna().astype(str))
        if self.comparisons is not None:
            names.update(self.comparisons["place"].dropna().astype(str))
        return sorted(n for n in names if n)


def _read_parquet(path: Path, table: T.Table, geo: bool):
    from borderwatch.geoparquet import read_frame

    df = None
    if geo:
        try:
            df = read_frame(path)
        except (ValueError, TypeError, KeyError):
            df = None  # geometry that is not WKB: the table without it
    if df is None:
        df = pd.read_parquet(path)
    table.validate(df, str(path))
    for name in df.columns:
        # pandas' string dtype marks missing text with pd.NA, whose truth value raises; the report
        # treats text as plain Python objects with None for missing.
        if isinstance(df[name].dtype, pd.StringDtype):
            df[name] = df[name].astype(object).where(df[name].notna(), None)
    for column in table.columns:
        if column.dtype.startswith("timestamp") and column.name in df.columns:
            df[column.name] = pd.to_datetime(df[column.name], utc=True, errors="coerce")
    return df


def _optional(run_dir: Path, table: T.Table, geo: bool, problems: list[str]):
    path = run_dir / table.name
    if not path.exists():
        return None
    try:
        return _read_parquet(path, table, geo)
    except Exception as exc:  # a damaged optional table must not stop the rest of the report
        from borderwatch.errors import one_line

        problems.append(f"{path}: {one_line(exc)}")
        return None


def read_claims(path: Path) -> list[dict]:
    """claims.json: one JSON list of claim objects (fields as in ``tables.CLAIMS_FIELDS`` and more)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise InputError(f"cannot read claims: {exc}", path) from exc
    if isinstance(data, dict) and isinstance(data.get("claims"), list):
        data = data["claims"]
    if not isinstance(data, list) or not all(isinstance(c, dict) for c in data):
        raise InputError("claims must be a JSON list of objects", path)
    return data


def _read_areas(run_dir: Path, problems: list[str]):
    gpkg = run_dir / GPKG_NAME
    if not gpkg.exists():
        return None
    try:
        import geopandas as gpd

        areas = gpd.read_file(gpkg, layer="areas")
    except Exception as exc:
        from borderwatch.errors import one_line

        problems.append(f"{gpkg}: areas layer unreadable: {one_line(exc)}")
        return None
    if "name" not in areas.columns and "area" in areas.columns:
        areas = areas.rename(columns={"area": "name"})
    if "name" not in areas.columns:
        problems.append(f"{gpkg}: areas layer has no name column")
        return None
    if areas.crs is not None and not areas.crs.equals("EPSG:4326"):
        areas = areas.to_crs("EPSG:4326")
    return areas


def load_run(run_dir: str | Path) -> RunTables:
    """Read a run directory; raises InputError only when ``frames.parquet`` is missing or unreadable."""
    run_dir = Path(run_dir)
    frames_path = run_dir / T.FRAMES.name
    if not frames_path.exists():
        raise InputError("no frames.parquet here: run `borderwatch detect` or `borderwatch run` first", run_dir)
    try:
        frames = _read_parquet(frames_path, T.FRAMES, geo=True)
    except InputError:
        raise
    except Exception as exc:
        from borderwatch.errors import one_line

        raise InputError(f"cannot read frames table: {one_line(exc)}", frames_path) from exc
    problems: list[str] = []
    run = RunTables(run_dir=run_dir, frames=frames, problems=problems)
    run.detections = _optional(run_dir, T.DETECTIONS, True, problems)
    run.geotagged = _optional(run_dir, T.GEOTAGGED, True, problems)
    run.counts = _optional(run_dir, T.COUNTS, False, problems)
    run.comparisons = _optional(run_dir, T.COMPARISONS, False, problems)
    claims_path = run_dir / "claims.json"
    if claims_path.exists():
        try:
            run.claims = read_claims(claims_path)
        except InputError as exc:
            problems.append(str(exc))
    run.areas = _read_areas(run_dir, problems)
    info_path = run_dir / "run.json"
    if info_path.exists():
        try:
            run.run_info = json.loads(info_path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            problems.append(f"{info_path}: {exc}")
    return run


def claim_details(run: RunTables) -> dict[str, dict]:
    """Article metadata (title, publisher, published) per claim_id, from claims.json.

    Comparisons carry the claim fields and the source file but not the article's title or date; the
    claim id is ``source_file#index`` with the index counted within each article.
    """
    out: dict[str, dict] = {}
    per_file: dict[str, int] = {}
    for claim in run.claims:
        source = str(claim.get("source_file") or "claims")  # as borderwatch.claims.compare numbers them
        index = per_file.get(source, 0)
        per_file[source] = index + 1
        claim_id = str(claim.get("claim_id") or f"{source}#{index}")
        out[claim_id] = claim
    return out


def vehicles_per_class(run: RunTables) -> dict[str, int]:
    """Detections per class, after the overlapping-scene dedup when counting ran."""
    det = run.located_detections()
    if det.empty:
        return {}
    if "dedup_kept" in det.columns:
        det = det[det["dedup_kept"].fillna(True).astype(bool)]
    counts = det["vehicle_class"].value_counts()
    return {str(k): int(v) for k, v in counts.items()}


def verdict_counts(run: RunTables) -> dict[str, int]:
    if run.comparisons is None or run.comparisons.empty:
        return {}
    counts = run.comparisons["verdict"].value_counts()
    return {v: int(counts.get(v, 0)) for v in VERDICTS if counts.get(v, 0)}
