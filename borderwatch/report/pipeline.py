"""``borderwatch run CONFIG``: detect -> count -> claims -> compare -> report, redoing only what changed.

The stage ledger (``RUN_DIR/stages.json``) records, for every stage that finished, the fingerprint
of what it was computed from and a hash of each file it wrote. A stage's fingerprint is a hash of
its config section and of the fingerprints of its inputs (files on disk, or the upstream stage's
outputs), so:

- a new threshold or model changes detect's fingerprint: detection reruns (and its own resume skips
  every frame whose parameters hash is unchanged), and the later stages rerun only if the tables
  detect wrote actually changed;
- new time buckets change count's fingerprint only: count, compare and report rerun;
- changed articles change claims' fingerprint: claims, compare and report rerun;
- a stage whose outputs were deleted or edited since it ran is rerun.

A failing stage is recorded as failed, keeps the outputs of the stages before it (every table is
written atomically), and raises ``StageFailed`` naming the stage; the next run starts from there.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from borderwatch.atomic import write_json
from borderwatch.cli_common import say, warn
from borderwatch.errors import BorderwatchError, ConfigError, one_line
from borderwatch.report.config import RunConfig, load_config

STAGES = ("detect", "count", "claims", "compare", "report")
LEDGER = "stages.json"
LEDGER_VERSION = 1
CLAIMS_JSON = "claims.json"

# The files each stage writes into the run folder (the report's own live in the report folder).
OUTPUTS = {
    "detect": ("detections.parquet", "frames.parquet"),
    "count": ("geotagged.parquet", "counts.parquet", "counts.csv"),
    "claims": (CLAIMS_JSON,),
    "compare": ("comparisons.parquet", "comparisons.csv"),
    "report": (),
}


class StageFailed(BorderwatchError):
    """A stage raised; the outputs of earlier stages are intact."""

    def __init__(self, stage: str, reason: str, path: str | Path | None = None):
        self.stage = stage
        super().__init__(f"stage {stage!r} failed: {reason}", path)


@dataclass
class PipelineResult:
    run_dir: Path
    report: Path | None
    ran: list[str] = field(default_factory=list)
    reused: list[str] = field(default_factory=list)
    frames_failed: int = 0
    details: dict[str, dict] = field(default_factory=dict)

    @property
    def exit_code(self) -> int:
        """0: every stage done and every frame read; 3: done, but some frames failed (see the report)."""
        return 3 if self.frames_failed else 0


# ------------------------------------------------------------------------------------------- hashing


def hash_json(obj) -> str:
    return hashlib.sha256(json.dumps(obj, sort_keys=True, default=str).encode()).hexdigest()[:20]


def file_sha(path: Path) -> str | None:
    if not path.is_file():
        return None
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()[:20]


def stat_key(path: Path) -> list:
    """Cheap identity of a file: size and modification time (frames are hashed by detect itself)."""
    try:
        st = path.stat()
    except OSError:
        return [str(path), None]
    return [str(path), st.st_size, st.st_mtime_ns]


def tree_listing(paths, content: bool = False) -> list:
    """Every file under the given files and folders, with size and mtime (or content hash)."""
    out = []
    for p in paths:
        p = Path(p)
        files = sorted(f for f in p.rglob("*") if f.is_file() and not f.name.startswith(".")) if p.is_dir() else [p]
        for f in files:
            out.append([str(f), file_sha(f)] if content else stat_key(f))
    return out


# -------------------------------------------------------------------------------------------- ledger


@dataclass
class Ledger:
    path: Path
    stages: dict[str, dict] = field(default_factory=dict)

    @classmethod
    def load(cls, run_dir: Path) -> Ledger:
        path = run_dir / LEDGER
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            if data.get("version") == LEDGER_VERSION and isinstance(data.get("stages"), dict):
                return cls(path, data["stages"])
        except (OSError, ValueError, AttributeError):
            pass  # no ledger, or an unreadable one: every stage is redone
        return cls(path)

    def save(self) -> None:
        write_json(self.path, {"version": LEDGER_VERSION, "stages": self.stages})

    def valid(self, stage: str, fingerprint: str, run_dir: Path) -> bool:
        entry = self.stages.get(stage)
        if not entry or entry.get("status") != "done" or entry.get("fingerprint") != fingerprint:
            return False
        for name, sha in (entry.get("outputs") or {}).items():
            if file_sha(self._where(run_dir, name)) != sha:
                return False
        return True

    @staticmethod
    def _where(run_dir: Path, name: str) -> Path:
        return Path(name) if os.path.isabs(name) else run_dir / name

    def outputs_of(self, stage: str) -> dict:
        return dict((self.stages.get(stage) or {}).get("outputs") or {})

    def done(self, stage: str, fingerprint: str, run_dir: Path, outputs: list[str], seconds: float,
             summary: dict) -> None:
        previous = self.stages.get(stage) or {}
        self.stages[stage] = {
            "status": "done",
            "fingerprint": fingerprint,
            "outputs": {name: file_sha(self._where(run_dir, name)) for name in outputs
                        if self._where(run_dir, name).exists()},
            "finished_at": datetime.now(UTC).isoformat(),
            "seconds": round(seconds, 3),
            "runs": int(previous.get("runs", 0)) + 1,
            "summary": summary,
        }
        self.save()

    def failed(self, stage: str, fingerprint: str, reason: str) -> None:
        previous = self.stages.get(stage) or {}
        self.stages[stage] = {"status": "failed", "fingerprint": fingerprint, "error": reason,
                              "finished_at": datetime.now(UTC).isoformat(),
                              "runs": int(previous.get("runs", 0)) + 1}
        self.save()


# ------------------------------------------------------------------------------------------- detection


def detect_config(config: RunConfig, model_spec: str):
    from borderwatch.detector.run import DetectConfig

    d = config.detection
    fields = dict(
        model=model_spec,
        models_dir=config.models.models_dir,
        allow_download=config.models.allow_download,
        trust_weights=config.models.trust_weights,
        device=d.device,
        runtime=d.runtime,
        slicing=d.slicing(),
        full_frame=d.full_frame,
        class_map=config.models.mapping,
        tz=d.tz,
        max_photo_megapixels=d.max_photo_megapixels,
    )
    if "gdal_cache_mb" in DetectConfig.model_fields:
        fields["gdal_cache_mb"] = d.gdal_cache_mb
    if config.engine != "local":
        if "engine" not in DetectConfig.model_fields:
            raise config.error(f"engine {config.engine!r} is not available in this installation of borderwatch "
                               "(use engine: local)", "engine")
        fields["engine"] = config.engine
        for name in ("ray_address", "ray_workers"):
            if getattr(config, name) is not None and name in DetectConfig.model_fields:
                fields[name] = getattr(config, name)
    return DetectConfig(**fields)


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
        return discover([str(p) for p in config.inputs], (), "auto", zone(config.detection.tz))
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
        try:
            os.symlink(fi.path, link)
        except OSError:  # no symlinks here (some file systems): a hard link, else a copy
            try:
                os.link(fi.path, link)
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
    import pyarrow.parquet as pq

    from borderwatch.atomic import atomic_path
    from borderwatch.tables import DETECTIONS, FRAMES

    def restore(table):
        paths = [links.get(p, p) for p in table.column("source_path").to_pylist()]
        index = table.schema.get_field_index("source_path")
        return table.set_column(index, "source_path", pa.array(paths, pa.string()))

    for spec in (FRAMES, DETECTIONS):
        tables = [restore(pq.read_table(folder / spec.name)) for folder in parts.values()]
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
        geo = tables[0].schema.metadata or {}
        if b"geo" in geo:
            meta = json.loads(geo[b"geo"])
            meta["columns"]["geometry"].pop("bbox", None)
            kinds = set()
            for t in tables:
                tm = json.loads((t.schema.metadata or {}).get(b"geo", b"{}") or b"{}")
                kinds.update(tm.get("columns", {}).get("geometry", {}).get("geometry_types", []))
            meta["columns"]["geometry"]["geometry_types"] = sorted(kinds)
            merged = merged.replace_schema_metadata({b"geo": json.dumps(meta).encode()})
        with atomic_path(run_dir / spec.name) as tmp:
            pq.write_table(merged, tmp)


def run_detect(config: RunConfig, handles: dict, discovery, quiet: bool) -> dict:
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
        say(f"detecting in {len(by_kind[kind])} {kind} frame(s) with {handles[kind].name}", quiet)
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


def run_count(config: RunConfig, quiet: bool) -> dict:
    from borderwatch.geo.counts import count_run

    a, c = config.areas, config.counts
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        summary = count_run(
            config.run_dir, areas=a.file, name_field=a.name_field, parent_field=a.parent_field, by=c.by, tz=c.tz,
            geojson=config.outputs.geojson, dedup_iou=c.dedup_iou, layer=a.layer, areas_crs=a.crs,
            select=a.select or None,
        )
    for w in caught:
        if w.category.__name__ == "GeoWarning":
            warn(str(w.message))
    say(f"counted {summary.n_detections} detection(s), {summary.n_in_areas} in areas, "
        f"{summary.n_duplicates} duplicate(s) across scenes", quiet)
    return {"detections": summary.n_detections, "in_areas": summary.n_in_areas,
            "duplicates": summary.n_duplicates, "frames_used": summary.frames_used, "card": summary.card,
            "rows": len(summary.counts), "outputs": sorted(str(p) for p in summary.paths.values())}


# --------------------------------------------------------------------------------------------- claims


def run_claims(config: RunConfig, quiet: bool) -> dict:
    """claims.json from the articles (and the claims file, if given): one JSON list."""
    from borderwatch.report.tables import read_claims

    claims: list[dict] = []
    n_articles = 0
    if config.articles:
        from borderwatch.claims.articles import load_articles
        from borderwatch.claims.extract import extract_claims
        from borderwatch.cli_common import track
        from borderwatch.geo.gazetteer import load_gazetteer

        loaded = load_articles(config.articles)
        for error in loaded.errors:  # an unreadable article is reported; the others go on
            warn(error)
        gazetteer = load_gazetteer()
        for article in track(loaded.articles, "articles", total=len(loaded.articles), quiet=quiet):
            claims.extend(c.to_dict() for c in extract_claims(article, gazetteer))
        n_articles = len(loaded.articles)
    if config.claims is not None:
        for claim in read_claims(config.claims):
            claim = dict(claim)
            claim.setdefault("source_file", config.claims.name)
            claims.append(claim)
    write_json(config.run_dir / CLAIMS_JSON, claims)
    say(f"{len(claims)} claim(s) from {n_articles} article(s)", quiet)
    return {"claims": len(claims), "articles": n_articles}


def _empty_comparisons(run_dir: Path) -> None:
    import pandas as pd

    from borderwatch.atomic import write_csv, write_parquet
    from borderwatch.tables import COMPARISONS

    empty = pd.DataFrame({c: pd.Series(dtype="object") for c in COMPARISONS.column_names})
    write_parquet(run_dir / "comparisons.parquet", empty)
    write_csv(run_dir / "comparisons.csv", empty)


def run_compare(config: RunConfig, quiet: bool) -> dict:
    from borderwatch.report.tables import read_claims

    claims_path = config.run_dir / CLAIMS_JSON
    if not read_claims(claims_path):
        _empty_comparisons(config.run_dir)
        return {"claims": 0}
    from borderwatch.claims.compare import compare_run

    table = compare_run(config.run_dir, claims_path, **config.compare.options())
    verdicts = {str(k): int(v) for k, v in table["verdict"].value_counts().items()}
    say("verdicts: " + (", ".join(f"{k} {v}" for k, v in sorted(verdicts.items())) or "none"), quiet)
    return {"verdicts": verdicts}


# --------------------------------------------------------------------------------------------- report


def run_report(config: RunConfig, quiet: bool) -> dict:
    from borderwatch.report.build import build_report

    out = build_report(config.run_dir, config.report_dir, title=config.title, notice=config.notice,
                       pdf=config.outputs.pdf, interactive_map=config.outputs.interactive_map,
                       tz=config.counts.tz, quiet=True)
    return {"index": str(out.index), "pdf": str(out.pdf) if out.pdf else None,
            "map": str(out.map_html) if out.map_html else None, "notes": len(out.notes)}


# ---------------------------------------------------------------------------------------------- driver


def _fingerprints(config: RunConfig, ledger: Ledger, handles: dict, discovery) -> Callable[[str], str]:
    """The fingerprint of each stage, computed when asked (upstream outputs may have just changed)."""
    from borderwatch import __version__

    def upstream(*stages: str) -> dict:
        return {s: ledger.outputs_of(s) for s in stages}

    def fp(stage: str) -> str:
        if stage == "detect":
            return hash_json({
                "detection": config.section("detection"), "engine": config.engine,
                "models": {k: [h.name, h.sha256] for k, h in handles.items()},
                "mapping": file_sha(config.models.mapping) if config.models.mapping else None,
                "inputs": inputs_fingerprint(discovery),
            })
        if stage == "count":
            areas = config.areas.file
            return hash_json({"areas": config.section("areas"), "counts": config.section("counts"),
                              "geojson": config.outputs.geojson,
                              "areas_file": tree_listing([areas], content=True) if areas else None,
                              "cards": model_cards_listing(config),  # calibration reads the cards' metrics
                              "up": upstream("detect"), "version": __version__})
        if stage == "claims":
            return hash_json({"articles": tree_listing(config.articles, content=True),
                              "claims": file_sha(config.claims) if config.claims else None,
                              "version": __version__})
        if stage == "compare":
            return hash_json({"compare": config.section("compare"), "up": upstream("count", "claims"),
                              "version": __version__})
        return hash_json({"outputs": config.section("outputs"), "title": config.title, "notice": config.notice,
                          "up": upstream("detect", "count", "claims", "compare"), "version": __version__})

    return fp


def model_cards_listing(config: RunConfig) -> list:
    """Content hashes of the model cards the registry sees (counting calibrates with them)."""
    from borderwatch.detector.registry import CARD_SUFFIXES, models_dirs

    cards = []
    for folder in models_dirs(config.models.models_dir):
        cards += [p for p in sorted(folder.iterdir()) if p.suffix.lower() in CARD_SUFFIXES and p.is_file()]
    return tree_listing(cards, content=True)


def _frames_failed(run_dir: Path) -> int:
    import pyarrow.parquet as pq

    try:
        status = pq.read_table(run_dir / "frames.parquet", columns=["status"]).column("status").to_pylist()
    except Exception:
        return 0
    return sum(s == "failed" for s in status)


def run_pipeline(
    config_path: str | Path | None = None,
    quiet: bool = False,
    force: bool = False,
    *,
    config: RunConfig | None = None,
    models: dict | None = None,
) -> PipelineResult:
    """Run every stage of ``config_path`` (or an already loaded ``config``) that is not up to date.

    ``models`` maps a frame kind (photo, overhead) to a ready ``ModelHandle`` (for tests and
    notebooks: e.g. ``ModelHandle.from_predictor(stand_in)``), used instead of the config's model.
    Raises ConfigError for config mistakes (nothing is run) and StageFailed when a stage fails.
    """
    if config is None:
        if config_path is None:
            raise ValueError("give config_path or config")
        config = load_config(config_path)
    run_dir = config.run_dir
    run_dir.mkdir(parents=True, exist_ok=True)
    ledger = Ledger.load(run_dir)
    discovery = discover_frames(config)
    if not discovery.frames and not discovery.problems:
        raise config.error("no image files found in the inputs", "inputs")
    handles = model_handles(config, models)
    fingerprint = _fingerprints(config, ledger, handles, discovery)
    actions: dict[str, Callable[[], dict]] = {
        "detect": lambda: run_detect(config, handles, discovery, quiet),
        "count": lambda: run_count(config, quiet),
        "claims": lambda: run_claims(config, quiet),
        "compare": lambda: run_compare(config, quiet),
        "report": lambda: run_report(config, quiet),
    }
    result = PipelineResult(run_dir=run_dir, report=None)
    for stage in STAGES:
        fp = fingerprint(stage)
        if not force and ledger.valid(stage, fp, run_dir) and (stage != "report" or (config.report_dir / "index.html").exists()):
            result.reused.append(stage)
            result.details[stage] = (ledger.stages.get(stage) or {}).get("summary", {})
            say(f"[dim]{stage}: up to date[/dim]", quiet)
            continue
        say(f"[bold]{stage}[/bold] ...", quiet)
        started = time.perf_counter()
        try:
            summary = actions[stage]()
        except ConfigError:
            ledger.failed(stage, fp, "config error")
            raise
        except Exception as exc:
            reason = one_line(exc)
            ledger.failed(stage, fp, reason)
            path = getattr(exc, "path", None)
            raise StageFailed(stage, reason if not path else f"{path}: {reason}") from exc
        outputs = list(OUTPUTS[stage])
        if stage == "report":
            outputs = [str(config.report_dir / "index.html")]
            if summary.get("pdf"):
                outputs.append(summary["pdf"])
        ledger.done(stage, fp, run_dir, outputs, time.perf_counter() - started, summary)
        result.ran.append(stage)
        result.details[stage] = summary
    result.report = config.report_dir / "index.html"
    result.frames_failed = _frames_failed(run_dir)
    return result
