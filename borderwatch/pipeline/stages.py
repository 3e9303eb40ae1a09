"""The stages of ``borderwatch run``: each reads the run folder (and its config section), writes its
tables there and returns a small summary for the ledger. Each calls the library of its package
(``detector``, ``geo``, ``claims``, ``report``); none knows about the ledger.
"""

from __future__ import annotations

import json
import os
import warnings
from datetime import UTC, datetime
from pathlib import Path

from borderwatch.atomic import write_json
from borderwatch.errors import BorderwatchError, ConfigError, GeoWarning, warn_input
from borderwatch.geoparquet import (
    merged_geo_metadata,
    read_arrow,
    with_geo_metadata,
    write_arrow,
    write_frame,
)
from borderwatch.pipeline.config import RunConfig
from borderwatch.pipeline.ledger import stat_key
from borderwatch.progress import SILENT, Progress
from borderwatch.tables import DETECTIONS, FRAMES

CLAIMS_JSON = "claims.json"

# The files each stage writes into the run folder (the report's own live in the report folder).
OUTPUTS = {
    "detect": ("detections.parquet", "frames.parquet"),
    "count": ("geotagged.parquet", "counts.parquet", "counts.csv"),
    "claims": (CLAIMS_JSON,),
    "compare": ("comparisons.parquet", "comparisons.csv"),
    "report": (),
}


def detect_config(config: RunConfig, model_spec: str):
    """The DetectConfig of one model: the run config embeds detect's option groups, field for field."""
    from borderwatch.detector.options import EngineOptions, ModelOptions, ReadOptions, fields_of
    from borderwatch.detector.run.config import DetectConfig

    return DetectConfig(
        model=model_spec,
        slicing=config.detection.slicing(),
        class_map=config.models.mapping,
        **fields_of(ModelOptions, config.models),
        **fields_of(ReadOptions, config.detection),
        **fields_of(EngineOptions, config),
    )


def model_specs(config: RunConfig) -> dict[str, str]:
    """What the config names for each kind of frame (the overhead model defaults to the photo model)."""
    return {"photo": config.models.photo, "overhead": config.models.overhead or config.models.photo}


def model_handles(config: RunConfig, given: dict | None = None) -> dict:
    """One ModelHandle per kind of frame (the overhead model defaults to the photo model).

    A model that cannot be found or trusted is a config error pointing at its line.
    """
    from borderwatch.detector.run import resolve_model_handle

    given = given or {}
    specs = model_specs(config)
    handles: dict = {}
    resolved: dict[str, object] = {}
    for kind, spec in specs.items():
        if kind in given:
            handles[kind] = given[kind]
            continue
        if spec in resolved:
            handles[kind] = resolved[spec]
            continue
        key = kind if (kind == "photo" or config.models.overhead) else "photo"
        settings = detect_config(config, spec)
        try:
            handle = resolve_model_handle(settings)
        except BorderwatchError as exc:  # not found, untrusted pickle, bad card: point at the config line
            raise config.error(str(exc), "models", key) from exc
        resolved[spec] = handle
        handles[kind] = handle
    return handles


def discover_frames(config: RunConfig):
    from borderwatch.detector.exif import zone
    from borderwatch.detector.frames import discover

    try:
        return discover([str(p) for p in config.inputs], (), config.detection.kind, zone(config.detection.tz))
    except ConfigError as exc:
        raise config.error(exc.reason, "inputs") from exc


def inputs_fingerprint(discovery) -> list:
    """What detection reads: every frame's file identity and the metadata its manifest row gave."""
    from borderwatch.detector.frames import resolve_kind

    rows = []
    for fi in discovery.frames:
        rows.append(stat_key(fi.path) + [resolve_kind(fi), str(fi.captured_at), fi.area, fi.lon, fi.lat])
    rows += [[str(p.path), p.status, p.reason] for p in discovery.problems]
    return rows


def _derived_inputs(frames: list, folder: Path) -> tuple[list[str], dict[str, str]]:
    """Inputs for one kind: plain files as they are; manifest rows re-written into a manifest of
    this kind beside links to their files (a manifest may only name files inside its own folder).

    Returns the inputs and {link path: the user's path} to restore the user's paths afterwards.
    """
    import shutil

    import yaml

    plain = [str(fi.path) for fi in frames if not fi.from_manifest]
    listed = [fi for fi in frames if fi.from_manifest]
    if folder.exists():
        shutil.rmtree(folder)
    if not listed:
        return plain, {}
    folder.mkdir(parents=True)
    rows = []
    links: dict[str, str] = {}
    for index, fi in enumerate(listed):
        link = folder.absolute() / f"{index:06d}_{fi.path.name}"
        # a hard link, else a copy: not a symlink, which manifests refuse when it leads out of their folder
        try:
            os.link(fi.path.resolve(), link)
        except OSError:
            shutil.copy2(fi.path, link)
        links[str(link)] = str(fi.path)
        row = {"path": link.name, "kind": fi.kind if fi.kind in ("photo", "overhead") else "auto"}
        if fi.captured_at is not None:
            row["captured_at"] = fi.captured_at.isoformat()
        if fi.area:
            row["area"] = fi.area
        if fi.lon is not None:
            row["lon"], row["lat"] = fi.lon, fi.lat
        rows.append(row)
    manifest = folder / "manifest.yaml"
    manifest.write_text(yaml.safe_dump({"frames": rows}, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return plain + [str(manifest)], links


def _merge_runs(run_dir: Path, parts: dict[str, Path], links: dict[str, str], extra_frames: list[dict]) -> None:
    """frames/detections of the per-kind runs into RUN_DIR, with the user's paths restored."""
    import pyarrow as pa

    def restore(table):
        paths = [links.get(p, p) for p in table.column("source_path").to_pylist()]
        index = table.schema.get_field_index("source_path")
        return table.set_column(index, "source_path", pa.array(paths, pa.string()))

    for spec in (FRAMES, DETECTIONS):
        tables = [restore(read_arrow(folder / spec.name)) for folder in parts.values()]
        if spec is FRAMES and extra_frames:
            schema = tables[0].schema
            rows = {name: [r.get(name) for r in extra_frames] for name in schema.names}
            tables.append(pa.table(rows, schema=schema))
        merged = pa.concat_tables(tables, promote_options="default") if len(tables) > 1 else tables[0]
        if spec is FRAMES:
            # a frame found under both kinds' inputs (it cannot be, but a problem row can): keep one
            ids = merged.column("frame_id").to_pylist()
            first = {fid: i for i, fid in reversed(list(enumerate(ids)))}
            keep = sorted(first.values())
            merged = merged.take(pa.array(keep))
        write_arrow(run_dir / spec.name, with_geo_metadata(merged, merged_geo_metadata(tables)))




def run_detect(config: RunConfig, handles: dict, discovery, quiet: bool, progress: Progress = SILENT) -> dict:
    """Detection for every frame with the model of its kind; writes RUN_DIR tables and run.json."""
    from borderwatch.detector.frames import resolve_kind
    from borderwatch.detector.run import RUN_JSON, detect

    run_dir = config.run_dir
    run_dir.mkdir(parents=True, exist_ok=True)
    inputs = [str(p) for p in config.inputs]
    specs = model_specs(config)  # the names a Ray worker resolves on its own; the handles serve locally
    same_model = handles["photo"].sha256 == handles["overhead"].sha256
    by_kind: dict[str, list] = {"photo": [], "overhead": []}
    for fi in discovery.frames:
        by_kind[resolve_kind(fi)].append(fi)
    kinds = [k for k in ("photo", "overhead") if by_kind[k]]
    if same_model or len(kinds) <= 1:
        kind = kinds[0] if kinds else "photo"
        summary = detect(inputs, run_dir, detect_config(config, specs[kind]), quiet=quiet, model=handles[kind])
        return {"frames": summary.frames, "ok": summary.ok, "failed": summary.failed, "skipped": summary.skipped,
                "computed": summary.computed, "resumed": summary.resumed, "detections": summary.detections,
                "models": {k: handles[kind].name for k in kinds}}

    # Two models: one detection run per kind in its own folder (each resumes on its own), merged.
    from borderwatch.detector.frames import frame_id_of, placeholder_id

    parts: dict[str, Path] = {}
    links: dict[str, str] = {}
    totals = {"frames": 0, "ok": 0, "failed": 0, "skipped": 0, "computed": 0, "resumed": 0, "detections": 0}
    infos = {}
    for kind in kinds:
        folder = run_dir / f"detect-{kind}"
        kind_inputs, kind_links = _derived_inputs(by_kind[kind], folder / "inputs")
        links.update(kind_links)
        progress.note(f"detecting in {len(by_kind[kind])} {kind} frame(s) with {handles[kind].name}")
        summary = detect(kind_inputs, folder, detect_config(config, specs[kind]), quiet=quiet, model=handles[kind])
        parts[kind] = folder
        for key in totals:
            totals[key] += getattr(summary, key)
        infos[kind] = json.loads((folder / RUN_JSON).read_text(encoding="utf-8"))
    extra = []
    for problem in discovery.problems:
        try:
            fid = frame_id_of(problem.path) if problem.path.is_file() else placeholder_id(problem.path, problem.reason)
        except OSError:
            fid = placeholder_id(problem.path, problem.reason)
        extra.append({"frame_id": fid, "source_path": str(problem.path), "kind": problem.kind,
                      "status": problem.status, "error": problem.reason})
        totals["frames"] += 1
        totals["failed" if problem.status == "failed" else "skipped"] += 1
    (run_dir / RUN_JSON).unlink(missing_ok=True)
    _merge_runs(run_dir, parts, links, extra)
    write_json(run_dir / RUN_JSON, {
        "status": "complete" if totals["failed"] == 0 else "complete_with_failures",
        "finished_at": datetime.now(UTC).isoformat(),
        "inputs": inputs,
        "models": {kind: info.get("model") for kind, info in infos.items()},
        "runs": {kind: str(parts[kind]) for kind in parts},
        "frames": totals,
        "per_kind": infos,
    })
    totals["models"] = {k: handles[k].name for k in kinds}
    return totals


# ------------------------------------------------------------------------------------------- counting


def run_count(config: RunConfig, progress: Progress = SILENT) -> dict:
    from borderwatch.geo.counts import count_run

    a, c = config.areas, config.counts
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        summary = count_run(
            config.run_dir, areas=a.file, name_field=a.name_field, parent_field=a.parent_field, by=c.by, tz=c.tz,
            geojson=config.outputs.geojson, dedup_iou=c.dedup_iou, layer=a.layer, areas_crs=a.crs,
            select=a.select or None, card=c.card,
        )
    for w in caught:  # only borderwatch's own: the others are noise from the libraries below
        if issubclass(w.category, GeoWarning):
            warnings.warn(w.message, stacklevel=2)
    progress.note(f"counted {summary.n_detections} detection(s), {summary.n_in_areas} in areas, "
        f"{summary.n_duplicates} duplicate(s) across scenes")
    return {"detections": summary.n_detections, "in_areas": summary.n_in_areas,
            "duplicates": summary.n_duplicates, "frames_used": summary.frames_used, "card": summary.card,
            "rows": len(summary.counts), "outputs": sorted(str(p) for p in summary.paths.values())}


# --------------------------------------------------------------------------------------------- claims


def run_claims(config: RunConfig, progress: Progress = SILENT) -> dict:
    """claims.json from the articles (and the claims file, if given): one JSON list."""
    from borderwatch.report.tables import read_claims

    claims: list[dict] = []
    n_articles = unreadable = 0
    if config.articles:
        from borderwatch.claims.articles import load_articles
        from borderwatch.claims.extract import extract_claims
        from borderwatch.geo.gazetteer import load_gazetteer

        loaded = load_articles(config.articles)
        for error in loaded.errors:  # an unreadable article is reported; the others go on
            warn_input(str(error))
        unreadable = len(loaded.errors)
        gazetteer = load_gazetteer()
        for article in progress.track(loaded.articles, "articles", total=len(loaded.articles)):
            claims.extend(c.to_dict() for c in extract_claims(article, gazetteer))
        n_articles = len(loaded.articles)
    if config.claims is not None:
        for claim in read_claims(config.claims):
            claim = dict(claim)
            claim.setdefault("source_file", config.claims.name)
            claims.append(claim)
    write_json(config.run_dir / CLAIMS_JSON, claims)
    progress.note(f"{len(claims)} claim(s) from {n_articles} article(s)")
    return {"claims": len(claims), "articles": n_articles, "unreadable": unreadable}


def _empty_comparisons(run_dir: Path) -> None:
    import pandas as pd

    from borderwatch.atomic import write_csv
    from borderwatch.tables import COMPARISONS

    empty = pd.DataFrame({c: pd.Series(dtype="object") for c in COMPARISONS.column_names})
    write_frame(run_dir / "comparisons.parquet", empty)
    write_csv(run_dir / "comparisons.csv", empty)


def run_compare(config: RunConfig, progress: Progress = SILENT) -> dict:
    from borderwatch.report.tables import read_claims

    claims_path = config.run_dir / CLAIMS_JSON
    if not read_claims(claims_path):
        _empty_comparisons(config.run_dir)
        return {"claims": 0}
    from borderwatch.claims.compare import compare_run

    table = compare_run(config.run_dir, claims_path, **config.compare.options())
    verdicts = {str(k): int(v) for k, v in table["verdict"].value_counts().items()}
    progress.note("verdicts: " + (", ".join(f"{k} {v}" for k, v in sorted(verdicts.items())) or "none"))
    return {"verdicts": verdicts}


# --------------------------------------------------------------------------------------------- report


def run_report(config: RunConfig) -> dict:
    from borderwatch.report.build import build_report

    out = build_report(config.run_dir, config.report_dir, title=config.title, notice=config.notice,
                       pdf=config.outputs.pdf, interactive_map=config.outputs.interactive_map,
                       tz=config.counts.tz, quiet=True)
    return {"index": str(out.index), "pdf": str(out.pdf) if out.pdf else None,
            "map": str(out.map_html) if out.map_html else None, "notes": len(out.notes)}
