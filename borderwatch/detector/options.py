"""Every option of detection, declared once: default, bounds and help text.

``borderwatch detect`` builds its command-line options from these fields (``cli_common.option``),
``DetectConfig`` (``borderwatch.detector.run.config``) is made of them, and the run config
(``borderwatch.pipeline.config``) embeds the same groups, so the three cannot drift:

- ``SliceParams``: slicing and thresholds, everything that decides which detections a frame yields;
- ``ModelOptions``: where the model comes from and whether it may be loaded;
- ``ReadOptions``: how frames are read and the model run on them;
- ``EngineOptions``: where frames run (this process or Ray workers).

Only pydantic is imported here, so the CLI can read the fields without loading numpy or torch.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

MergeMethod = Literal["nms", "ios"]


SLICE_DEFAULTS = {"tile_size": 640, "overlap": 0.2, "conf": 0.25, "merge": "ios"}
"""What an unset tile size, overlap, threshold or merge method means when the model card states none either."""


class SliceParams(BaseModel):
    """Everything that decides which detections a frame yields (and so goes into the resume key).

    ``tile_size``, ``overlap``, ``conf``, ``merge`` and ``model_gsd_m`` left unset (None) are taken from the
    model card's ``inference`` block (``resolved``), else from ``SLICE_DEFAULTS``. ``tile_size`` is
    in model-input pixels; for a georeferenced raster the window read from it is resized to that
    (``borderwatch.detector.scale``), so within the engine it is the window side in frame pixels.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    tile_size: int | None = Field(
        None, ge=32, description="tile side in model-input pixels (default: the model card's, else 640)"
    )
    overlap: float | None = Field(
        None, ge=0.0, lt=0.9, description="overlap between neighbouring tiles, fraction of a tile (default: card, else 0.2)"
    )
    batch_size: int = Field(8, ge=1, le=1024, description="tiles per forward pass")
    conf: float | None = Field(
        None, ge=0.0, le=1.0, description="minimum score kept, for every class (default: the model card's operating "
        "thresholds, per class where it gives them, else 0.25)"
    )
    model_gsd_m: float | None = Field(
        None,
        ge=0.0,
        description="GSD (m/px) georeferenced windows are resampled to before the model sees them (default: the model "
        "card's; 0: never resample)",
    )
    iou: float = Field(0.5, gt=0.0, le=1.0, description="IoU of the model's own NMS inside a tile")
    merge: MergeMethod | None = Field(
        None, description="nms (IoU) or ios (greedy merge by intersection over smaller), for every class (default: the "
        "model card's, per class where it gives them, else ios)"
    )
    merge_threshold: float = Field(0.5, gt=0.0, le=1.0, description="IoU (nms) or IoS (ios) at which boxes merge")
    class_agnostic: bool = Field(
        False, description="merge boxes of different classes too (with one method for all: the card's per-class "
        "methods are not used)"
    )
    max_det_per_tile: int = Field(300, ge=1, description="at most this many boxes per tile")
    min_valid_fraction: float = Field(0.05, ge=0.0, le=1.0, description="skip tiles with less valid data")
    edge_margin: float = Field(2.0, ge=0.0, description="a box this close to an interior tile edge is a cut piece")

    @model_validator(mode="after")
    def _overlap_leaves_a_step(self) -> SliceParams:
        if self.tile_size is not None and self.overlap is not None:
            if self.tile_size - round(self.tile_size * self.overlap) < 1:
                raise ValueError("overlap leaves no step between tiles")
        return self

    def resolved(self, inference=None) -> SliceParams:
        """Unset values from ``inference`` (a model card's ``inference`` block), else ``SLICE_DEFAULTS``
        (``model_gsd_m`` stays None, or 0, for no resampling). Resolving twice changes nothing."""
        update: dict = {}
        card = {"tile_size": getattr(inference, "tile", None), "overlap": getattr(inference, "overlap", None),
                "conf": _lowest_conf(inference), "merge": getattr(inference, "merge", None)}
        for name, default in SLICE_DEFAULTS.items():
            if getattr(self, name) is None:
                update[name] = card[name] if card[name] is not None else default
        gsd = self.model_gsd_m if self.model_gsd_m is not None else getattr(inference, "gsd_m", None)
        if gsd != self.model_gsd_m:
            update["model_gsd_m"] = gsd
        return self.model_copy(update=update) if update else self

    def params_hash(self, *extra: str) -> str:
        """16 hex digits over these parameters and ``extra`` (say, the model's sha256): the resume key.

        The batch size is left out: it changes speed, not detections, so a rerun with another
        ``--batch-size`` still resumes.
        """
        params = self.model_dump(mode="json", exclude={"batch_size"})
        payload = json.dumps({"params": params, "extra": list(extra)}, sort_keys=True)
        return hashlib.sha256(payload.encode()).hexdigest()[:16]


def _lowest_conf(inference) -> float | None:
    """The score the model predicts at for a card: its ``conf``, or with per-class thresholds
    (``conf_per_class``) the lowest of them; each class then keeps its own
    (``borderwatch.detector.thresholds``)."""
    conf = getattr(inference, "conf", None)
    per = getattr(inference, "conf_per_class", None) or {}
    if not per:
        return conf
    return min([conf if conf is not None else SLICE_DEFAULTS["conf"], *per.values()])


Runtime = Literal["auto", "native", "openvino", "openvino-int8", "onnx"]
Kind = Literal["auto", "photo", "overhead"]
EngineName = Literal["local", "ray"]


class ModelOptions(BaseModel):
    """Where the model comes from and whether it may be loaded."""

    model_config = ConfigDict(extra="forbid")

    models_dir: Path | None = Field(None, description="extra folder of model cards and weights, searched first")
    allow_download: bool = Field(True, description="download a registry model (sha256-checked) that is not on disk")
    trust_weights: bool = Field(
        False, description="load pickle (.pt) weights whose sha256 no model card lists (a pickle can run code)"
    )
    predictor_factory: str | None = Field(
        None,
        description="'module:callable' that returns a detector (names + predict(tiles)) given the detect config; "
        "replaces the weights lookup, the model name then only names it",
    )


class ReadOptions(BaseModel):
    """How frames are read and the model run on them."""

    model_config = ConfigDict(extra="forbid")

    device: str = Field("auto", description="auto, cpu, cuda, cuda:0 or mps")
    runtime: Runtime = Field(
        "auto",
        description="auto (OpenVINO export of .pt weights on a CPU, made once and cached; its int8 version when one "
        "is cached and matched FP32), native, openvino, openvino-int8 (needs nncf; the first time, calibration "
        "images) or onnx",
    )
    calibration: list[Path] = Field(
        default_factory=list,
        description="images or folders to calibrate the int8 export on, the first time (real frames like the ones "
        "you detect in)",
    )
    full_frame: bool = Field(False, description="run photos as one image scaled to the model input instead of sliced")
    kind: Kind = Field(
        "auto",
        description="kind of the frames a manifest does not type: photo (ground/oblique, no map footprint), "
        "overhead (georeferenced raster) or auto (TIFF -> overhead)",
    )
    tz: str = Field(
        "UTC", description="time zone of times without an offset (EXIF, manifest, TIFF tags), e.g. Asia/Pyongyang"
    )
    max_photo_megapixels: float = Field(400.0, gt=0, description="larger photos are refused (decompression bombs)")
    gdal_cache_mb: int = Field(
        64, ge=8, description="GDAL block cache while reading rasters; bounds memory whatever the raster size"
    )


class EngineOptions(BaseModel):
    """Where frames run."""

    model_config = ConfigDict(extra="forbid")

    engine: EngineName = Field(
        "local",
        description="local (frames one after another in this process) or ray (one model per Ray worker; needs the "
        "ray extra)",
    )
    ray_address: str | None = Field(
        None, description="running Ray cluster to use (ray://host:10001, host:6379 or auto); default: start a local one"
    )
    ray_workers: int | None = Field(
        None, ge=1, le=4096, description="Ray workers, each loading the model once; default: one per CPU"
    )


def fields_of(group: type[BaseModel], source: BaseModel) -> dict:
    """The values ``source`` holds for the fields of ``group`` (a run config section -> DetectConfig)."""
    return {name: getattr(source, name) for name in group.model_fields}
