"""The Ray engine: frames detected by a pool of Ray actors, each holding one copy of the model.

The driver (the process running ``detect``) does what the local engine does around the model: it
hashes every frame, skips duplicates, opens headers, resumes frames whose part is already written,
and commits results. Only the work that needs pixels and the model runs on the workers: a worker
re-opens the frame from its path, computes the footprint and the tiles, batches the tiles through
its model (``detect_source``) and returns the merged detections. The driver writes each frame's part
as soon as its result arrives (``ray.wait``), so a crash of the driver or of the cluster loses only
the frames in flight, exactly as with the local engine; the tables are rebuilt from the parts at the
end by ``detect``.

A worker that dies (out of memory, a segfault in a decoder) is restarted by Ray; its frame is tried
once more and then recorded as failed, and the batch goes on.

Where Ray runs:
- ``ray_address`` None and no Ray initialised in this process: a local Ray is started with the
  machine's CPUs, without dashboard or usage reporting, and shut down at the end. Its workers get
  the driver's import path, so a ``predictor_factory`` module the driver can import, they can too.
- ``ray_address`` given (``ray://host:10001``, ``host:6379`` or ``auto``): that cluster is used.
  Its nodes need borderwatch (and any factory module) installed and the frames at the same paths
  (shared storage).
- Ray already initialised by the caller: used as it is and left running.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from borderwatch.detector.run.model import ModelLoadError
from borderwatch.detector.run.runner import FrameResult, FrameRunner, compute_detections, gdal_cache
from borderwatch.detector.sliced import SliceStats
from borderwatch.detector.types import Detections
from borderwatch.errors import BorderwatchError, ConfigError, InputError, one_line

if TYPE_CHECKING:
    from borderwatch.detector.frames import Frame, FrameInput
    from borderwatch.detector.run.config import DetectConfig
    from borderwatch.detector.run.model import ModelHandle
    from borderwatch.detector.thresholds import ClassMerge
    from borderwatch.taxonomy import ClassMapping

IN_FLIGHT_PER_WORKER = 2
"""Frames queued on each worker: one running, one waiting, so a worker never idles on the driver."""

ATTEMPTS_PER_FRAME = 2
"""A frame whose worker died is tried this many times in all before it is recorded as failed."""

RESTART_TIMEOUT_S = 300.0
"""How long a restarted worker may take to load its model again before the run is interrupted."""

CONNECT_TIMEOUT_S = 10.0
"""How long to wait for a --ray-address to accept a connection."""

LOST_RESULT_TIMEOUT_S = 30.0
"""Results of a dead worker's queue resolve at once; this only guards against a hang."""

LOCAL_OBJECT_STORE_BYTES = 256 * 2**20
"""Object store of a local Ray: results are boxes, not pixels, so a small store is plenty."""

INSTALL_HINT = "pip install 'borderwatch[ray]' (or pip install 'ray>=2.9')"


def require_ray():
    """The ``ray`` module, or a ConfigError that says how to install it."""
    try:
        import ray
    except ImportError as exc:
        raise ConfigError(f"engine 'ray' needs the ray package, which is not installed: {INSTALL_HINT}") from exc
    return ray


# ---------------------------------------------------------------------------------------------- worker


@dataclass
class FrameOutput:
    """What a worker sends back for one frame: detections and footprint, or the frame's error."""

    frame_id: str
    detections: Detections | None = None
    names: dict[int, str] = field(default_factory=dict)
    footprint_wkb: str | None = None
    stats: SliceStats | None = None
    error: str | None = None  # one line; set when the frame itself is bad (InputError)
    error_path: str | None = None


@dataclass
class LoadOutcome:
    names: dict[int, str] | None = None
    error: str | None = None
    error_path: str | None = None


class FrameWorker:
    """A Ray actor: one model, loaded once, detecting frame after frame.

    Not decorated with ``ray.remote`` here so that this module imports without Ray; the pool wraps it.
    """

    def __init__(self, loader: Callable[[], Any], config: DetectConfig, cores: list[int] | None = None,
                 merges: ClassMerge | None = None, mapping: ClassMapping | None = None):
        from borderwatch.detector.exif import zone

        if cores and hasattr(os, "sched_setaffinity"):
            # Pinned before the model loads: torch's thread count and OpenVINO's both follow the
            # affinity, so N workers on N cores do not each start N threads.
            os.sched_setaffinity(0, cores)
        self.loader = loader
        self.config = config
        self.merges, self.mapping = merges, mapping  # per-class merge methods, as the local engine applies them
        self.tz = zone(config.tz)
        self.predictor = None

    def load(self) -> LoadOutcome:
        if self.predictor is None:
            try:
                self.predictor = self.loader()
            except BorderwatchError as exc:
                return LoadOutcome(error=exc.reason, error_path=exc.path)
        return LoadOutcome(names=dict(self.predictor.names))

    def detect(self, fi: FrameInput, frame_id: str) -> FrameOutput:
        import shapely

        from borderwatch.detector.frames import open_frame

        def model():
            if self.predictor is None:
                outcome = self.load()
                if outcome.error is not None:
                    raise ConfigError(f"cannot load model {self.config.model!r}: {outcome.error}", outcome.error_path)
            return self.predictor

        max_pixels = int(self.config.max_photo_megapixels * 1e6)
        try:
            opened = open_frame(fi, frame_id, self.tz, max_pixels)
        except (InputError, OSError) as exc:
            return _frame_error(frame_id, exc, fi.path)
        try:
            frame = opened.frame
            stats = SliceStats()
            with gdal_cache(self.config.gdal_cache_mb):
                dets = compute_detections(frame, opened.source, model, self.config.params_for(frame), stats,
                                          merges=self.merges, mapping=self.mapping)
            footprint = None if frame.footprint is None else shapely.to_wkb(frame.footprint, hex=True)
            names = dict(self.predictor.names) if len(dets) and self.predictor is not None else {}
            return FrameOutput(frame_id, dets, names, footprint, stats)
        except InputError as exc:
            return _frame_error(frame_id, exc, fi.path)
        finally:
            opened.close()


def _frame_error(frame_id: str, exc: BaseException, path) -> FrameOutput:
    where = exc.path if isinstance(exc, BorderwatchError) and exc.path else str(path)
    reason = exc.reason if isinstance(exc, BorderwatchError) else one_line(exc)
    if isinstance(exc, OSError) and not isinstance(exc, BorderwatchError):
        reason = f"cannot read: {exc.strerror or exc}"
    return FrameOutput(frame_id, error=reason, error_path=where)


# ------------------------------------------------------------------------------------------------ pool


def _worker_import_path() -> str:
    """The driver's import path minus the interpreter's own folders, for the local workers."""
    own = {Path(p).resolve() for p in (sys.prefix, sys.base_prefix, sys.exec_prefix)}
    keep = []
    for entry in sys.path:
        path = Path(entry or os.getcwd()).resolve()
        if not path.is_dir() or any(path == o or o in path.parents for o in own):
            continue
        keep.append(str(path))
    existing = os.environ.get("PYTHONPATH")
    return os.pathsep.join(dict.fromkeys(keep + ([existing] if existing else [])))


def _check_reachable(address: str, timeout: float = CONNECT_TIMEOUT_S) -> None:
    """Fail fast on an address nobody listens on: ``ray.init`` would retry it for minutes."""
    import socket
    from urllib.parse import urlsplit

    if address in ("auto", "local"):
        return
    parts = urlsplit(address if "://" in address else f"ray://{address}")
    try:
        host, port = parts.hostname, parts.port
    except ValueError:
        host = port = None
    if not host or not port:
        raise ConfigError(f"Ray address {address!r} is not host:port, ray://host:port, auto or local")
    try:
        with socket.create_connection((host, port), timeout=timeout):
            pass
    except OSError as exc:
        raise ConfigError(f"cannot reach the Ray cluster at {address}: {exc.strerror or exc}") from exc


def _local_cpus() -> int:
    from borderwatch.detector.predictor import available_cpus

    return available_cpus()


class RayPool:
    """Ray (started here or reused), the worker actors, and the frames in flight on them."""

    def __init__(self, config: DetectConfig, model: ModelHandle):
        ray = require_ray()
        self.ray = ray
        self.started_ray = False
        self.local = False
        if not ray.is_initialized():
            self._init(config)
        resources = ray.cluster_resources()
        cpus = float(resources.get("CPU", 1.0)) or 1.0
        gpus = float(resources.get("GPU", 0.0))
        self.workers = config.ray_workers or max(1, int(cpus))
        cpu_share = min(1.0, cpus / self.workers)  # more workers than CPUs share them rather than wait
        gpu_share = 0.0
        if config.device.startswith("cuda") or (config.device == "auto" and gpus > 0):
            if gpus <= 0:
                self.close()
                raise ConfigError(f"device {config.device!r} asked for, but the Ray cluster has no GPU")
            gpu_share = min(1.0, gpus / self.workers)
        try:
            # Checked here, where the error can name the model; Ray pickles it again per worker (a
            # constructor argument kept in the object store could not be recovered on a restart).
            ray.cloudpickle.dumps(model.loader)
        except Exception as exc:  # cloudpickle refuses open files, compiled models, locks ...
            self.close()
            raise ConfigError(
                f"model {model.name!r} cannot be sent to Ray workers ({one_line(exc)}); give weights by path or "
                "registry name, or a predictor_factory",
            ) from exc
        self.actor_class = ray.remote(FrameWorker).options(
            num_cpus=cpu_share, num_gpus=gpu_share, max_restarts=-1, max_task_retries=0
        )
        self.config = config
        self.model = model
        self.actors: list = []
        self.cores = self._core_sets()
        self.load_refs: dict = {}

    def _init(self, config: DetectConfig) -> None:
        import logging

        os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")  # offline: never report usage
        kwargs: dict[str, Any] = dict(
            include_dashboard=False, log_to_driver=False, logging_level=logging.ERROR, configure_logging=True
        )
        if config.ray_address:
            _check_reachable(config.ray_address)
            kwargs["address"] = config.ray_address
        else:
            self.local = True
            kwargs.update(
                num_cpus=_local_cpus(),
                object_store_memory=LOCAL_OBJECT_STORE_BYTES,
                runtime_env={"env_vars": {"PYTHONPATH": _worker_import_path()}},
            )
        try:
            self.ray.init(**kwargs)
        except Exception as exc:
            where = f"the Ray cluster at {config.ray_address}" if config.ray_address else "a local Ray"
            raise ConfigError(f"cannot start {where}: {one_line(exc)}") from exc
        self.started_ray = True

    def _core_sets(self) -> list[list[int] | None]:
        """Cores per worker when this machine runs them all (a local Ray): disjoint when there are
        enough cores; otherwise none, and the OS shares them."""
        if not self.local or not hasattr(os, "sched_getaffinity"):
            return [None] * self.workers
        cores = sorted(os.sched_getaffinity(0))
        if len(cores) < self.workers:
            return [None] * self.workers
        per = len(cores) // self.workers
        return [cores[i * per : (i + 1) * per] for i in range(self.workers)]

    def start(self) -> None:
        """Start the first worker, wait for its model (a .pt is exported once, not by every worker
        at the same time), then the others."""
        first = self.actor_class.remote(self.model.loader, self.config, self.cores[0], self.model.merges,
                                         self.model.mapping)
        self.check_load(self.ray.get(first.load.remote()))
        self.actors.append(first)
        for i in range(1, self.workers):
            actor = self.actor_class.remote(self.model.loader, self.config, self.cores[i], self.model.merges,
                                            self.model.mapping)
            self.actors.append(actor)
            self.load_refs[actor.load.remote()] = actor

    def check_load(self, outcome: LoadOutcome) -> None:
        """Raise ModelLoadError for a worker that could not load the model; else note its class names."""
        if outcome.error is not None:
            raise ModelLoadError(f"cannot load model {self.model.name!r}: {outcome.error}", outcome.error_path)
        self.model.remote_names = outcome.names

    def wait_alive(self, worker: int) -> None:
        """Block until a restarted worker has its model again (or raise if it cannot come back)."""
        deadline = time.monotonic() + RESTART_TIMEOUT_S
        while True:
            try:
                self.check_load(self.ray.get(self.actors[worker].load.remote(), timeout=RESTART_TIMEOUT_S))
                return
            except self.ray.exceptions.ActorUnavailableError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)

    def close(self) -> None:
        for actor in self.actors:
            try:
                self.ray.kill(actor)
            except Exception:
                pass
        self.actors = []
        if self.started_ray:
            self.ray.shutdown()
            self.started_ray = False


@dataclass
class _InFlight:
    index: int  # position in the input, for the order of the results
    fi: FrameInput
    frame: Frame
    worker: int = -1
    crashes: int = 0  # worker deaths while this frame was the one running


def _unwrap(exc: BaseException) -> BaseException:
    """The exception a worker raised, not Ray's wrapper with the remote traceback."""
    cause = getattr(exc, "cause", None)
    return cause if isinstance(cause, BaseException) else exc


class _Scheduler:
    """Frames queued on the workers, and their results committed as they arrive.

    A worker runs its frames in the order they were queued, so when it dies the first of its
    queued frames without a result is the one it was running: only that frame is charged with the
    crash; the frames queued behind it are resubmitted as they were.
    """

    def __init__(self, runner: FrameRunner, pool: RayPool, done: dict, advance: Callable[[], None]):
        self.runner, self.pool, self.ray, self.done, self.advance = runner, pool, pool.ray, done, advance
        self.in_flight: dict[Any, _InFlight] = {}
        self.queues: list[list[Any]] = [[] for _ in pool.actors]

    @property
    def full(self) -> bool:
        return len(self.in_flight) >= IN_FLIGHT_PER_WORKER * len(self.pool.actors)

    @property
    def busy(self) -> bool:
        return bool(self.in_flight or self.pool.load_refs)

    def submit(self, item: _InFlight) -> None:
        item.worker = min(range(len(self.queues)), key=lambda w: len(self.queues[w]))
        ref = self.pool.actors[item.worker].detect.remote(item.fi, item.frame.frame_id)
        self.in_flight[ref] = item
        self.queues[item.worker].append(ref)

    def collect(self) -> None:
        """Wait for one result (or a worker's model load) and handle it."""
        ready, _ = self.ray.wait(list(self.in_flight) + list(self.pool.load_refs), num_returns=1)
        ref = ready[0]
        if ref in self.pool.load_refs:
            self.pool.load_refs.pop(ref)
            self.pool.check_load(self.ray.get(ref))
            return
        item = self.in_flight[ref]
        try:
            output = self.ray.get(ref)
        except self.ray.exceptions.RayActorError:
            self._worker_died(item.worker)
            return
        except self.ray.exceptions.RayTaskError as exc:
            raise _unwrap(exc) from None
        self._finish(ref, item, output)

    def _finish(self, ref, item: _InFlight, output: FrameOutput) -> None:
        del self.in_flight[ref]
        self.queues[item.worker].remove(ref)
        self.done[item.index] = _commit(self.runner, item.frame, output)
        self.advance()

    def _worker_died(self, worker: int) -> None:
        retry: list[_InFlight] = []
        culprit_found = False
        for ref in list(self.queues[worker]):
            item = self.in_flight[ref]
            try:
                output = self.ray.get(ref, timeout=LOST_RESULT_TIMEOUT_S)
            except (self.ray.exceptions.RayActorError, self.ray.exceptions.GetTimeoutError) as exc:
                del self.in_flight[ref]
                self.queues[worker].remove(ref)
                if not culprit_found:
                    culprit_found = True
                    item.crashes += 1
                    if item.crashes >= ATTEMPTS_PER_FRAME:
                        reason = (
                            f"the Ray worker died {item.crashes} times while detecting in it "
                            f"({one_line(_unwrap(exc))[:160]})"
                        )
                        self.done[item.index] = self.runner.fail(item.frame, InputError(reason, item.frame.source_path))
                        self.advance()
                        continue
                retry.append(item)
                continue
            except self.ray.exceptions.RayTaskError as exc:
                raise _unwrap(exc) from None
            self._finish(ref, item, output)  # it finished before the worker died
        self.pool.wait_alive(worker)  # Ray restarts it; frames sent meanwhile would be refused
        for item in retry:
            self.submit(item)


def run_on_ray(
    runner: FrameRunner,
    frames: list[FrameInput],
    results: list[FrameResult],
    advance: Callable[[], None] = lambda: None,
) -> None:
    """Detect ``frames`` on Ray; append one FrameResult per frame to ``results``, in input order.

    Frames are committed as they finish; results are appended in input order at the end (or, when a
    worker error interrupts the run, the frames committed so far are appended before it propagates).
    Ray is started only when some frame still needs the model: a fully resumed run never starts it.
    """
    done: dict[int, FrameResult] = {}
    pool: RayPool | None = None
    scheduler: _Scheduler | None = None
    try:
        for index, fi in enumerate(frames):
            prepared = runner.prepare(fi)
            if isinstance(prepared, FrameResult):
                done[index] = prepared
                advance()
                continue
            prepared.opened.close()  # the worker opens the file itself
            if pool is None:
                pool = RayPool(runner.config, runner.model)
                pool.start()
                scheduler = _Scheduler(runner, pool, done, advance)
            while scheduler.full:
                scheduler.collect()
            scheduler.submit(_InFlight(index, fi, prepared.frame))
        while scheduler is not None and scheduler.busy:
            scheduler.collect()
    finally:
        results.extend(done[i] for i in sorted(done))
        if pool is not None:
            pool.close()


def _commit(runner: FrameRunner, frame: Frame, output: FrameOutput) -> FrameResult:
    if output.error is not None:
        return runner.fail(frame, InputError(output.error, output.error_path or frame.source_path))
    if output.footprint_wkb is not None:
        import shapely

        frame.footprint = shapely.from_wkb(output.footprint_wkb)
    detections = output.detections if output.detections is not None else Detections.empty()
    return runner.commit(frame, detections, output.names, output.stats)



class RayEngine:
    """The ``ray`` engine behind the ``Engine`` protocol."""

    def run(self, runner, frames, results, advance, progress=None) -> None:
        run_on_ray(runner, frames, results, advance)
