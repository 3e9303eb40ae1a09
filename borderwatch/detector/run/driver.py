"""The ``detect`` driver: frames in, ``detections.parquet``, ``frames.parquet`` and ``run.json`` out.

Resuming: each frame's raw detections are committed, as soon as the frame is done, to its part
(``borderwatch.detector.run.parts``). The params hash covers the model's sha256 and every setting
that changes what the model sees or keeps, so rerunning the same command skips finished frames,
while a new threshold or model reruns them. The final tables are rebuilt from the parts at the
end; ``run.json`` is removed before and written after them, so a run folder without ``run.json``
is one whose tables are being (re)written.
"""

from __future__ import annotations

import sys
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from borderwatch.atomic import write_json
from borderwatch.cli_common import error as print_error
from borderwatch.cli_common import make_progress, say
from borderwatch.detector.exif import zone
from borderwatch.detector.frames import discover
from borderwatch.detector.run.config import DetectConfig
from borderwatch.detector.run.engines import engine_for
from borderwatch.detector.run.model import ModelHandle, resolve_model_handle
from borderwatch.detector.run.parts import PARTS_DIR, RUN_JSON, part_names, remove_stale_temporaries
from borderwatch.detector.run.runner import FrameResult, FrameRunner, gdal_cache, problem_result, unique_ids
from borderwatch.detector.run.tables import build_tables
from borderwatch.detector.thresholds import ClassMerge, ClassThresholds, output_classes
from borderwatch.errors import BorderwatchError, ConfigError, one_line, warn_input
from borderwatch.geoparquet import write_arrow
from borderwatch.tables import DETECTIONS, FRAMES, KindSettings
from borderwatch.taxonomy import ClassMapping, load_mapping_file


@dataclass
class DetectSummary:
    out_dir: Path
    params_hash: str
    frames: int = 0
    ok: int = 0
    failed: int = 0
    skipped: int = 0
    resumed: int = 0
    computed: int = 0
    detections: int = 0
    dropped: Counter = field(default_factory=Counter)
    failures: list[tuple[str, str]] = field(default_factory=list)  # (path, reason)

    @property
    def exit_code(self) -> int:
        """0 when every frame succeeded (skipped files do not count), 1 when any failed."""
        return 1 if self.failed else 0


class RunInterrupted(BorderwatchError):
    """The run stopped before every frame was tried; finished frames are kept for a rerun."""


def _now() -> datetime:
    return datetime.now(UTC)


def _versions() -> dict[str, str | None]:
    from importlib import metadata

    import borderwatch

    out: dict[str, str | None] = {"python": sys.version.split()[0], "borderwatch": borderwatch.__version__}
    for dist in ("ultralytics", "torch", "openvino", "onnxruntime", "rasterio", "numpy", "pillow", "pyproj"):
        try:
            out[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            out[dist] = None
    try:
        import rasterio

        out["gdal"] = rasterio.__gdal_version__
    except ImportError:
        out["gdal"] = None
    return out


def _class_names(model: ModelHandle) -> dict[str, str] | None:
    names = model.predictor.names if model.loaded else model.remote_names
    return None if names is None else {str(k): v for k, v in names.items()}


def detect(
    inputs: Sequence[str | Path],
    out_dir: str | Path,
    config: DetectConfig,
    quiet: bool = False,
    model: ModelHandle | None = None,
) -> DetectSummary:
    """Detect vehicles in every frame named by ``inputs`` (and ``config.manifests``) into ``out_dir``.

    Raises ConfigError (and ModelNotFoundError, UntrustedWeightsError) for usage problems before any
    frame is read, and when another process is writing ``out_dir``; RunInterrupted when the model
    itself fails mid-run (finished frames are kept); KeyboardInterrupt (saying what was kept) on
    Ctrl-C. Bad frames do not raise: they are failed rows in frames.parquet and in the summary.
    """
    import contextlib

    from borderwatch.atomic import folder_lock

    with contextlib.ExitStack() as stack:
        return _detect(inputs, out_dir, config, quiet, model,
                       lambda: stack.enter_context(folder_lock(out_dir, "borderwatch detect")))


def _detect(inputs, out_dir, config: DetectConfig, quiet: bool, model: ModelHandle | None, lock) -> DetectSummary:
    started = _now()
    clock = time.perf_counter()
    out_dir = Path(out_dir)
    tz = zone(config.tz)
    discovery = discover(inputs, config.manifests, config.kind, tz)
    if not discovery.frames and not discovery.problems:
        raise ConfigError("no input frames: give image files, folders, patterns or a manifest")
    mapping_overrides = load_mapping_file(config.class_map) if config.class_map else None
    if model is None:
        model = resolve_model_handle(config)
    mapping = model.mapping.with_overrides(mapping_overrides) if mapping_overrides else model.mapping
    config = config.for_card(model.card)  # the card's tile, threshold and GSD where the user set none

    lock()  # from here on this process writes out_dir; a second one is refused, not interleaved
    (out_dir / PARTS_DIR).mkdir(exist_ok=True)
    remove_stale_temporaries(out_dir)
    runner = FrameRunner(out_dir, config, model, quiet)
    for message in discovery.warnings:
        warn_input(message)
    results: list[FrameResult] = []
    for problem in discovery.problems:
        if problem.status == "skipped":
            warn_input(f"{problem.path}: {problem.reason}")
        else:
            print_error(f"{problem.path}: {problem.reason}")
        results.append(problem_result(problem))

    frame_results = _run_frames(runner, discovery.frames, out_dir, quiet)
    if runner.naive_times:
        say(
            f"note: {runner.naive_times} photo(s) have EXIF times without a zone, read as {config.tz} (see --tz)",
            quiet,
        )
    results = unique_ids(frame_results + results)
    summary = DetectSummary(out_dir, runner.params_hash)
    detections, frames, dropped_by_frame = build_tables(results, mapping, model.name, runner.params_hash)
    _summarise(summary, results, detections.num_rows, dropped_by_frame)
    missing_time = [r.frame.source_path for r in frame_results if r.status == "ok" and r.frame.captured_at is None]
    if missing_time:
        warn_input(
            f"{len(missing_time)} frame(s) have no capture time (no manifest time, EXIF or TIFF tag), e.g. "
            f"{missing_time[0]}; counts over time will leave them out"
        )

    (out_dir / RUN_JSON).unlink(missing_ok=True)  # from here until it is rewritten the tables are in flux
    write_arrow(out_dir / DETECTIONS.name, detections)
    write_arrow(out_dir / FRAMES.name, frames)
    run_info = _run_info(summary, results, model, mapping, config)
    run_info.update(
        started_at=started.isoformat(),
        finished_at=_now().isoformat(),
        seconds=round(time.perf_counter() - clock, 3),
        inputs=[str(i) for i in inputs],
    )
    write_json(out_dir / RUN_JSON, {key: run_info[key] for key in _RUN_JSON_ORDER})
    return summary


def _run_frames(runner: FrameRunner, frames: list, out_dir: Path, quiet: bool) -> list[FrameResult]:
    """The frames through the configured engine; a failure of the model or machine (not of a frame)
    becomes RunInterrupted, with the finished frames kept for a rerun."""
    frame_results: list[FrameResult] = []
    engine = engine_for(runner.config)
    try:
        with gdal_cache(runner.config.gdal_cache_mb), make_progress(quiet) as progress:
            task = progress.add_task("frames", total=len(frames))
            engine.run(runner, frames, frame_results, lambda: progress.advance(task), progress)
    except ConfigError:
        raise
    except KeyboardInterrupt:
        done = sum(r.status == "ok" for r in frame_results)
        raise KeyboardInterrupt(
            f"{out_dir}: interrupted (Ctrl-C) after {len(frame_results)} of {len(frames)} frames ({done} done and "
            "kept); rerun the same command to resume"
        ) from None
    except Exception as exc:  # the model or the machine failed, not a frame: stop, keep what is done
        done = sum(r.status == "ok" for r in frame_results)
        raise RunInterrupted(
            f"run interrupted after {len(frame_results)} of {len(frames)} frames ({done} done and kept): "
            f"{one_line(exc)}; rerun the same command to resume",
            out_dir,
        ) from exc
    return frame_results


def _summarise(summary: DetectSummary, results: list[FrameResult], n_detections: int, dropped_by_frame) -> None:
    summary.dropped = sum(dropped_by_frame.values(), Counter())
    summary.frames = len(results)
    summary.ok = sum(r.status == "ok" for r in results)
    summary.failed = sum(r.status == "failed" for r in results)
    summary.skipped = sum(r.status == "skipped" for r in results)
    summary.resumed = sum(r.resumed for r in results)
    summary.computed = sum(r.status == "ok" and not r.resumed for r in results)
    summary.detections = n_detections
    summary.failures = [(r.frame.source_path, r.error or "") for r in results if r.status == "failed"]


_RUN_JSON_ORDER = (
    "status", "started_at", "finished_at", "seconds", "inputs", "config", "params_hash", "model",
    "kinds", "versions", "frames", "detections", "dropped", "tiles",
)


def _run_info(summary: DetectSummary, results: list[FrameResult], model: ModelHandle, mapping: ClassMapping,
              config: DetectConfig) -> dict:
    """run.json's content but the times and inputs."""
    tiles: Counter = Counter()
    for r in results:
        if r.stats is not None:
            tiles.update({k: v for k, v in asdict(r.stats).items() if isinstance(v, int)})
    return {
        "status": "complete" if summary.failed == 0 else "complete_with_failures",
        "config": config.model_dump(mode="json"),
        "params_hash": summary.params_hash,
        "model": {
            "name": model.name,
            "path": model.path,
            "format": model.format,
            "sha256": model.sha256,
            "origin": model.origin,
            "class_mapping": mapping.source,
            "classes": _class_names(model),
        },
        "kinds": {kind: settings.model_dump(mode="json")
                  for kind, settings in _kind_settings(results, model, config, mapping).items()},
        "versions": _versions(),
        "frames": {
            "total": summary.frames,
            "ok": summary.ok,
            "failed": summary.failed,
            "skipped": summary.skipped,
            "resumed": summary.resumed,
            "computed": summary.computed,
        },
        "detections": summary.detections,
        "dropped": dict(sorted(summary.dropped.items())),
        "tiles": dict(tiles),
    }


def _kind_settings(results: list[FrameResult], model: ModelHandle, config: DetectConfig,
                   mapping: ClassMapping | None = None) -> dict[str, KindSettings]:
    """Per frame kind in the run, the model and the slicing its detections were made with (run.json
    ``kinds``; ``RunManifest`` in borderwatch.tables): what ``count`` calibrates each row with, and
    the classes the model can output (count makes rows for those only)."""
    s = config.slicing.resolved()
    predictor = model.predictor if model.loaded else None
    card = model.card
    thresholds = model.thresholds or ClassThresholds(float(s.conf))
    merges = model.merges or ClassMerge(s.merge)
    names = predictor.names if predictor is not None else model.remote_names
    if names is None:  # every frame resumed: the names the parts were written with
        names = next((n for r in results if r.status == "ok" and r.part is not None
                      for n in [part_names(r.part)] if n), None)
    classes = output_classes(mapping or model.mapping, names)
    out: dict[str, KindSettings] = {}
    for kind in ("photo", "overhead"):
        frames = [r.frame for r in results if r.status == "ok" and r.frame.kind == kind]
        if not frames:
            continue
        windows = sorted({config.params_for(f).tile_size for f in frames})
        out[kind] = KindSettings(
            model=model.name,
            card=card.name if card is not None else None,
            card_path=_card_path(card, config),
            weights=model.path,
            weights_sha256=model.sha256,
            task=(card.task if card is not None else None) or getattr(predictor, "task", None) or "detect",
            runtime=getattr(predictor, "runtime", None) or config.runtime,
            tile=s.tile_size,
            overlap=s.overlap,
            conf=s.conf if thresholds.uniform else thresholds.default,
            conf_per_class=thresholds.exceptions,
            merge=s.merge,
            merge_per_class=merges.exceptions,
            classes=classes,
            gsd_m=(s.model_gsd_m or None) if kind == "overhead" else None,  # photos are never resampled
            window_px=windows,
            frames=len(frames),
        )
    return out


def _card_path(card, config: DetectConfig) -> str | None:
    """Where the run's model card lies (the registry folder it was found in)."""
    if card is None:
        return None
    from borderwatch.detector.registry import list_models

    for entry in list_models(config.models_dir):
        if entry.card.name == card.name and entry.card.sha256 == card.sha256:
            return str(entry.card_path)
    return None
