"""A detection run: frames in, ``detections.parquet``, ``frames.parquet`` and ``run.json`` out.

Resuming: each frame's raw detections are committed, as soon as the frame is done, to
``parts/<frame_id>-<params_hash>.parquet`` (atomically: a file there is always complete). The
params hash covers the model's sha256 and every setting that changes what the model sees or keeps,
so rerunning the same command skips finished frames, while a new threshold or model reruns them.
A frame that fails leaves ``parts/<frame_id>-<params_hash>.failed.json`` and is retried next time.
The final tables are rebuilt from the parts at the end; ``run.json`` is removed before and written
after them, so a run folder without ``run.json`` is one whose tables are being (re)written.

Parts keep every source class the model reported; the taxonomy mapping is applied when the tables
are built, so a changed ``--class-map`` does not need the model again.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, model_validator

from borderwatch.atomic import atomic_path, write_json
from borderwatch.cli_common import error as print_error
from borderwatch.cli_common import make_progress, say, warn
from borderwatch.detector.exif import zone
from borderwatch.detector.frames import (
    Frame,
    FrameInput,
    InputProblem,
    OpenedFrame,
    discover,
    frame_id_of,
    open_frame,
    placeholder_id,
    resolve_kind,
)
from borderwatch.detector.sliced import SliceParams, SliceStats, detect_source
from borderwatch.detector.taxonomy import ClassMapping, load_mapping_file
from borderwatch.detector.types import Detections, Predictor
from borderwatch.errors import BorderwatchError, ConfigError, InputError, one_line
from borderwatch.tables import DETECTIONS, FRAMES, Table

READER_VERSION = "1"
"""Part of the params hash: bump when reading or stretching pixels changes what the model sees."""

PARTS_DIR = "parts"
RUN_JSON = "run.json"
TILE_BAR_MIN_WINDOWS = 16  # a frame with fewer tiles than this gets no bar of its own


class DetectConfig(BaseModel):
    """Everything a ``detect`` run depends on; stored in run.json."""

    model_config = ConfigDict(extra="forbid")

    model: str = Field(description="model path or registry name")
    models_dir: Path | None = Field(None, description="extra local models folder, searched first")
    allow_download: bool = True
    trust_weights: bool = Field(False, description="load pickle weights whose sha256 no card lists")
    device: str = Field("auto", description="auto, cpu, cuda, cuda:0, mps")
    runtime: Literal["auto", "native", "openvino", "openvino-int8", "onnx"] = Field(
        "auto",
        description="auto exports .pt weights to OpenVINO once on a CPU (int8 when a cached int8 export matched FP32)",
    )
    calibration: list[Path] = Field(
        default_factory=list,
        description="images or folders an int8 export is calibrated on the first time (runtime openvino-int8)",
    )
    slicing: SliceParams = Field(default_factory=SliceParams)
    full_frame: bool = Field(False, description="photos as one tile scaled to the model input, not sliced")
    kind: Literal["auto", "photo", "overhead"] = Field("auto", description="for frames a manifest does not type")
    manifests: list[Path] = Field(default_factory=list)
    class_map: Path | None = Field(None, description="YAML/JSON {source_class: taxonomy_class|null} overrides")
    tz: str = Field("UTC", description="time zone of EXIF/manifest/TIFF times that carry no offset")
    max_photo_megapixels: float = Field(400.0, gt=0, description="larger photos are refused (decompression bombs)")
    gdal_cache_mb: int = Field(
        64, ge=8, description="GDAL block cache while reading rasters; bounds memory whatever the raster size"
    )
    engine: Literal["local", "ray"] = Field(
        "local", description="local: frames one after another in this process; ray: one model per Ray worker"
    )
    ray_address: str | None = Field(None, description="a running Ray cluster (engine ray); default: start a local one")
    ray_workers: int | None = Field(None, ge=1, description="Ray workers, one model each; default: one per CPU")
    predictor_factory: str | None = Field(
        None,
        description="'module:callable' called with this config that returns a Predictor; replaces the "
        "weights lookup (custom detectors, stand-ins); `model` then only names it",
    )

    @model_validator(mode="after")
    def _ray_options_need_ray(self) -> DetectConfig:
        if self.engine != "ray" and (self.ray_address or self.ray_workers):
            raise ValueError("ray_address and ray_workers need engine 'ray'")
        return self

    def params_hash(self, model_sha256: str) -> str:
        """The resume key: model bytes, runtime, slicing parameters, full-frame mode and reader version.

        The runtime is part of it because an int8 export (or another runtime's numerics) gives
        slightly different boxes: a resumed run must not mix frames detected by different runtimes.
        """
        return self.slicing.params_hash(
            model_sha256, f"runtime={self.runtime}", f"full_frame={self.full_frame}", f"reader={READER_VERSION}"
        )

    def params_for(self, frame: Frame) -> SliceParams:
        if self.full_frame and frame.kind == "photo" and frame.width and frame.height:
            return self.slicing.model_copy(update={"tile_size": max(frame.width, frame.height), "overlap": 0.0})
        return self.slicing


@dataclass
class ModelHandle:
    """A resolved model whose predictor is loaded only when a frame actually needs it."""

    name: str
    sha256: str
    mapping: ClassMapping
    loader: Callable[[], Predictor]
    format: str = "unknown"
    path: str | None = None
    origin: str = "path"
    _predictor: Predictor | None = field(default=None, repr=False)
    remote_names: dict[int, str] | None = None  # class names a remote worker's copy of the model reported

    @property
    def loaded(self) -> bool:
        return self._predictor is not None

    @property
    def predictor(self) -> Predictor:
        if self._predictor is None:
            try:
                self._predictor = self.loader()
            except BorderwatchError as exc:  # the model, not a frame, is at fault: stop the run
                raise ModelLoadError(f"cannot load model {self.name!r}: {exc.reason}", exc.path) from exc
        return self._predictor

    @classmethod
    def from_predictor(
        cls, predictor: Predictor, name: str = "stand-in", mapping: ClassMapping | None = None, sha256: str | None = None
    ) -> ModelHandle:
        """Wrap an in-memory predictor (tests, notebooks); its hash covers its name and class names."""
        import hashlib

        from borderwatch.detector.taxonomy import guess_mapping

        digest = sha256 or hashlib.sha256(json.dumps([name, sorted(predictor.names.items())]).encode()).hexdigest()
        return cls(name, digest, mapping or guess_mapping(()), lambda: predictor, "in-memory", None, "memory", predictor)


def import_factory(spec: str) -> Callable:
    """The callable named by ``'module:callable'`` (``module:Class.method`` works too)."""
    import importlib

    module_name, sep, attr = spec.partition(":")
    if not sep or not module_name.strip() or not attr.strip():
        raise ConfigError(f"predictor factory must read 'module:callable', got {spec!r}")
    try:
        obj = importlib.import_module(module_name.strip())
    except ImportError as exc:
        raise ConfigError(f"cannot import {module_name!r} for the predictor factory: {one_line(exc)}") from exc
    for part in attr.strip().split("."):
        try:
            obj = getattr(obj, part)
        except AttributeError:
            raise ConfigError(f"predictor factory {spec!r}: {module_name} has no {attr!r}") from None
    if not callable(obj):
        raise ConfigError(f"predictor factory {spec!r} is not callable")
    return obj


@dataclass(frozen=True)
class FactoryLoader:
    """Builds the predictor of a ``predictor_factory`` where it runs (here, or in a Ray worker)."""

    spec: str
    config: DetectConfig

    def __call__(self) -> Predictor:
        predictor = import_factory(self.spec)(self.config)
        if not isinstance(predictor, Predictor):
            raise ConfigError(
                f"predictor factory {self.spec!r} returned {type(predictor).__name__}, which has no names/predict"
            )
        return predictor


def factory_model_handle(config: DetectConfig) -> ModelHandle:
    """A model made by ``config.predictor_factory``; its resume key covers the spec, the model name
    and the bytes of the factory's module, so editing the factory recomputes the frames."""
    import hashlib
    import importlib

    from borderwatch.detector.taxonomy import guess_mapping

    spec = config.predictor_factory or ""
    import_factory(spec)  # fail now, with a clear message, rather than in a worker
    module = importlib.import_module(spec.partition(":")[0].strip())
    source = getattr(module, "__file__", None)
    digest = hashlib.sha256(json.dumps(["factory", spec, config.model]).encode())
    if source and Path(source).is_file():
        digest.update(Path(source).read_bytes())
    return ModelHandle(
        config.model, digest.hexdigest(), guess_mapping(()), FactoryLoader(spec, config), "factory", source, "factory"
    )


def resolve_model_handle(config: DetectConfig) -> ModelHandle:
    if config.predictor_factory:
        return factory_model_handle(config)
    from borderwatch.detector.registry import resolve_model

    resolved = resolve_model(
        config.model, models_dir=config.models_dir, allow_download=config.allow_download, trust_weights=config.trust_weights
    )

    def load() -> Predictor:
        from borderwatch.detector.predictor import load_predictor

        return load_predictor(
            resolved,
            config.slicing,
            device=config.device,
            imgsz=config.slicing.tile_size,
            runtime=config.runtime,
            calibration=config.calibration or None,
        )

    return ModelHandle(
        resolved.name, resolved.sha256, resolved.mapping, load, resolved.format, str(resolved.path), resolved.origin
    )


@dataclass
class FrameResult:
    frame: Frame
    status: str  # ok, failed, skipped
    error: str | None = None
    part: Path | None = None
    resumed: bool = False
    stats: SliceStats | None = None


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


class ModelLoadError(ConfigError):
    """The model resolved but could not be loaded; no frame is to blame."""


class RunInterrupted(BorderwatchError):
    """The run stopped before every frame was tried; finished frames are kept for a rerun."""


# ------------------------------------------------------------------------------------------------ parts


def part_path(out_dir: Path, frame_id: str, params_hash: str) -> Path:
    return out_dir / PARTS_DIR / f"{frame_id}-{params_hash}.parquet"


def failure_path(out_dir: Path, frame_id: str, params_hash: str) -> Path:
    return out_dir / PARTS_DIR / f"{frame_id}-{params_hash}.failed.json"


def write_part(path: Path, dets: Detections, names: dict[int, str], frame: Frame, stats: SliceStats | None) -> None:
    """A frame's raw detections (all source classes), best first, with the frame's computed metadata."""
    import pyarrow as pa
    import pyarrow.parquet as pq
    import shapely

    boxes = np.asarray(dets.boxes, np.float32).reshape(-1, 4)
    order = np.lexsort((boxes[:, 0], boxes[:, 1], -np.asarray(dets.scores, np.float64)))
    boxes, scores, classes = boxes[order], np.asarray(dets.scores, np.float32)[order], dets.class_ids[order]
    table = pa.table(
        {
            "source_class": pa.array([names.get(int(c), str(int(c))) for c in classes], pa.string()),
            "score": pa.array(scores, pa.float32()),
            "x_min": pa.array(boxes[:, 0], pa.float32()),
            "y_min": pa.array(boxes[:, 1], pa.float32()),
            "x_max": pa.array(boxes[:, 2], pa.float32()),
            "y_max": pa.array(boxes[:, 3], pa.float32()),
        }
    )
    meta = {
        "frame_id": frame.frame_id,
        "width": frame.width,
        "height": frame.height,
        "footprint_wkb": None if frame.footprint is None else shapely.to_wkb(frame.footprint, hex=True),
        "stats": None if stats is None else {k: v for k, v in asdict(stats).items() if k != "batch_sizes"},
        "written_at": datetime.now(UTC).isoformat(),
    }
    table = table.replace_schema_metadata({b"borderwatch": json.dumps(meta).encode()})
    with atomic_path(path) as tmp:
        pq.write_table(table, tmp)


def read_part(path: Path):
    """The part's table and metadata; raises on a damaged file (the frame is then recomputed)."""
    import pyarrow.parquet as pq

    table = pq.read_table(path)
    meta = json.loads((table.schema.metadata or {}).get(b"borderwatch", b"{}"))
    return table, meta


# ------------------------------------------------------------------------------------------------- run


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


class _Runner:
    def __init__(self, out_dir: Path, config: DetectConfig, model: ModelHandle, quiet: bool):
        self.out_dir = out_dir
        self.config = config
        self.model = model
        self.quiet = quiet
        self.tz = zone(config.tz)
        self.params_hash = config.params_hash(model.sha256)
        self.seen: dict[str, str] = {}  # frame_id -> path of its first occurrence
        self.naive_times = 0

    def fail(self, frame: Frame, exc: BaseException) -> FrameResult:
        """Record a frame that cannot be used: printed, a failure record in parts/, a failed row."""
        reason = one_line(exc)
        print_error(f"{frame.source_path}: {reason}")
        try:
            write_json(
                failure_path(self.out_dir, frame.frame_id, self.params_hash),
                {"frame_id": frame.frame_id, "source_path": frame.source_path, "error": reason, "at": _now().isoformat()},
            )
        except OSError:
            pass  # the failure is still reported in frames.parquet
        return FrameResult(frame, "failed", reason)

    def process(self, fi: FrameInput, progress) -> FrameResult:
        """Run one frame here (the local engine): prepare, detect, commit."""
        prepared = self.prepare(fi)
        if isinstance(prepared, FrameResult):
            return prepared
        frame, opened = prepared.frame, prepared.opened
        try:
            stats = SliceStats()
            dets = compute_detections(
                frame, opened.source, lambda: self.model.predictor, self.config.params_for(frame), stats, progress
            )
            return self.commit(frame, dets, self.model.predictor.names if len(dets) else {}, stats)
        except InputError as exc:
            return self.fail(frame, exc)
        finally:
            opened.close()

    def prepare(self, fi: FrameInput) -> FrameResult | PreparedFrame:
        """Identify and open a frame: a finished FrameResult (failed, duplicate, resumed from its part),
        or the opened frame still to detect in (its caller closes it)."""
        bare = Frame(placeholder_id(fi.path, fi.origin), str(fi.path), resolve_kind(fi), fi.captured_at, fi.area, fi.lon, fi.lat)
        try:
            bare.frame_id = frame_id_of(fi.path)
            empty = fi.path.stat().st_size == 0
        except FileNotFoundError:
            listed = f" (listed in {fi.origin})" if fi.from_manifest else ""
            return self.fail(bare, InputError(f"no such file{listed}", fi.path))
        except OSError as exc:
            return self.fail(bare, InputError(f"cannot read: {exc.strerror or exc}", fi.path))
        if empty:  # every empty file has the same hash, yet they are not copies of each other
            return self.fail(bare, InputError("empty file (0 bytes)", fi.path))
        if bare.frame_id in self.seen:
            reason = f"same content as {self.seen[bare.frame_id]} (frame {bare.frame_id}); counted once"
            warn(f"{fi.path}: {reason}")
            return FrameResult(bare, "skipped", reason)
        self.seen[bare.frame_id] = str(fi.path)

        try:
            opened = open_frame(fi, bare.frame_id, self.tz, int(self.config.max_photo_megapixels * 1e6))
        except (InputError, OSError) as exc:
            return self.fail(bare, exc if isinstance(exc, InputError) else InputError(one_line(exc), fi.path))
        frame = opened.frame
        handed_over = False
        try:
            for message in opened.warnings:
                warn(message)
            exif = getattr(opened.source, "exif", None)
            if fi.captured_at is None and exif is not None and exif.captured_at is not None and exif.time_was_naive:
                self.naive_times += 1
            part = part_path(self.out_dir, frame.frame_id, self.params_hash)
            if part.exists():
                try:
                    _, meta = read_part(part)
                    if meta.get("footprint_wkb"):
                        import shapely

                        frame.footprint = shapely.from_wkb(meta["footprint_wkb"])
                    # a run killed between writing the part and clearing an old failure leaves both
                    failure_path(self.out_dir, frame.frame_id, self.params_hash).unlink(missing_ok=True)
                    return FrameResult(frame, "ok", part=part, resumed=True)
                except Exception as exc:  # a damaged part is recomputed, not trusted
                    warn(f"{part}: unreadable part recomputed ({one_line(exc)})")
            handed_over = True
            return PreparedFrame(fi, frame, opened)
        finally:
            if not handed_over:
                opened.close()

    def commit(
        self, frame: Frame, dets: Detections, names: dict[int, str], stats: SliceStats | None
    ) -> FrameResult:
        """Write a computed frame's part (atomically: from now on the frame is done) and clear its
        failure record."""
        part = part_path(self.out_dir, frame.frame_id, self.params_hash)
        write_part(part, dets, names, frame, stats)
        failure_path(self.out_dir, frame.frame_id, self.params_hash).unlink(missing_ok=True)
        return FrameResult(frame, "ok", part=part, stats=stats)


@dataclass
class PreparedFrame:
    """A frame opened by ``_Runner.prepare`` whose detections are still to compute."""

    fi: FrameInput
    frame: Frame
    opened: OpenedFrame


def compute_detections(
    frame: Frame,
    source,
    predictor: Callable[[], Predictor],
    params: SliceParams,
    stats: SliceStats | None = None,
    progress=None,
) -> Detections:
    """A frame's merged detections; fills ``frame.footprint`` for georeferenced frames.

    ``predictor`` is called only when a tile needs the model (an all-nodata raster does not), so a
    lazily loaded model stays unloaded. ``progress`` is an optional rich Progress for a tile bar.
    Raises InputError when the frame's pixels cannot be read.
    """
    from borderwatch.detector.tiling import count_windows

    if frame.georeferenced:
        frame.footprint = source.footprint  # also fixes the stretch, before the reader thread starts
    elif hasattr(source, "stretch"):
        _ = source.stretch
    if frame.footprint is not None and frame.footprint.is_empty:
        return Detections.empty()  # all nodata: nothing to read
    total = count_windows(source.width, source.height, params.tile_size, params.overlap)
    task = None
    if progress is not None and total >= TILE_BAR_MIN_WINDOWS:
        task = progress.add_task(f"  tiles of {Path(frame.source_path).name}", total=total)

    def on_progress(done: int, _total: int) -> None:
        if task is not None:
            progress.update(task, completed=done)

    try:
        return detect_source(source, predictor(), params, progress=on_progress, stats=stats)
    finally:
        if task is not None:
            progress.remove_task(task)


def _class_names(model: ModelHandle) -> dict[str, str] | None:
    names = model.predictor.names if model.loaded else model.remote_names
    return None if names is None else {str(k): v for k, v in names.items()}


def remove_stale_temporaries(out_dir: Path) -> list[Path]:
    """Delete the temporary files of writes that a killed run left half done.

    ``atomic_path`` writes ``.<name>.<random>.part`` beside its target and renames it when complete,
    so these files are never mistaken for results; a process killed mid-write (SIGKILL, power loss)
    cannot remove its own, so the next run does.
    """
    removed = []
    ours = [out_dir.glob(f".{name}.*.part") for name in (DETECTIONS.name, FRAMES.name, RUN_JSON)]
    for tmp in [*(out_dir / PARTS_DIR).glob(".*.part"), *(p for found in ours for p in found)]:
        try:
            tmp.unlink()
            removed.append(tmp)
        except OSError:
            pass
    return removed


def _problem_result(problem: InputProblem) -> FrameResult:
    try:
        fid = frame_id_of(problem.path) if problem.path.is_file() else placeholder_id(problem.path, problem.reason)
    except OSError:
        fid = placeholder_id(problem.path, problem.reason)
    kind = "overhead" if problem.path.suffix.lower() in (".tif", ".tiff") else "photo"
    return FrameResult(Frame(fid, str(problem.path), kind), problem.status, problem.reason)


def _gdal_cache(megabytes: int):
    """A fixed GDAL block cache for the run, unless the user exported GDAL_CACHEMAX.

    GDAL's default is 5% of RAM and fills as a big raster is read, so memory would grow with the
    raster; a fixed cache still keeps the blocks that neighbouring tiles share. rasterio.Env hands
    the value to GDALSetCacheMax64, which takes bytes.
    """
    if "GDAL_CACHEMAX" in os.environ:
        return contextlib.nullcontext()
    import rasterio

    return rasterio.Env(GDAL_CACHEMAX=megabytes * 2**20)


def _unique_ids(results: list[FrameResult]) -> list[FrameResult]:
    """frame_id is the frames table's key: a second row with the same bytes (a skipped copy, a bad
    manifest row for a file that also ran) gets an id of its own; its error names the original."""
    owners = {r.frame.frame_id for r in results if r.status == "ok"}
    taken: set[str] = set()
    for r in sorted(results, key=lambda r: r.status != "ok"):
        fid = r.frame.frame_id
        if fid in taken or (r.status != "ok" and fid in owners):
            r.frame.frame_id = placeholder_id(r.frame.source_path, f"{fid}:{r.error}")
        taken.add(r.frame.frame_id)
    return results


def detect(
    inputs: Sequence[str | Path],
    out_dir: str | Path,
    config: DetectConfig,
    quiet: bool = False,
    model: ModelHandle | None = None,
) -> DetectSummary:
    """Detect vehicles in every frame named by ``inputs`` (and ``config.manifests``) into ``out_dir``.

    Raises ConfigError (and ModelNotFoundError, UntrustedWeightsError) for usage problems before any
    frame is read; RunInterrupted when the model itself fails mid-run (finished frames are kept).
    Bad frames do not raise: they are failed rows in frames.parquet and in the summary.
    """
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

    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / PARTS_DIR).mkdir(exist_ok=True)
    remove_stale_temporaries(out_dir)
    runner = _Runner(out_dir, config, model, quiet)
    for message in discovery.warnings:
        warn(message)
    results: list[FrameResult] = []
    for problem in discovery.problems:
        if problem.status == "skipped":
            warn(f"{problem.path}: {problem.reason}")
        else:
            print_error(f"{problem.path}: {problem.reason}")
        results.append(_problem_result(problem))

    frame_results: list[FrameResult] = []
    try:
        with _gdal_cache(config.gdal_cache_mb), make_progress(quiet) as progress:
            task = progress.add_task("frames", total=len(discovery.frames))
            if config.engine == "ray":
                from borderwatch.detector.engine_ray import run_on_ray

                run_on_ray(runner, discovery.frames, frame_results, lambda: progress.advance(task))
            else:
                for fi in discovery.frames:
                    frame_results.append(runner.process(fi, progress))
                    progress.advance(task)
    except ConfigError:
        raise
    except Exception as exc:  # the model or the machine failed, not a frame: stop, keep what is done
        done = sum(r.status == "ok" for r in frame_results)
        raise RunInterrupted(
            f"run interrupted after {len(frame_results)} of {len(discovery.frames)} frames ({done} done and kept): "
            f"{one_line(exc)}; rerun the same command to resume",
            out_dir,
        ) from exc

    if runner.naive_times:
        say(
            f"note: {runner.naive_times} photo(s) have EXIF times without a zone, read as {config.tz} (see --tz)",
            quiet,
        )
    results = _unique_ids(frame_results + results)
    summary = DetectSummary(out_dir, runner.params_hash)
    detections, frames, dropped_by_frame = build_tables(results, mapping, model.name, runner.params_hash)
    summary.dropped = sum(dropped_by_frame.values(), Counter())
    summary.frames = len(results)
    summary.ok = sum(r.status == "ok" for r in results)
    summary.failed = sum(r.status == "failed" for r in results)
    summary.skipped = sum(r.status == "skipped" for r in results)
    summary.resumed = sum(r.resumed for r in results)
    summary.computed = sum(r.status == "ok" and not r.resumed for r in results)
    summary.detections = detections.num_rows
    summary.failures = [(r.frame.source_path, r.error or "") for r in results if r.status == "failed"]
    missing_time = [r.frame.source_path for r in frame_results if r.status == "ok" and r.frame.captured_at is None]
    if missing_time:
        warn(
            f"{len(missing_time)} frame(s) have no capture time (no manifest time, EXIF or TIFF tag), e.g. "
            f"{missing_time[0]}; counts over time will leave them out"
        )

    (out_dir / RUN_JSON).unlink(missing_ok=True)  # from here until it is rewritten the tables are in flux
    _write_table(out_dir / DETECTIONS.name, detections)
    _write_table(out_dir / FRAMES.name, frames)
    tiles = Counter()
    for r in results:
        if r.stats is not None:
            tiles.update({k: v for k, v in asdict(r.stats).items() if isinstance(v, int)})
    write_json(
        out_dir / RUN_JSON,
        {
            "status": "complete" if summary.failed == 0 else "complete_with_failures",
            "started_at": started.isoformat(),
            "finished_at": _now().isoformat(),
            "seconds": round(time.perf_counter() - clock, 3),
            "inputs": [str(i) for i in inputs],
            "config": config.model_dump(mode="json"),
            "params_hash": runner.params_hash,
            "model": {
                "name": model.name,
                "path": model.path,
                "format": model.format,
                "sha256": model.sha256,
                "origin": model.origin,
                "class_mapping": mapping.source,
                "classes": _class_names(model),
            },
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
        },
    )
    return summary


# ---------------------------------------------------------------------------------------------- tables

_ARROW_TYPES = {
    "string": "string",
    "int64": "int64",
    "float64": "float64",
    "float32": "float32",
    "timestamp[UTC]": "timestamp",
    "list<float64>[6]": "list_float64",
}


def _arrow_type(dtype: str):
    import pyarrow as pa

    kind = _ARROW_TYPES.get(dtype)
    if kind == "timestamp":
        return pa.timestamp("us", tz="UTC")
    if kind == "list_float64":
        return pa.list_(pa.float64())
    if kind is None:
        raise ValueError(f"no arrow type for {dtype}")
    return getattr(pa, kind)()


def _geo_table(spec: Table, columns: dict[str, list], geometries: list):
    """An arrow table with exactly ``spec``'s columns and types, geometry as GeoParquet WKB in EPSG:4326."""
    import pyarrow as pa
    import shapely
    from pyproj import CRS

    arrays = {}
    for col in spec.columns:
        if col.name == "geometry":
            wkb = shapely.to_wkb(np.array(geometries, dtype=object)) if geometries else []
            arrays["geometry"] = pa.array(list(wkb), pa.binary())
        else:
            arrays[col.name] = pa.array(columns[col.name], _arrow_type(col.dtype))
    types = sorted({g.geom_type for g in geometries if g is not None})
    present = [g for g in geometries if g is not None and not g.is_empty]
    geo_column: dict = {"encoding": "WKB", "geometry_types": types, "crs": CRS.from_epsg(4326).to_json_dict()}
    if present:
        geo_column["bbox"] = [float(v) for v in shapely.total_bounds(present)]
    geo = {"version": "1.0.0", "primary_column": "geometry", "columns": {"geometry": geo_column}}
    table = pa.table(arrays)
    return table.replace_schema_metadata({b"geo": json.dumps(geo).encode()})


def _write_table(path: Path, table) -> None:
    import pyarrow.parquet as pq

    with atomic_path(path) as tmp:
        pq.write_table(table, tmp)


def build_tables(results: list[FrameResult], mapping: ClassMapping, model_name: str, params_hash: str):
    """detections and frames as arrow tables (GeoParquet-ready) from the frames' parts."""
    from borderwatch.detector.rasters import georeference_boxes

    det_cols: dict[str, list] = {c: [] for c in DETECTIONS.column_names}
    det_geoms: list = []
    frame_cols: dict[str, list] = {c: [] for c in FRAMES.column_names}
    frame_geoms: list = []
    dropped_by_frame: dict[str, Counter] = {}
    for result in results:
        frame = result.frame
        n_kept = n_dropped = None
        if result.status == "ok" and result.part is not None:
            table, _ = read_part(result.part)
            source_classes = table.column("source_class").to_pylist()
            boxes = np.stack([table.column(c).to_numpy() for c in ("x_min", "y_min", "x_max", "y_max")], axis=1)
            boxes = boxes.reshape(-1, 4).astype(np.float32)
            scores = table.column("score").to_numpy()
            targets = [mapping.map(s) for s in source_classes]
            keep = [i for i, t in enumerate(targets) if t is not None]
            dropped = Counter(s for s, t in zip(source_classes, targets, strict=True) if t is None)
            dropped_by_frame[frame.frame_id] = dropped
            n_kept, n_dropped = len(keep), sum(dropped.values())
            polygons = (
                georeference_boxes(boxes[keep], frame.transform, frame.crs) if frame.georeferenced and keep else [None] * len(keep)
            )
            for i, polygon in zip(keep, polygons, strict=True):
                det_cols["detection_id"].append(f"{frame.frame_id}:{i}")
                det_cols["frame_id"].append(frame.frame_id)
                det_cols["source_path"].append(frame.source_path)
                det_cols["captured_at"].append(frame.captured_at)
                det_cols["vehicle_class"].append(targets[i])
                det_cols["source_class"].append(source_classes[i])
                det_cols["score"].append(float(scores[i]))
                for j, name in enumerate(("x_min", "y_min", "x_max", "y_max")):
                    det_cols[name].append(float(boxes[i, j]))
                det_cols["raster_crs"].append(frame.crs if frame.georeferenced else None)
                det_geoms.append(polygon)
        row = {
            "frame_id": frame.frame_id,
            "source_path": frame.source_path,
            "kind": frame.kind,
            "captured_at": frame.captured_at,
            "width": frame.width,
            "height": frame.height,
            "bands": frame.bands,
            "dtype": frame.dtype,
            "crs": frame.crs if frame.kind == "overhead" else None,
            "transform": list(frame.transform) if frame.transform is not None and frame.kind == "overhead" else None,
            "gsd_m": frame.gsd_m,
            "area": frame.area,
            "lon": frame.lon,
            "lat": frame.lat,
            "status": result.status,
            "error": result.error,
            "n_detections": n_kept,
            "n_dropped": n_dropped,
            "model": model_name if result.status == "ok" else None,
            "params_hash": params_hash if result.status == "ok" else None,
        }
        for name, value in row.items():
            frame_cols[name].append(value)
        frame_geoms.append(frame.footprint if result.status == "ok" else None)
    return _geo_table(DETECTIONS, det_cols, det_geoms), _geo_table(FRAMES, frame_cols, frame_geoms), dropped_by_frame
