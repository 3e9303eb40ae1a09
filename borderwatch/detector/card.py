"""Model cards: what a model is, where it comes from, what it maps to, and how well it measured.

One YAML file per model in ``models/`` (and in ``$BORDERWATCH_MODELS``). The registry resolves models
from these cards; the geo stage reads ``metrics.per_class`` precision and recall to calibrate counts.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from borderwatch.errors import InputError


class ClassMetrics(BaseModel):
    model_config = ConfigDict(extra="allow")

    ap50: float | None = None
    ap50_95: float | None = None
    precision: float | None = Field(None, description="at the operating threshold")
    recall: float | None = Field(None, description="at the operating threshold")
    n_true: int | None = Field(None, description="ground-truth boxes the precision/recall were measured on")
    n_pred: int | None = Field(None, description="predicted boxes at the operating threshold")


class Metrics(BaseModel):
    model_config = ConfigDict(extra="allow")

    dataset: str | None = None
    split: str | None = None
    gsd_m: float | None = Field(None, description="ground sample distance the metrics were measured at")
    operating_threshold: float | None = None
    map50: float | None = None
    map50_95: float | None = None
    count_mae: float | None = Field(None, description="mean absolute per-image count error")
    total_count_rel_error: float | None = None
    per_class: dict[str, ClassMetrics] = Field(default_factory=dict, description="taxonomy class -> metrics")


class ModelCard(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str
    description: str = ""
    format: Literal["pt", "onnx", "openvino", "torchscript", "engine"] = "pt"
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
    metrics: list[Metrics] = Field(default_factory=list, description="one entry per evaluation (native, 30 cm, ...)")

    def class_metrics(self, vehicle_class: str, gsd_m: float | None = None) -> ClassMetrics | None:
        """Precision/recall of a class from the evaluation closest to ``gsd_m`` (or the first)."""
        candidates = [m for m in self.metrics if vehicle_class in m.per_class]
        if not candidates:
            return None
        if gsd_m is not None:
            # An evaluation that did not record its GSD matches no scale better than one that did.
            candidates.sort(key=lambda m: abs(m.gsd_m - gsd_m) if m.gsd_m is not None else float("inf"))
        return candidates[0].per_class[vehicle_class]


def load_card(path: str | Path) -> ModelCard:
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise InputError(f"cannot read model card: {exc}", path) from exc
    if not isinstance(data, dict):
        raise InputError("model card must be a YAML mapping", path)
    try:
        return ModelCard.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise InputError(f"invalid model card at {where}: {first['msg']}", path) from exc


def dump_card(card: ModelCard) -> str:
    return yaml.safe_dump(card.model_dump(exclude_none=True), sort_keys=False, allow_unicode=True)
