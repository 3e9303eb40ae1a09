"""The frame runner: one frame from its path to a committed part (or a failed row).

``FrameRunner.prepare`` hashes and opens a frame and resumes it from its part when one is there;
``compute_detections`` runs the sliced engine over the frame's tiles; ``FrameRunner.commit`` writes the
part. The local engine does all three in this process; the Ray engine runs ``compute_detections`` on
a worker and the other two here.

Isolation: whatever goes wrong reading one frame (a bad file, or a bug no one foresaw in a decoder)
fails that frame alone, with a one-line reason in its row of frames.parquet (the one failures table:
no file per failure). Only the model stops a run: it cannot load (``ModelLoadError``) or it crashes
while predicting (``ModelFailure``).
"""

from __future__ import annotations

import contextlib
import errno
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from borderwatch.cli_common import error as print_error
from borderwatch.detector.exif import zone
from borderwatch.detector.frames import (
    Frame,
    FrameInput,
    InputProblem,
    OpenedFrame,
    frame_id_of,
    open_frame,
    placeholder_id,
    resolve_kind,
)
from borderwatch.detector.run.config import DetectConfig
from borderwatch.detector.run.model import ModelHandle
from borderwatch.detector.run.parts import failure_path, part_path, read_part, write_part
from borderwatch.detector.sliced import SliceParams, SliceStats, detect_source
from borderwatch.detector.thresholds import ClassMerge
from borderwatch.detector.types import Detections, Predictor
from borderwatch.errors import ConfigError, InputError, one_line, warn_input
from borderwatch.taxonomy import ClassMapping
from borderwatch.tiling import count_windows

TILE_BAR_MIN_WINDOWS = 16  # a frame with fewer tiles than this gets no bar of its own
_DISK_FULL = {errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)}


@dataclass
class FrameResult:
    frame: Frame
    status: str  # ok, failed, skipped
    error: str | None = None
    part: Path | None = None
    resumed: bool = False
    stats: SliceStats | None = None


class ModelFailure(RuntimeError):
    """The model raised while predicting: the run stops (finished frames are kept); no frame is blamed."""


class _GuardedPredictor:
    """A predictor whose exceptions say they came from the model, not from the frame's pixels."""

    def __init__(self, inner: Predictor):
        self._inner = inner
        self.names = inner.names

    def __getattr__(self, name):
        return getattr(self._inner, name)

    def predict(self, tiles):
        try:
            return self._inner.predict(tiles)
        except Exception as exc:
            raise ModelFailure(one_line(exc)) from exc


class FrameRunner:
    """What every engine does around the model for one frame: identify it, skip copies, resume it
    from its part, or open it for the engine to detect in; then commit or fail it."""

    def __init__(self, out_dir: Path, config: DetectConfig, model: ModelHandle, quiet: bool):
        self.out_dir = out_dir
        self.config = config
        self.model = model
        self.quiet = quiet
        self.tz = zone(config.tz)
        self.params_hash = config.params_hash(model.sha256, model.thresholds, model.merges)
        self.seen: dict[str, str] = {}  # frame_id -> path of its first occurrence
        self.naive_times = 0

    def fail(self, frame: Frame, exc: BaseException) -> FrameResult:
        """Record a frame that cannot be used: printed, and a failed row (its reason in frames.parquet).

        No file per failure: a million-row manifest of missing files must not write a million files.
        """
        reason = one_line(exc)
        print_error(f"{frame.source_path}: {reason}")
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
                frame, opened.source, lambda: _GuardedPredictor(self.model.predictor), self.config.params_for(frame),
                stats, progress, self.model.merges, self.model.mapping
            )
            return self.commit(frame, dets, self.model.predictor.names if len(dets) else {}, stats)
        except (ConfigError, ModelFailure):  # the model: stop the run
            raise
        except OSError as exc:
            if exc.errno in _DISK_FULL:  # writing the part: the machine, not the frame
                raise
            return self.fail(frame, exc)
        except Exception as exc:  # this frame's problem, whatever it is: the batch goes on
            return self.fail(frame, exc)
        finally:
            opened.close()

    def prepare(self, fi: FrameInput) -> FrameResult | PreparedFrame:
        """Identify and open a frame: a finished FrameResult (failed, duplicate, resumed from its part),
        or the opened frame still to detect in (its caller closes it). Any exception is that frame's
        failure."""
        try:
            return self._prepare(fi)
        except Exception as exc:
            kind = "overhead" if fi.path.suffix.lower() in (".tif", ".tiff") else "photo"
            return self.fail(Frame(placeholder_id(fi.path, fi.origin), str(fi.path), kind), exc)

    def _prepare(self, fi: FrameInput) -> FrameResult | PreparedFrame:
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
            warn_input(f"{fi.path}: {reason}")
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
                warn_input(message)
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
                    warn_input(f"{part}: unreadable part recomputed ({one_line(exc)})")
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
    """A frame opened by ``FrameRunner.prepare`` whose detections are still to compute."""

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
    merges: ClassMerge | None = None,
    mapping: ClassMapping | None = None,
) -> Detections:
    """A frame's merged detections; fills ``frame.footprint`` for georeferenced frames.

    ``predictor`` is called only when a tile needs the model (an all-nodata raster does not), so a
    lazily loaded model stays unloaded. ``progress`` is an optional rich Progress for a tile bar.
    ``merges`` (with the model's class ``mapping``) gives classes a merge method of their own.
    Raises InputError when the frame's pixels cannot be read.
    """
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
        model = predictor()
        methods = merges.by_id(model.names, mapping) if merges is not None and mapping is not None else None
        return detect_source(source, model, params, progress=on_progress, stats=stats, class_methods=methods)
    finally:
        if task is not None:
            progress.remove_task(task)


def problem_result(problem: InputProblem) -> FrameResult:
    try:
        fid = frame_id_of(problem.path) if problem.path.is_file() else placeholder_id(problem.path, problem.reason)
    except OSError:
        fid = placeholder_id(problem.path, problem.reason)
    kind = "overhead" if problem.path.suffix.lower() in (".tif", ".tiff") else "photo"
    return FrameResult(Frame(fid, str(problem.path), kind), problem.status, problem.reason)


def gdal_cache(megabytes: int):
    """A fixed GDAL block cache for the run, unless the user exported GDAL_CACHEMAX.

    GDAL's default is 5% of RAM and fills as a big raster is read, so memory would grow with the
    raster; a fixed cache still keeps the blocks that neighbouring tiles share. rasterio.Env hands
    the value to GDALSetCacheMax64, which takes bytes.
    """
    if "GDAL_CACHEMAX" in os.environ:
        return contextlib.nullcontext()
    import rasterio

    return rasterio.Env(GDAL_CACHEMAX=megabytes * 2**20)


def unique_ids(results: list[FrameResult]) -> list[FrameResult]:
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
