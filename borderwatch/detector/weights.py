"""Weights are code: which files may be loaded, and the CPU export made once and cached.

A ``.pt`` checkpoint (and a TorchScript archive) is a pickle: unpickling it can run any code the
file's author chose. Such files load only when their sha256 is listed in a model card of the
registry or the user said ``trust_weights``. The check reads the file's bytes and hashes them; it
never unpickles, so a refused file has had no chance to run. ONNX and OpenVINO IR are data (graphs
and tensors) and need no trust.

The preferred CPU runtime is an OpenVINO (or ONNX) export of the same weights. ``export_for_cpu``
makes it once per (weights sha256, input size, batch) under the user cache, in a temporary folder
renamed into place, so a crash never leaves a half-written export that looks complete.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from borderwatch.errors import ConfigError, InputError, UntrustedWeightsError

if TYPE_CHECKING:
    from borderwatch.detector.registry import ResolvedModel

PICKLE_FORMATS = frozenset({"pt", "torchscript"})
"""Formats whose loading runs pickled code."""

FORMAT_SUFFIXES = {".pt": "pt", ".pth": "pt", ".onnx": "onnx", ".torchscript": "torchscript", ".engine": "engine"}

_CHUNK = 1 << 20


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
            "an .engine or an OpenVINO folder",
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
    digest = hashlib.sha256()
    try:
        for file in files:
            with open(file, "rb") as fh:
                while chunk := fh.read(_CHUNK):
                    digest.update(chunk)
    except OSError as exc:
        raise InputError(f"cannot read weights: {exc.strerror or exc}", path) from exc
    return digest.hexdigest()


def needs_trust(fmt: str) -> bool:
    return fmt in PICKLE_FORMATS


def ensure_loadable(resolved: ResolvedModel) -> None:
    """Raise ``UntrustedWeightsError`` unless ``resolved`` may be loaded; never unpickles anything.

    A pickle-based file must be trusted, and its bytes must still hash to the sha256 it was
    resolved with (a file swapped after resolution is refused too).
    """
    if not needs_trust(resolved.format):
        return
    if not resolved.trusted:
        raise UntrustedWeightsError(
            f"refusing to load {resolved.format} weights (a pickle can run code): sha256 "
            f"{resolved.sha256} is in no model card; pass --trust-weights if you trust this file, or "
            "use an ONNX/OpenVINO export",
            resolved.path,
        )
    actual = sha256_of(resolved.path)
    if actual != resolved.sha256:
        raise UntrustedWeightsError(
            f"weights changed since they were checked: sha256 {actual}, expected {resolved.sha256}", resolved.path
        )


CpuFormat = Literal["openvino", "onnx"]


def export_dir(resolved: ResolvedModel, fmt: CpuFormat, imgsz: int, batch: int, cache_dir: Path | None = None) -> Path:
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
        model.export(format=fmt, imgsz=imgsz, batch=batch, dynamic=False, half=False, int8=False, nms=False, verbose=False)
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
