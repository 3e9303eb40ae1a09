"""Weights are code: which files may be loaded, and the CPU export made once and cached.

A ``.pt`` checkpoint (and a TorchScript archive) is a pickle: unpickling it can run any code the
file's author chose. Such files load only when their sha256 is listed in a model card of the
registry or the user said ``trust_weights``. The check reads the file's bytes and hashes them; it
never unpickles, so a refused file has had no chance to run. ONNX and OpenVINO IR are data (graphs
and tensors) and need no trust.

The preferred CPU runtime is an OpenVINO (or ONNX) export of the same weights. ``export_for_cpu``
makes it once per (weights sha256, input size, batch) under the user cache, in a temporary folder
renamed into place, so a crash never leaves a half-written export that looks complete.
``export_int8_for_cpu`` quantizes that export to int8 with NNCF (calibrated on real images the
caller gives), cached the same way, with the int8-vs-FP32 box match rate stored beside it.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import shutil
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import numpy as np

from borderwatch.boxes import iou_matrix
from borderwatch.detector.letterbox import Letterbox
from borderwatch.errors import ConfigError, InputError, UntrustedWeightsError


@contextlib.contextmanager
def quiet_ultralytics():
    """Raise ultralytics' logger to WARNING for the duration.

    Its info lines ("Loading ... for OpenVINO inference", export banners) are chatter for
    borderwatch's users: the progress display (and ``-q``) owns the terminal.
    """
    logger = logging.getLogger("ultralytics")
    level = logger.level
    logger.setLevel(max(level, logging.WARNING))
    try:
        yield
    finally:
        logger.setLevel(level)

if TYPE_CHECKING:
    from borderwatch.detector.resolved import ResolvedModel

from borderwatch.trust import PICKLE_FORMATS, needs_trust, sha256_files  # noqa: E402, F401  (defined once, in trust; re-exported)

FORMAT_SUFFIXES = {
    ".pt": "pt", ".pth": "pt", ".onnx": "onnx", ".torchscript": "torchscript", ".engine": "engine", ".tflite": "tflite",
}



def cache_root() -> Path:
    """The user cache: ``$BORDERWATCH_CACHE`` or ``~/.cache/borderwatch``."""
    env = os.environ.get("BORDERWATCH_CACHE")
    return Path(env).expanduser() if env else Path.home() / ".cache" / "borderwatch"


def openvino_xml(folder: Path) -> Path:
    xmls = sorted(folder.glob("*.xml"))
    if len(xmls) != 1:
        raise InputError(f"an OpenVINO model folder must hold exactly one .xml file, found {len(xmls)}", folder)
    if not xmls[0].with_suffix(".bin").is_file():
        raise InputError(f"OpenVINO model lacks {xmls[0].with_suffix('.bin').name}", folder)
    return xmls[0]


def detect_format(path: Path) -> str:
    """pt, onnx, openvino, torchscript or engine, from the file name (or the folder's content)."""
    if path.is_dir():
        openvino_xml(path)
        return "openvino"
    if path.suffix.lower() == ".xml":
        return "openvino"
    fmt = FORMAT_SUFFIXES.get(path.suffix.lower())
    if fmt is None:
        raise InputError(
            f"unsupported model format {path.suffix or '(no suffix)'}; use .pt, .onnx, .torchscript, "
            ".tflite, an .engine or an OpenVINO folder",
            path,
        )
    return fmt


def sha256_of(path: str | Path) -> str:
    """sha256 of a weights file; for an OpenVINO folder (or its .xml), of the .xml then the .bin bytes.

    Both OpenVINO files are hashed because the .bin holds the weights: a check on the .xml alone
    would not notice swapped weights.
    """
    path = Path(path)
    if path.is_dir():
        path = openvino_xml(path)
    files = [path, path.with_suffix(".bin")] if path.suffix.lower() == ".xml" else [path]
    return sha256_files(files, path)


def ensure_loadable(resolved: ResolvedModel) -> None:
    """Raise ``UntrustedWeightsError`` unless ``resolved`` may be loaded; never unpickles anything.

    Every load path (detect, Ray workers, export, int8, eval, training) calls this, and it asks
    ``borderwatch.trust.require_trusted`` again rather than believing ``resolved.trusted``: the
    file's bytes must still hash to the sha256 it was resolved with, and something the user vouched
    for must list that hash (a shipped card, a pin, or ``--trust-weights`` given to this command).
    It also refuses a path ultralytics would read as another format (and so pip-install for).
    """
    from borderwatch.trust import require_trusted

    require_trusted(resolved.path, resolved.format, expected_sha256=resolved.sha256, explicit=resolved.trust_given)


CpuFormat = Literal["openvino", "onnx"]


def export_dir(resolved: ResolvedModel, fmt: CpuFormat | Literal["openvino-int8"], imgsz: int, batch: int, cache_dir: Path | None = None) -> Path:
    """Where the cached export of ``resolved`` for (format, input size, batch) lives."""
    root = (cache_dir or cache_root()) / "exports"
    return root / f"{resolved.sha256[:16]}_{fmt}_{imgsz}_b{batch}"


def exported_model(folder: Path, fmt: CpuFormat) -> Path | None:
    """The model inside a finished export folder, or None if the folder is not a finished export."""
    if not folder.is_dir():
        return None
    if fmt == "onnx":
        found = sorted(folder.glob("*.onnx"))
        return found[0] if found else None
    found = sorted(p for p in folder.iterdir() if p.is_dir() and p.name.endswith("_openvino_model"))
    return found[0] if found and any(found[0].glob("*.xml")) else None


def export_for_cpu(
    resolved: ResolvedModel,
    fmt: CpuFormat = "openvino",
    imgsz: int = 640,
    batch: int = 8,
    cache_dir: Path | None = None,
) -> Path:
    """An OpenVINO folder (or .onnx file) exported from ``resolved``'s .pt weights, made once and cached.

    The export has a fixed input of ``batch`` x 3 x ``imgsz`` x ``imgsz``: OpenVINO runs fixed
    shapes fastest, and ultralytics pads a short last batch (and splits a longer one) for fixed
    exports. Already-exported formats are returned as they are.
    """
    if fmt not in ("openvino", "onnx"):
        raise ConfigError(f"CPU export format must be openvino or onnx, got {fmt!r}")
    if resolved.format in ("openvino", "onnx"):
        return resolved.path
    if resolved.format != "pt":
        raise ConfigError(f"cannot export {resolved.format} weights; give .pt weights", resolved.path)
    target = export_dir(resolved, fmt, imgsz, batch, cache_dir)
    done = exported_model(target, fmt)
    if done is not None:
        return done
    ensure_loadable(resolved)
    target.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    try:
        # ultralytics writes the export beside the weights, and the weights may sit on a read-only
        # disk: export from a private copy inside the temporary folder.
        weights = work / f"{Path(resolved.path).stem}.pt"
        shutil.copyfile(resolved.path, weights)
        if sha256_of(weights) != resolved.sha256:
            raise UntrustedWeightsError("weights changed while being copied for export", resolved.path)
        from ultralytics import YOLO

        model = YOLO(str(weights), task="detect")
        with quiet_ultralytics():
            model.export(format=fmt, imgsz=imgsz, batch=batch, dynamic=False, half=False, nms=False, verbose=False)
        weights.unlink()
        if exported_model(work, fmt) is None:
            raise InputError(f"ultralytics produced no {fmt} export", resolved.path)
        try:
            os.replace(work, target)
        except OSError:
            # Another process finished the same export first: use theirs.
            if exported_model(target, fmt) is None:
                raise
    finally:
        if work.exists():
            shutil.rmtree(work, ignore_errors=True)
    found = exported_model(target, fmt)
    if found is None:
        raise InputError(f"the cached {fmt} export in {target} is incomplete; delete that folder", resolved.path)
    return found


INT8_MIN_MATCH = 0.9
"""Share of FP32 boxes the int8 export must reproduce (IoU >= 0.5, same class) for ``auto`` to pick it."""

INT8_REPORT = "int8_accuracy.json"


@dataclass(frozen=True)
class Int8Export:
    """A cached int8 OpenVINO export and how closely it reproduced the FP32 export's boxes."""

    model: Path
    match_rate: float | None  # None: the FP32 model found no box on the calibration tiles
    fp32_boxes: int
    int8_boxes: int
    tiles: int

    @property
    def accurate(self) -> bool:
        return self.match_rate is not None and self.match_rate >= INT8_MIN_MATCH


def calibration_tiles(images: Iterable[np.ndarray | str | Path], imgsz: int, limit: int = 64) -> list[np.ndarray]:
    """Up to ``limit`` imgsz x imgsz RGB tiles, cut from ``images`` (arrays, image files or folders).

    Large images are cut into a grid of full tiles as the slicer would; small ones are letterboxed
    as the predictor would, so calibration sees the inputs the network will see.
    """
    tiles: list[np.ndarray] = []
    for image in _calibration_images(images):
        h, w = image.shape[:2]
        if h < imgsz or w < imgsz:
            box = Letterbox.plan(h, w, imgsz, imgsz, 32, fixed=True)
            tiles.append(box.apply([image])[0])
        else:
            for y in range(0, h - imgsz + 1, imgsz):
                for x in range(0, w - imgsz + 1, imgsz):
                    tile = image[y : y + imgsz, x : x + imgsz]
                    if tile.std() > 1.0:  # blank (nodata) tiles teach the quantizer nothing
                        tiles.append(np.ascontiguousarray(tile))
        if len(tiles) >= limit:
            break
    return tiles[:limit]


def _calibration_images(images: Iterable[np.ndarray | str | Path]) -> Iterator[np.ndarray]:
    for item in images:
        if isinstance(item, np.ndarray):
            yield item
            continue
        path = Path(item)
        files = sorted(p for p in path.rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES) if path.is_dir() else [path]
        for file in files:
            yield _read_rgb(file)


IMAGE_SUFFIXES = frozenset({".jpg", ".jpeg", ".png", ".tif", ".tiff", ".bmp", ".webp"})


def _read_rgb(path: Path) -> np.ndarray:
    # OpenCV, not PIL: ultralytics patches PIL.Image.open to fetch a HEIF plugin on unknown files.
    from borderwatch.datasets.model import read_rgb

    return read_rgb(path)


def _batches(tiles: list[np.ndarray], batch: int) -> list[np.ndarray]:
    """NCHW float32 batches in [0, 1], the last one padded by repeating tiles (the input is fixed)."""
    out = []
    for start in range(0, len(tiles), batch):
        chunk = tiles[start : start + batch]
        chunk = chunk + [chunk[k % len(chunk)] for k in range(batch - len(chunk))]
        out.append(np.stack(chunk).transpose(0, 3, 1, 2).astype(np.float32) / 255.0)
    return out


def _head_ignored_scope(ov_model):
    """The Detect head stays FP32, as in ultralytics' own int8 export: its box decoding loses most."""
    import nncf

    ops = ov_model.get_ordered_ops()
    sigmoids = [op.get_friendly_name() for op in ops if op.get_type_name() == "Sigmoid"]
    if not sigmoids:
        return None
    head = sigmoids[-1].split("/", 1)[0]
    return nncf.IgnoredScope(
        names=[
            op.get_friendly_name()
            for op in ops
            if op.get_type_name() == "Sigmoid" or op.get_friendly_name().startswith((f"{head}/", f"{head}.dfl"))
        ]
    )


def _boxes(compiled, batches: list[np.ndarray], n_tiles: int, conf: float = 0.25) -> list[np.ndarray]:
    """Per tile, (k, 6) [x1, y1, x2, y2, score, class] after ultralytics' NMS."""
    import torch
    from ultralytics.utils.nms import non_max_suppression

    out: list[np.ndarray] = []
    for batch in batches:
        pred = torch.from_numpy(np.asarray(compiled(batch)[0]))
        out += [d[:, :6].numpy() for d in non_max_suppression(pred, conf_thres=conf, iou_thres=0.7, max_time_img=3600.0)]
    return out[:n_tiles]


def match_boxes(reference: list[np.ndarray], other: list[np.ndarray], iou: float = 0.5) -> tuple[int, int, int]:
    """(matched, reference boxes, other boxes): greedy one-to-one matches of the same class at ``iou``."""
    matched = n_ref = n_other = 0
    for ref, oth in zip(reference, other, strict=True):
        n_ref, n_other = n_ref + len(ref), n_other + len(oth)
        if not len(ref) or not len(oth):
            continue
        ious = iou_matrix(ref[:, :4], oth[:, :4])
        ious[ref[:, 5][:, None] != oth[:, 5][None, :]] = 0.0
        used: set[int] = set()
        for i in np.argsort(-ref[:, 4]):
            for j in np.argsort(-ious[i]):
                if ious[i, j] < iou:
                    break
                if j not in used:
                    used.add(int(j))
                    matched += 1
                    break
    return matched, n_ref, n_other


def read_int8_export(folder: Path) -> Int8Export | None:
    model = exported_model(folder, "openvino")
    report = folder / INT8_REPORT
    if model is None or not report.is_file():
        return None
    data = json.loads(report.read_text())
    return Int8Export(model, data["match_rate"], data["fp32_boxes"], data["int8_boxes"], data["tiles"])


def export_int8_for_cpu(
    resolved: ResolvedModel,
    calibration: Iterable[np.ndarray | str | Path] | None,
    imgsz: int = 640,
    batch: int = 8,
    cache_dir: Path | None = None,
    max_tiles: int = 64,
) -> Int8Export:
    """An int8 OpenVINO export of ``resolved``'s .pt weights, quantized by NNCF, made once and cached.

    NNCF's post-training quantization calibrates on ``calibration`` (RGB arrays, image files or
    folders; real imagery of the kind to be processed — a synthetic set would calibrate the
    activation ranges to noise). The quantized model's boxes on those tiles are compared with the
    FP32 export's and the match rate is stored beside it. The first calibration set made the
    cached export; later calls reuse it and need no calibration. At most ``max_tiles`` tiles are
    used (NNCF's statistics settle well before that on a detector this size).
    """
    if resolved.format != "pt":
        raise ConfigError(f"int8 export needs .pt weights, got {resolved.format}", resolved.path)
    ensure_loadable(resolved)  # before anything, even a cached export: it was made from these weights
    target = export_dir(resolved, "openvino-int8", imgsz, batch, cache_dir)
    done = read_int8_export(target)
    if done is not None:
        return done
    try:
        import nncf
    except ImportError as exc:
        raise ConfigError("the openvino-int8 runtime needs nncf (pip install nncf)") from exc
    tiles = calibration_tiles(calibration or [], imgsz, max_tiles)
    if not tiles:
        raise ConfigError(
            "the openvino-int8 runtime needs calibration images (real imagery like the frames to process) "
            "the first time; none were given",
            resolved.path,
        )
    fp32_dir = export_for_cpu(resolved, "openvino", imgsz=imgsz, batch=batch, cache_dir=cache_dir)
    import openvino as ov

    core = ov.Core()
    fp32 = core.read_model(openvino_xml(fp32_dir))
    batches = _batches(tiles, batch)
    nncf_logger = logging.getLogger("nncf")
    level = nncf_logger.level
    nncf_logger.setLevel(max(level, logging.WARNING))  # it logs every op it leaves unquantized
    try:
        quantized = nncf.quantize(
            fp32,
            nncf.Dataset(batches),  # each sample is one fixed-shape batch
            preset=nncf.QuantizationPreset.MIXED,
            subset_size=len(batches),
            ignored_scope=_head_ignored_scope(fp32),
        )
    finally:
        nncf_logger.setLevel(level)
    ref = _boxes(core.compile_model(fp32, "CPU"), batches, len(tiles))
    got = _boxes(core.compile_model(quantized, "CPU"), batches, len(tiles))
    matched, n_ref, n_got = match_boxes(ref, got)
    # Matched over the larger count, so both missed and extra boxes lower the rate.
    rate = matched / max(n_ref, n_got) if n_ref else None
    report = {"match_rate": rate, "fp32_boxes": n_ref, "int8_boxes": n_got, "matched": matched, "tiles": len(tiles)}

    target.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    try:
        model_dir = work / fp32_dir.name.replace("_openvino_model", "_int8_openvino_model")
        model_dir.mkdir()
        ov.save_model(quantized, model_dir / openvino_xml(fp32_dir).name, compress_to_fp16=False)
        shutil.copyfile(fp32_dir / "metadata.yaml", model_dir / "metadata.yaml")
        (work / INT8_REPORT).write_text(json.dumps(report, indent=1))
        try:
            os.replace(work, target)
        except OSError:
            if read_int8_export(target) is None:
                raise
    finally:
        if work.exists():
            shutil.rmtree(work, ignore_errors=True)
    found = read_int8_export(target)
    if found is None:
        raise InputError(f"the cached int8 export in {target} is incomplete; delete that folder", resolved.path)
    return found
