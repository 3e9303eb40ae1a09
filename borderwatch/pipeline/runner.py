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

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from borderwatch.atomic import write_json
from borderwatch.errors import BorderwatchError, ConfigError, one_line
from borderwatch.geoparquet import read_arrow
from borderwatch.pipeline.config import RunConfig, load_config
from borderwatch.pipeline.ledger import STAGES, Ledger, file_sha, hash_json, tree_listing
from borderwatch.pipeline.stages import (
    OUTPUTS,
    discover_frames,
    inputs_fingerprint,
    model_handles,
    run_claims,
    run_compare,
    run_count,
    run_detect,
    run_report,
)
from borderwatch.progress import SILENT, Progress


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
    def articles_failed(self) -> int:
        return int((self.details.get("claims") or {}).get("unreadable", 0))

    @property
    def exit_code(self) -> int:
        """0: every stage done and every input read; 1 (as ``detect``): done, but some frames or
        articles could not be read (see the report and the error lines)."""
        return 1 if self.frames_failed or self.articles_failed else 0


def stage_fingerprints(config: RunConfig, ledger: Ledger, handles: dict, discovery) -> Callable[[str], str]:
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
                          "demo": config.demo,
                          "up": upstream("detect", "count", "claims", "compare"), "version": __version__})

    return fp


def model_cards_listing(config: RunConfig) -> list:
    """Content hashes of the model cards the registry sees (counting calibrates with them)."""
    from borderwatch.detector.registry import CARD_SUFFIXES, models_dirs

    cards = []
    for folder in models_dirs(config.models.models_dir):
        cards += [p for p in sorted(folder.iterdir()) if p.suffix.lower() in CARD_SUFFIXES and p.is_file()]
    return tree_listing(cards, content=True)


def frames_failed(run_dir: Path) -> int:
    try:
        status = read_arrow(run_dir / "frames.parquet", columns=["status"]).column("status").to_pylist()
    except Exception:
        return 0
    return sum(s == "failed" for s in status)


def write_label(config: RunConfig) -> None:
    """RUN_DIR/label.json (``tables.RunLabel``): demo or not, title, notice, read by every rebuild of the report."""
    from borderwatch.tables import RUN_LABEL, RunLabel

    label = RunLabel(demo=config.demo, title=config.title, notice=config.notice)
    write_json(config.run_dir / RUN_LABEL, label.model_dump())


def run_pipeline(
    config_path: str | Path | None = None,
    quiet: bool = False,
    force: bool = False,
    *,
    config: RunConfig | None = None,
    models: dict | None = None,
    trust_weights: bool = False,
    progress: Progress = SILENT,
) -> PipelineResult:
    """Run every stage of ``config_path`` (or an already loaded ``config``) that is not up to date.

    ``models`` maps a frame kind (photo, overhead) to a ready ``ModelHandle`` (for tests and
    notebooks: e.g. ``ModelHandle.from_predictor(stand_in)``), used instead of the config's model.
    Raises ConfigError for config mistakes (nothing is run) and StageFailed when a stage fails.
    ``trust_weights`` is the user's ``--trust-weights``: a config file cannot set it. ``progress``
    hears what is being done (``quiet``: nothing, and no bars); problems are warnings.
    """
    progress = SILENT if quiet else progress
    if config is None:
        if config_path is None:
            raise ValueError("give config_path or config")
        config = load_config(config_path)
    config.models.trust_weights = trust_weights  # not validated: the file's value is refused, this is the CLI's
    run_dir = config.run_dir
    run_dir.mkdir(parents=True, exist_ok=True)
    write_label(config)  # first: a demo folder says so even when a later stage fails
    ledger = Ledger.load(run_dir)
    discovery = discover_frames(config)
    if not discovery.frames and not discovery.problems:
        raise config.error("no image files found in the inputs", "inputs")
    handles = model_handles(config, models)
    fingerprint = stage_fingerprints(config, ledger, handles, discovery)
    actions: dict[str, Callable[[], dict]] = {
        "detect": lambda: run_detect(config, handles, discovery, quiet, progress),
        "count": lambda: run_count(config, progress),
        "claims": lambda: run_claims(config, progress),
        "compare": lambda: run_compare(config, progress),
        "report": lambda: run_report(config),
    }
    result = PipelineResult(run_dir=run_dir, report=None)
    for stage in STAGES:
        fp = fingerprint(stage)
        if not force and ledger.valid(stage, fp, run_dir) and (stage != "report" or (config.report_dir / "index.html").exists()):
            result.reused.append(stage)
            result.details[stage] = (ledger.stages.get(stage) or {}).get("summary", {})
            progress.note(f"[dim]{stage}: up to date[/dim]")
            continue
        progress.note(f"[bold]{stage}[/bold] ...")
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
    result.frames_failed = frames_failed(run_dir)
    return result
