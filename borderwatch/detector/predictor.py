"""The ultralytics YOLO predictor behind the ``Predictor`` protocol, batched.

``YoloPredictor.predict`` takes a list of same-shaped RGB tiles and runs them as one forward pass.
It letterboxes, normalises and post-processes itself instead of going through ultralytics'
``model.predict``, which builds a ``Results`` object, a letterbox and a BGR/RGB flip per image and
re-checks its arguments on every call; the model forward and ultralytics' own
``non_max_suppression`` are the same as in ``model.predict``, so the boxes are too.

Tiles arrive RGB, which is what YOLO networks take (ultralytics flips its BGR numpy input to RGB
before the forward), so no channel swap is needed on this path.

Oriented-box (OBB) models return ``(cx, cy, w, h, score, class, angle)`` rows, from ultralytics'
rotated NMS or, for end-to-end heads (``nms=False``, the LiteRT exports), straight from the model;
their corners come back in ``Detections.corners`` and the boxes are the corners' bounds. Exports with
a fixed batch (LiteRT: 1) are run in chunks of that batch.
"""

from __future__ import annotations

import inspect
import os
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from borderwatch.detector.letterbox import PAD_VALUE, Letterbox
from borderwatch.detector.types import Detections
from borderwatch.detector.weights import ensure_loadable, quiet_ultralytics
from borderwatch.errors import ConfigError, InputError

if TYPE_CHECKING:
    from collections.abc import Iterable

    from borderwatch.detector.resolved import ResolvedModel
    from borderwatch.detector.sliced import SliceParams


def available_cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def pick_device(device: str = "auto") -> str:
    """``auto`` is the first CUDA GPU when torch sees one, else the CPU."""
    if device != "auto":
        return device
    import torch

    return "cuda:0" if torch.cuda.is_available() else "cpu"


class YoloPredictor:
    """A YOLO detector from any weights ultralytics loads (.pt, .onnx, OpenVINO folder), batched."""

    def __init__(
        self,
        weights: str | Path,
        *,
        conf: float = 0.25,
        iou: float = 0.5,
        imgsz: int | None = None,
        device: str = "auto",
        half: bool = False,
        max_det: int = 300,
        agnostic_nms: bool = False,
        threads: int | None = None,
        task: str | None = None,
        end2end: bool | None = None,
    ):
        import torch
        from ultralytics.nn.autobackend import AutoBackend

        self.weights = Path(weights)
        self.device = pick_device(device)
        if self.device == "cpu":
            # Importing ultralytics sets OMP_NUM_THREADS=1, so torch's thread count otherwise depends
            # on import order. We use cores - 1: the remaining core decodes the next windows (the
            # reader thread) and NMS, and torch's intra-op threads stall badly when a core they
            # count on is taken (measured on 2 cores: 1 thread 6.6 tiles/s, 2 threads 2.5).
            # This is torch's process-wide setting, so it is set here where the model is made.
            torch.set_num_threads(threads or max(1, available_cpus() - 1))
        self.conf, self.iou, self.max_det, self.agnostic_nms = conf, iou, max_det, agnostic_nms
        self._torch = torch
        try:
            # ultralytics announces every load on its own logger ("Loading ... for OpenVINO"), past
            # verbose=False; borderwatch's progress display (and -q) owns the terminal instead.
            with quiet_ultralytics():
                self.backend = AutoBackend(
                    str(self.weights), device=torch.device(self.device), fp16=half, verbose=False, end2end=end2end
                )
        except (FileNotFoundError, RuntimeError, ValueError, KeyError, AttributeError) as exc:
            raise InputError(f"ultralytics cannot load these weights: {exc}", self.weights) from exc
        self.backend.eval()
        self.names: dict[int, str] = {int(k): str(v) for k, v in self.backend.names.items()}
        self.stride = int(getattr(self.backend, "stride", 32) or 32)
        self.format = getattr(self.backend, "format", "pt")
        self.task = task or _backend_task(self.backend)
        # Exports other than PyTorch/TorchScript have a fixed input unless exported dynamic.
        self.fixed = self.format not in ("pt", "torchscript") and not getattr(self.backend, "dynamic", False)
        model_imgsz = getattr(self.backend, "imgsz", None)
        if self.fixed and model_imgsz:
            size = list(model_imgsz) if isinstance(model_imgsz, (list, tuple)) else [model_imgsz, model_imgsz]
            self.input_hw: tuple[int, int] | None = (int(size[0]), int(size[-1]))
        else:
            self.input_hw = (imgsz, imgsz) if imgsz else None
        self.half = bool(getattr(self.backend, "fp16", False))
        self.runtime = "native"  # what load_predictor ran it as (openvino, openvino-int8, ...), for run.json
        self.batch = int(getattr(self.backend, "batch", 1) or 1) if self.fixed else None
        from ultralytics.utils.nms import non_max_suppression

        self._nms = non_max_suppression
        self._nms_kwargs = {}
        params = inspect.signature(non_max_suppression).parameters
        if "max_time_img" in params:
            # ultralytics stops NMS after 2 s + 0.05 s per image and silently drops the rest: on a
            # busy CPU that loses detections. Counting must not depend on machine load.
            self._nms_kwargs["max_time_img"] = 3600.0
        self.end2end = bool(getattr(self.backend, "end2end", False))
        if "end2end" in params:
            self._nms_kwargs["end2end"] = self.end2end
        if self.task == "obb":
            # the angle is an extra channel after the class scores
            self._nms_kwargs.update(rotated=True, nc=len(self.names))

    def _input(self, batch: np.ndarray):
        torch = self._torch
        if self.format not in ("pt", "torchscript"):
            # Exported runtimes copy a strided input to a dense one: build the dense NCHW float
            # array in the same single pass that converts and scales.
            n, h, w, _ = batch.shape
            out = np.empty((n, 3, h, w), np.float32)
            np.multiply(batch.transpose(0, 3, 1, 2), np.float32(1.0 / 255.0), out=out, dtype=np.float32)
            x = torch.from_numpy(out)
            return x.half() if self.half else x
        # NHWC uint8 -> NCHW view, converted on the device; for a channels-last CPU model the
        # permuted view is already the memory layout it wants.
        x = torch.from_numpy(batch).to(self.device, non_blocking=True).permute(0, 3, 1, 2)
        x = x.half() if self.half else x.float()
        return x.mul_(1.0 / 255.0)

    def predict(self, tiles: list[np.ndarray]) -> list[Detections]:
        if not tiles:
            return []
        h, w = tiles[0].shape[:2]
        if any(t.shape != tiles[0].shape for t in tiles) or tiles[0].ndim != 3 or tiles[0].shape[2] != 3:
            raise ValueError("predict takes a list of HxWx3 tiles of one shape")
        target = self.input_hw or (h, w)
        box = Letterbox.plan(h, w, target[0], target[1], self.stride, self.fixed)
        chunk = self.batch if self.fixed and self.batch else len(tiles)
        results: list[Detections] = []
        for start in range(0, len(tiles), chunk):
            results.extend(self._predict_batch(box, box.apply(tiles[start : start + chunk])))
        return results

    def _predict_batch(self, box: Letterbox, batch: np.ndarray) -> list[Detections]:
        torch = self._torch
        with torch.inference_mode():
            preds = self.backend(self._input(batch))
            out = self._nms(
                preds,
                conf_thres=self.conf,
                iou_thres=self.iou,
                agnostic=self.agnostic_nms,
                max_det=self.max_det,
                **self._nms_kwargs,
            )
        results = []
        for det in out:
            if self.task == "obb":
                results.append(self._oriented(box, det[:, :7].float().cpu().numpy()))
                continue
            arr = det[:, :6].float().cpu().numpy()
            results.append(
                Detections(
                    box.unmap(arr[:, :4]).astype(np.float32),
                    arr[:, 4].astype(np.float32),
                    arr[:, 5].astype(np.int64),
                )
            )
        return results

    @staticmethod
    def _oriented(box: Letterbox, arr: np.ndarray) -> Detections:
        """Rows (cx, cy, w, h, score, class, angle) in network pixels -> tile-pixel corners and bounds."""
        from borderwatch.boxes import corner_bounds, xywhr_to_corners

        corners = box.unmap_points(xywhr_to_corners(arr[:, [0, 1, 2, 3, 6]]))
        bounds = corner_bounds(corners)
        bounds[:, [0, 2]] = np.clip(bounds[:, [0, 2]], 0, box.in_w)
        bounds[:, [1, 3]] = np.clip(bounds[:, [1, 3]], 0, box.in_h)
        return Detections(
            bounds.astype(np.float32), arr[:, 4].astype(np.float32), arr[:, 5].astype(np.int64), corners.astype(np.float32)
        )

    def warmup(self, tile_hw: tuple[int, int], batch: int | None = None) -> None:
        """One forward on a grey batch of the shape to come, so graph and kernel set-up is done."""
        h, w = tile_hw
        self.predict([np.full((h, w, 3), PAD_VALUE, np.uint8)] * (batch or self.batch or 1))


def _backend_task(backend) -> str:
    """detect or obb, from an export's metadata or a PyTorch model's head."""
    task = getattr(backend, "task", None)
    if task:
        return str(task)
    model = getattr(backend, "model", None)
    if model is not None:
        try:
            from ultralytics.nn.tasks import guess_model_task

            return str(guess_model_task(model))
        except Exception:  # ultralytics could not tell: axis-aligned, as most models are
            return "detect"
    return "detect"


def load_predictor(
    resolved: ResolvedModel,
    params: SliceParams | None = None,
    *,
    device: str = "auto",
    half: bool = False,
    imgsz: int | None = None,
    runtime: str = "native",
    threads: int | None = None,
    calibration: Iterable[np.ndarray | str | Path] | None = None,
    cache_dir: Path | None = None,
) -> YoloPredictor:
    """Load ``resolved`` as a batched predictor with ``params``' thresholds.

    ``runtime``: ``native`` loads the weights as they are; ``openvino``/``onnx`` first exports .pt
    weights to that format once (cached, see ``weights.export_for_cpu``) and loads the export;
    ``openvino-int8`` loads an NNCF-quantized int8 OpenVINO export, made once from ``calibration``
    (real images or folders of them) and cached (see ``weights.export_int8_for_cpu``). ``auto``
    picks ``native`` on a GPU; on a CPU, the int8 export when one is cached (or ``calibration`` makes
    one) and it reproduced the FP32 boxes (``weights.INT8_MIN_MATCH``), else ``openvino``.
    Pickle-based weights are checked for trust before anything loads them.
    """
    from borderwatch.detector.sliced import SliceParams
    from borderwatch.detector.weights import export_for_cpu

    params = (params or SliceParams()).resolved()
    if runtime not in RUNTIMES:
        raise ConfigError(f"runtime must be one of {', '.join(RUNTIMES)}, got {runtime!r}")
    if resolved.format == "ensemble":
        return _load_ensemble(resolved, params, device, half, imgsz, runtime, threads, calibration, cache_dir)
    ensure_loadable(resolved)  # first: nothing may touch an untrusted pickle
    device = pick_device(device)
    size = imgsz or params.tile_size
    path = resolved.path
    if runtime == "auto":
        runtime = "openvino" if device == "cpu" and resolved.format == "pt" else "native"
        if runtime == "openvino":
            int8 = _usable_int8(resolved, calibration, size, params.batch_size, cache_dir)
            if int8 is not None:
                runtime, path = "openvino-int8", int8
    if runtime == "openvino-int8":
        if path == resolved.path:
            from borderwatch.detector.weights import export_int8_for_cpu

            path = export_int8_for_cpu(resolved, calibration, imgsz=size, batch=params.batch_size, cache_dir=cache_dir).model
    elif runtime in ("openvino", "onnx") and resolved.format == "pt":
        path = export_for_cpu(resolved, runtime, imgsz=size, batch=params.batch_size, cache_dir=cache_dir)
    card = resolved.card
    predictor = YoloPredictor(
        path,
        conf=params.conf,
        iou=params.iou,
        imgsz=imgsz,
        device=device,
        half=half,
        max_det=params.max_det_per_tile,
        agnostic_nms=params.class_agnostic,
        threads=threads,
        task=card.task if card is not None else None,
        # an end-to-end head (nms: false in the card) gives one box per object; ultralytics' NMS on
        # its one-to-many output would give other boxes than the exported model does
        end2end=True if card is not None and not card.inference.nms else None,
    )
    predictor.runtime = "tflite" if resolved.format == "tflite" else runtime
    return predictor


RUNTIMES = ("auto", "native", "openvino", "openvino-int8", "onnx")


def _load_ensemble(resolved, params, device, half, imgsz, runtime, threads, calibration, cache_dir):
    """Each member loaded the way it would load alone (trust check, export, runtime), at its own threshold."""
    from borderwatch.detector.ensemble import load_ensemble

    def member(m: ResolvedModel, conf: float | None):
        p = params if conf is None else params.model_copy(update={"conf": conf})
        return load_predictor(
            m, p, device=device, half=half, imgsz=imgsz, runtime=runtime, threads=threads,
            calibration=calibration, cache_dir=cache_dir,
        )

    return load_ensemble(resolved, member)


def _usable_int8(
    resolved: ResolvedModel,
    calibration: Iterable[np.ndarray | str | Path] | None,
    imgsz: int,
    batch: int,
    cache_dir: Path | None,
) -> Path | None:
    """The int8 export for ``auto``: only one that exists (or can be made now) and matched FP32."""
    import importlib.util

    from borderwatch.detector.weights import export_dir, export_int8_for_cpu, read_int8_export

    done = read_int8_export(export_dir(resolved, "openvino-int8", imgsz, batch, cache_dir))
    if done is None:
        if calibration is None or importlib.util.find_spec("nncf") is None:
            return None
        try:
            done = export_int8_for_cpu(resolved, calibration, imgsz=imgsz, batch=batch, cache_dir=cache_dir)
        except ConfigError:  # e.g. calibration images held no usable tile: FP32 serves
            return None
    return done.model if done.accurate else None
