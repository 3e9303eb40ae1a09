"""Model cards: what a model is, where it comes from, what it maps to, how to run it, how well it measured.

One YAML file per model in ``models/`` (and in ``$BORDERWATCH_MODELS``). The registry resolves models
from these cards; ``detect`` takes its slicing from ``inference`` (unless the user overrides it); the
geo stage calibrates counts with ``class_metrics`` at the threshold and scale detect ran at.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from borderwatch.errors import InputError


class ClassMetrics(BaseModel):
    model_config = ConfigDict(extra="allow")

    ap50: float | None = None
    ap50_95: float | None = None
    precision: float | None = Field(None, description="at the operating threshold")
    recall: float | None = Field(None, description="at the operating threshold")
    n_true: int | None = Field(None, description="ground-truth boxes the precision/recall were measured on")
    n_pred: int | None = Field(None, description="predicted boxes at the operating threshold")


class PRRow(BaseModel):
    """One row of a precision-recall table: the figures a user gets at ``threshold``."""

    model_config = ConfigDict(extra="forbid")

    threshold: float
    precision: float | None = None
    recall: float | None = None
    n_pred: int = 0
    n_true: int = 0


class Metrics(BaseModel):
    model_config = ConfigDict(extra="allow")

    dataset: str | None = None
    split: str | None = None
    gsd_m: float | None = Field(None, description="ground sample distance the metrics were measured at")
    operating_threshold: float | None = Field(None, description="threshold of the per_class figures (classes "
                                              "in class_thresholds: theirs)")
    class_thresholds: dict[str, float] = Field(default_factory=dict, description="classes whose per_class figures "
                                               "were measured at their own operating threshold")
    map50: float | None = None
    map50_95: float | None = None
    count_mae: float | None = Field(None, description="mean absolute per-image count error")
    total_count_rel_error: float | None = None
    per_class: dict[str, ClassMetrics] = Field(default_factory=dict, description="taxonomy class -> metrics")
    pr_table: dict[str, list[PRRow]] = Field(
        default_factory=dict, description="taxonomy class -> precision/recall at each threshold, ascending"
    )
    slicing: dict | None = Field(None, description="the engine settings the evaluation ran with (tile, overlap, gsd_m, ...)")


def _taxonomy_class(name: str) -> None:
    """A per-class setting's key must be a taxonomy class (ValueError naming them otherwise)."""
    from borderwatch.taxonomy import CLASSES

    if name not in CLASSES:
        raise ValueError(f"{name!r} is not a taxonomy class ({', '.join(CLASSES)})")


class Inference(BaseModel):
    """How ``detect`` runs the model unless the user says otherwise (CLI options, run config)."""

    model_config = ConfigDict(extra="forbid")

    gsd_m: float | None = Field(
        None, gt=0, description="GSD the model input should have: georeferenced windows are resampled to it"
    )
    tile: int | None = Field(None, ge=32, description="tile side in model-input pixels")
    overlap: float | None = Field(None, ge=0.0, lt=0.9, description="overlap between tiles, fraction of a tile")
    conf: float | None = Field(None, ge=0.0, le=1.0, description="operating threshold: scores below are dropped")
    conf_per_class: dict[str, float] = Field(
        default_factory=dict,
        description="taxonomy class -> its own operating threshold (the others use conf); detect predicts at the "
        "lowest and keeps each box at its class's (borderwatch.detector.thresholds)",
    )
    nms: bool = Field(True, description="False: the model is end-to-end (one box per object, no NMS)")
    merge: Literal["nms", "ios"] | None = Field(
        None, description="how boxes from overlapping tiles (and within one) are merged: nms keeps the best of "
        "overlapping boxes; ios joins them into their union (default ios)")
    merge_per_class: dict[str, Literal["nms", "ios"]] = Field(
        default_factory=dict,
        description="taxonomy class -> its own merge method (the others use merge); a user's --merge is one method "
        "for every class, and class_agnostic merging uses merge for all (borderwatch.detector.thresholds.ClassMerge)",
    )

    @field_validator("merge_per_class", mode="before")
    @classmethod
    def _known_merge_classes(cls, value):
        for name, method in (value or {}).items() if isinstance(value, dict) else ():
            _taxonomy_class(name)
            if method not in ("nms", "ios"):
                raise ValueError(f"merge method of {name} must be nms or ios, got {method!r}")
        return value

    @field_validator("conf_per_class")
    @classmethod
    def _known_classes(cls, value: dict[str, float]) -> dict[str, float]:
        for name, t in value.items():
            _taxonomy_class(name)
            if not 0.0 <= float(t) <= 1.0:
                raise ValueError(f"threshold of {name} must lie in [0, 1], got {t}")
        return {k: float(v) for k, v in value.items()}

    def threshold_of(self, vehicle_class: str) -> float | None:
        """The operating threshold of one class (its own, else ``conf``)."""
        return self.conf_per_class.get(vehicle_class, self.conf)


class EnsembleMember(BaseModel):
    """One model of a ``format: ensemble`` card and the taxonomy classes it contributes."""

    model_config = ConfigDict(extra="forbid")

    model: str = Field(description="a registry name, or a weights file relative to the card's folder")
    classes: list[str] = Field(min_length=1, description="taxonomy classes this member gives; its others are dropped")
    conf: float | None = Field(None, ge=0.0, le=1.0, description="this member's threshold (default: the run's); "
                               "only raises it: the engine drops scores under the run's")
    fallback: list[str] = Field(default_factory=list, description="models tried in order when `model` is missing")


class Fusion(BaseModel):
    """How an ensemble settles overlaps: a ``suppress`` box overlapping a ``by`` box is dropped."""

    model_config = ConfigDict(extra="forbid")

    suppress: list[str] = Field(default_factory=lambda: ["truck", "car", "bus"])
    by: list[str] = Field(default_factory=lambda: ["heavy_equipment"])
    iou: float | None = Field(0.5, ge=0.0, le=1.0, description="drop at IoU >= this (null: not by IoU)")
    ios: float | None = Field(0.7, ge=0.0, le=1.0, description="drop when this share of the suppressed box is inside (null: not)")


THRESHOLD_TOLERANCE = 0.026
"""A table row stands for thresholds this close to its own (tables are measured every 0.05)."""


class ModelCard(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str
    description: str = ""
    format: Literal["pt", "onnx", "openvino", "torchscript", "engine", "tflite", "ensemble"] = "pt"
    task: Literal["detect", "obb"] = Field("detect", description="axis-aligned (detect) or oriented (obb) boxes")
    file: str | None = Field(None, description="file or folder name, relative to the card's folder")
    url: str | None = Field(None, description="download address for users with a network")
    sha256: str | None = Field(None, description="sha256 of the file (for an OpenVINO folder: of the .xml bytes then the .bin bytes)")
    source_classes: list[str] = Field(default_factory=list, description="the model's class names, by id")
    class_source: str | None = Field(None, description="a built-in mapping: coco, visdrone, dota, xview, borderwatch")
    mapping: dict[str, str | None] = Field(default_factory=dict, description="overrides: source class -> taxonomy")
    licence: str = "unknown"
    input_size: int = 640
    kind: Literal["photo", "overhead", "any"] = "any"
    gsd_m: float | None = Field(None, description="ground sample distance the model was trained for")
    training: dict = Field(default_factory=dict, description="data, split, epochs, ... as free text")
    inference: Inference = Field(default_factory=Inference, description="detect's defaults for this model")
    metrics: list[Metrics] = Field(default_factory=list, description="one entry per evaluation (native, 30 cm, ...)")
    members: list[EnsembleMember] = Field(default_factory=list, description="format ensemble: the member models")
    fusion: Fusion = Field(default_factory=Fusion, description="format ensemble: how members' overlaps are settled")

    def _closest(self, vehicle_class: str, gsd_m: float | None) -> Metrics | None:
        candidates = [m for m in self.metrics if vehicle_class in m.per_class or vehicle_class in m.pr_table]
        if not candidates:
            return None
        def n_true(m: Metrics) -> int:
            rows = m.pr_table.get(vehicle_class) or []
            cm = m.per_class.get(vehicle_class)
            return int((cm.n_true if cm is not None else None) or (rows[0].n_true if rows else 0) or 0)

        def distance(m: Metrics) -> float:
            # An evaluation that did not record its GSD matches no scale better than one that did.
            if gsd_m is None:
                return 0.0
            return abs(m.gsd_m - gsd_m) if m.gsd_m is not None else float("inf")

        # an evaluation without ground truth of the class measured no recall of it: others first
        measured = [m for m in candidates if n_true(m) > 0]
        candidates = measured or candidates
        # nearest scale first; among evaluations at that scale, the one with the most ground truth of
        # this class (a truck figure measured on 66 trucks beats one measured on 1)
        return min(candidates, key=lambda m: (round(distance(m), 6), -n_true(m)))

    def evaluation(self, vehicle_class: str, gsd_m: float | None = None) -> Metrics | None:
        """The evaluation entry ``class_metrics`` reads a class's figures from (nearest scale, then
        the most ground truth of the class)."""
        return self._closest(vehicle_class, gsd_m)

    def class_metrics(
        self, vehicle_class: str, gsd_m: float | None = None, threshold: float | None = None
    ) -> ClassMetrics | None:
        """Precision/recall of a class from the evaluation closest to ``gsd_m`` (or the first).

        With ``threshold``, the figures are those of that evaluation's precision-recall table at the
        nearest threshold it measured (within ``THRESHOLD_TOLERANCE``); without a table there, the
        operating-threshold figures serve only when ``threshold`` is that threshold. None when the
        card has nothing there; ``class_metrics_gap`` says why.
        """
        found, _ = self._lookup(vehicle_class, gsd_m, threshold)
        return found

    def class_metrics_gap(self, vehicle_class: str, gsd_m: float | None = None, threshold: float | None = None) -> str | None:
        """Why ``class_metrics`` returns None for these arguments (None when it returns figures)."""
        return self._lookup(vehicle_class, gsd_m, threshold)[1]

    def _lookup(self, vehicle_class: str, gsd_m: float | None, threshold: float | None) -> tuple[ClassMetrics | None, str | None]:
        entry = self._closest(vehicle_class, gsd_m)
        if entry is None:
            return None, f"model card {self.name!r} has no measured figures for {vehicle_class}"
        base = entry.per_class.get(vehicle_class, ClassMetrics())
        where = f"at {entry.gsd_m:g} m" if entry.gsd_m is not None else "(GSD not recorded)"
        if threshold is None:
            return (base, None) if vehicle_class in entry.per_class else (None, f"no operating-threshold figures for {vehicle_class} {where}")
        rows = entry.pr_table.get(vehicle_class) or []
        if rows:
            row = min(rows, key=lambda r: abs(r.threshold - threshold))
            if abs(row.threshold - threshold) > THRESHOLD_TOLERANCE:
                return None, (
                    f"model card {self.name!r} measured {vehicle_class} {where} at thresholds "
                    f"{rows[0].threshold:g}-{rows[-1].threshold:g}, not at {threshold:g}"
                )
            update = {"precision": row.precision, "recall": row.recall, "n_pred": row.n_pred, "n_true": row.n_true,
                      "threshold": row.threshold, "gsd_m": entry.gsd_m}
            return base.model_copy(update=update), None
        op = entry.class_thresholds.get(vehicle_class, entry.operating_threshold)
        if op is not None and abs(op - threshold) <= THRESHOLD_TOLERANCE and vehicle_class in entry.per_class:
            return base, None
        return None, (
            f"model card {self.name!r} has no precision-recall table for {vehicle_class} {where}, and its "
            f"operating threshold ({op}) is not {threshold:g}"
        )


def load_card(path: str | Path) -> ModelCard:
    path = Path(path)
    from borderwatch.yamlsafe import load_yaml_file

    data = load_yaml_file(path, "model card", max_bytes=1 << 20)  # bounded: cards come from shared folders
    if not isinstance(data, dict):
        raise InputError("model card must be a YAML mapping", path)
    try:
        return ModelCard.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise InputError(f"invalid model card at {where}: {first['msg']}", path) from exc


def dump_card(card: ModelCard) -> str:
    exclude = None if card.format == "ensemble" else {"members", "fusion"}  # only ensembles have them
    return yaml.safe_dump(card.model_dump(exclude_none=True, exclude=exclude), sort_keys=False, allow_unicode=True)
