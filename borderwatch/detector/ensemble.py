"""A model made of other models: each member contributes some taxonomy classes, a fusion rule settles overlaps.

``borderwatch-photo`` is one: the COCO model keeps finding car, truck, bus and two_wheeler (a fine-tune
of it forgot the small dense cars), and a fine-tuned model adds heavy_equipment only. COCO reads an
excavator as a truck, so a ``suppress`` box (COCO truck/car/bus) that overlaps a ``by`` box
(heavy_equipment) by IoU >= ``iou`` or by IoS >= ``ios`` (intersection over the suppressed box's own
area: a "truck" that is the cab of the excavator) is dropped.

The card says ``format: ensemble`` with ``members`` (a registry name or a file beside the card, and
the classes it contributes) and ``fusion``; the registry resolves every member on its own (each one
goes through the one trust check) and ``load_predictor`` loads each member as it would load it alone.
Output class names are the taxonomy's, so the card maps with ``class_source: borderwatch``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from borderwatch.boxes import box_areas, intersection_matrix, iou_matrix
from borderwatch.detector.resolved import ResolvedModel
from borderwatch.detector.types import Detections, Predictor
from borderwatch.errors import ConfigError
from borderwatch.taxonomy import CLASSES, ClassMapping


@dataclass(frozen=True)
class FusionRule:
    """Drop a ``suppress`` box that overlaps a ``by`` box of another member (IoU or IoS over itself)."""

    suppress: tuple[str, ...] = ("truck", "car", "bus")
    by: tuple[str, ...] = ("heavy_equipment",)
    iou: float | None = 0.5
    ios: float | None = 0.7
    # a ``by`` box under its class's operating threshold (the card's ``conf_per_class``) is no detection and
    # suppresses nothing, however low the run predicts (``borderwatch eval`` collects far below it)
    min_score: float = 0.0

    def dropped(self, boxes: np.ndarray, classes: Sequence[str], member: np.ndarray,
                scores: np.ndarray | None = None) -> np.ndarray:
        """Boolean mask of the boxes the rule drops; ``member`` is each box's member index."""
        drop = np.zeros(len(classes), bool)
        cls = np.asarray(classes, object)
        victims = np.flatnonzero(np.isin(cls, self.suppress)) if len(cls) else np.zeros(0, int)
        strong = np.isin(cls, self.by) if len(cls) else np.zeros(0, bool)
        if scores is not None and self.min_score > 0 and len(cls):
            strong &= np.asarray(scores) >= self.min_score
        winners = np.flatnonzero(strong)
        if not len(victims) or not len(winners) or (self.iou is None and self.ios is None):
            return drop
        a, b = boxes[victims], boxes[winners]
        hit = np.zeros((len(victims), len(winners)), bool)
        if self.iou is not None:
            hit |= iou_matrix(a, b) >= self.iou
        if self.ios is not None:
            own = np.maximum(box_areas(a), 1e-9)[:, None]
            hit |= intersection_matrix(a, b) / own >= self.ios
        hit &= member[victims][:, None] != member[winners][None, :]  # a member's own NMS already settled its boxes
        drop[victims] = hit.any(axis=1)
        return drop


@dataclass
class Member:
    """One model of an ensemble: its predictor, its class mapping and the taxonomy classes it gives."""

    predictor: Predictor
    mapping: ClassMapping
    classes: tuple[str, ...]
    name: str = "member"

    def lut(self) -> np.ndarray:
        """Member class id -> output class id (-1: not contributed)."""
        ids = self.predictor.names
        size = max(ids, default=-1) + 1
        out = np.full(size, -1, np.int64)
        for i, source in ids.items():
            target = self.mapping.table.get(_fold(source))
            if target in self.classes:
                out[i] = CLASSES.index(target)
        return out


def _fold(name: str) -> str:
    from borderwatch.taxonomy import fold

    return fold(name)


class EnsemblePredictor:
    """Runs every member on the same tiles, keeps each member's contributed classes, applies the rule."""

    def __init__(self, members: Sequence[Member], fusion: FusionRule | None = None):
        if not members:
            raise ConfigError("an ensemble needs at least one member")
        for m in members:
            unknown = [c for c in m.classes if c not in CLASSES]
            if unknown:
                raise ConfigError(f"ensemble member {m.name!r} contributes unknown classes {unknown}")
        self.members = list(members)
        self.fusion = fusion or FusionRule()
        self.names: dict[int, str] = dict(enumerate(CLASSES))
        self._luts = [m.lut() for m in self.members]
        self.task = "detect"
        self.runtime = "+".join(sorted({str(getattr(m.predictor, "runtime", "native")) for m in self.members}))

    def predict(self, tiles: list[np.ndarray]) -> list[Detections]:
        if not tiles:
            return []
        per_member = [m.predictor.predict(tiles) for m in self.members]
        return [self._fuse([dets[t] for dets in per_member]) for t in range(len(tiles))]

    def _fuse(self, parts: list[Detections]) -> Detections:
        kept: list[Detections] = []
        member_ids = []
        for k, (det, lut) in enumerate(zip(parts, self._luts, strict=True)):
            if not len(det):
                continue
            ids = np.asarray(det.class_ids, np.int64)
            out = np.where((ids >= 0) & (ids < len(lut)), lut[np.clip(ids, 0, max(len(lut) - 1, 0))], -1)
            keep = out >= 0
            # oriented members are not fused here: plain boxes only (the photo path is axis-aligned)
            kept.append(Detections(det.boxes[keep], det.scores[keep], out[keep]))
            member_ids.append(np.full(int(keep.sum()), k, np.int64))
        if not kept:
            return Detections.empty()
        merged = Detections.concat(kept)
        member = np.concatenate(member_ids)
        classes = [CLASSES[i] for i in merged.class_ids]
        drop = self.fusion.dropped(merged.boxes, classes, member, merged.scores)
        return merged.take(np.flatnonzero(~drop))

    def warmup(self, tile_hw: tuple[int, int], batch: int | None = None) -> None:
        for m in self.members:
            warm = getattr(m.predictor, "warmup", None)
            if warm is not None:
                warm(tile_hw, batch)


@dataclass(frozen=True)
class ResolvedEnsemble(ResolvedModel):
    """An ensemble card resolved: every member resolved (and trust-checked) by the registry."""

    members: tuple[tuple[ResolvedModel, tuple[str, ...], float | None], ...] = field(default=())
    fusion: FusionRule = field(default_factory=FusionRule)


def ensemble_sha256(card_name: str, members: Sequence[tuple[ResolvedModel, Sequence[str], float | None]], fusion: FusionRule) -> str:
    """The ensemble's identity (resume key, run.json): its members' bytes, their classes and the rule."""
    doc = [card_name, [[m.sha256, list(c), conf] for m, c, conf in members], fusion.__dict__]
    return hashlib.sha256(json.dumps(doc, sort_keys=True, default=list).encode()).hexdigest()


def load_ensemble(resolved: ResolvedEnsemble, load_member: Callable[[ResolvedModel, float | None], Predictor]) -> EnsemblePredictor:
    """Load every member with ``load_member(member, conf)`` (the ordinary loader, its trust check
    included) and wrap them."""
    members = [
        Member(load_member(m, conf), m.mapping, tuple(classes), m.name) for m, classes, conf in resolved.members
    ]
    return EnsemblePredictor(members, resolved.fusion)
