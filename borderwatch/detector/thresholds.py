"""Per-class operating thresholds: one score threshold per taxonomy class, and the filter that applies them.

A model card may give some classes their own threshold (``inference.conf_per_class``): an overhead
model whose car threshold finds no trucks keeps its trucks at a lower one. ``detect`` then predicts at
the lowest of the thresholds (``SliceParams.resolved`` makes that the run's ``conf``) and
``ThresholdFilter`` drops, tile by tile and before boxes are merged, each box whose score is under its
class's threshold. Per class that is exactly what a run at that class's threshold keeps (NMS is per
class, and merging never joins boxes of different classes unless ``class_agnostic``), so the card's
precision-recall table at that threshold describes it. A user's ``--conf`` means one threshold for
every class: the card's per-class map is then not used.

Merge methods follow the same rule (``inference.merge_per_class``, ``ClassMerge``): machines parked side
by side merge better by NMS, which keeps them apart, while cars keep IoS, which joins a car cut by tiles.
``merging.merge_by_class`` runs each class's subset with its method, which per class is exactly a run
with that method. A user's ``--merge`` is one method for every class; so is class-agnostic merging
(``merge`` for all), which compares boxes across classes.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from borderwatch.detector.options import MergeMethod
from borderwatch.detector.types import Detections, Predictor
from borderwatch.taxonomy import ClassMapping, fold


@dataclass(frozen=True)
class ClassThresholds:
    """``default`` for every class but those in ``per_class`` (taxonomy class -> its threshold)."""

    default: float
    per_class: Mapping[str, float] = field(default_factory=dict)

    def of(self, vehicle_class: str | None) -> float:
        return float(self.per_class.get(vehicle_class, self.default)) if vehicle_class else float(self.default)

    @property
    def lowest(self) -> float:
        return float(min([self.default, *self.per_class.values()]))

    @property
    def uniform(self) -> bool:
        return all(abs(v - self.default) < 1e-9 for v in self.per_class.values())

    @property
    def exceptions(self) -> dict[str, float]:
        """The classes kept at a threshold of their own, as run.json and the card record them (empty: one
        threshold for every class)."""
        return {} if self.uniform else dict(self.per_class)

    def hash_part(self) -> str | None:
        """The resume key's share of them: None for one threshold (the run's conf says it all)."""
        if self.uniform:
            return None
        return "class_conf=" + json.dumps({"default": self.default, **dict(sorted(self.per_class.items()))}, sort_keys=True)


def class_thresholds(user_conf: float | None, inference=None, fallback: float = 0.25) -> ClassThresholds:
    """The thresholds of a run: ``user_conf`` (``--conf``) for every class when given, else the card's
    ``inference.conf`` (``fallback`` when it has none) with its ``conf_per_class`` exceptions."""
    if user_conf is not None:
        return ClassThresholds(float(user_conf))
    conf = getattr(inference, "conf", None)
    per = dict(getattr(inference, "conf_per_class", None) or {})
    return ClassThresholds(float(conf if conf is not None else fallback), {k: float(v) for k, v in per.items()})


@dataclass(frozen=True)
class ClassMerge:
    """``default`` merge method for every class but those in ``per_class`` (taxonomy class -> its method)."""

    default: MergeMethod = "ios"
    per_class: Mapping[str, MergeMethod] = field(default_factory=dict)

    def of(self, vehicle_class: str | None) -> MergeMethod:
        return self.per_class.get(vehicle_class, self.default) if vehicle_class else self.default

    @property
    def exceptions(self) -> dict[str, MergeMethod]:
        """The classes merged by a method other than ``default``, as run.json records them (empty: one method)."""
        return {k: v for k, v in sorted(self.per_class.items()) if v != self.default}

    @property
    def uniform(self) -> bool:
        return not self.exceptions

    def hash_part(self) -> str | None:
        """The resume key's share: None for one method (the run's ``merge`` says it all)."""
        return None if self.uniform else "class_merge=" + json.dumps(self.exceptions, sort_keys=True)

    def by_id(self, names: Mapping[int, str], mapping: ClassMapping) -> dict[int, MergeMethod]:
        """Source class id -> its method, for the ids whose taxonomy class has one of its own
        (``merging.merge_by_class``'s ``methods``)."""
        own = self.exceptions
        out: dict[int, MergeMethod] = {}
        for k, name in names.items():
            method = own.get(mapping.table.get(fold(name)))
            if method is not None:
                out[int(k)] = method
        return out


def class_merge(user_merge: MergeMethod | None, inference=None, class_agnostic: bool = False,
                fallback: MergeMethod = "ios") -> ClassMerge:
    """The merge methods of a run: ``user_merge`` (``--merge``) for every class when given, else the card's
    ``inference.merge`` (``fallback`` when it has none) with its ``merge_per_class`` exceptions; one
    method for all with ``class_agnostic``."""
    if user_merge is not None:
        return ClassMerge(user_merge)
    merge = getattr(inference, "merge", None) or fallback
    per = {} if class_agnostic else dict(getattr(inference, "merge_per_class", None) or {})
    return ClassMerge(merge, per)


class ThresholdFilter:
    """A predictor whose boxes are kept only at or above their class's threshold.

    Source classes map to the taxonomy with ``mapping`` (the model's own, as the card gives it);
    a class that maps nowhere keeps the default threshold (it is dropped later, and counted, as before).
    Everything else (``runtime``, ``task``, ``warmup`` ...) is the wrapped predictor's.
    """

    def __init__(self, inner: Predictor, mapping: ClassMapping, thresholds: ClassThresholds):
        self.inner = inner
        self.mapping = mapping
        self.thresholds = thresholds
        self._lut: np.ndarray | None = None

    @property
    def names(self) -> dict[int, str]:
        return self.inner.names

    def __getattr__(self, name: str):
        if name == "inner":  # not set yet (unpickling): no recursion
            raise AttributeError(name)
        return getattr(self.inner, name)

    def lut(self) -> np.ndarray:
        """Source class id -> threshold."""
        if self._lut is None:
            names = self.inner.names
            lut = np.full((max(names) + 1) if names else 1, self.thresholds.default, np.float64)
            for k, name in names.items():
                lut[int(k)] = self.thresholds.of(self.mapping.table.get(fold(name)))
            self._lut = lut
        return self._lut

    def predict(self, tiles: list[np.ndarray]) -> list[Detections]:
        lut = self.lut()
        out = []
        for det in self.inner.predict(tiles):
            if len(det):
                ids = np.clip(det.class_ids, 0, len(lut) - 1)
                keep = det.scores >= lut[ids]  # the comparison the engine makes with the run's conf
                det = det if keep.all() else det.take(keep)
            out.append(det)
        return out


def output_classes(mapping: ClassMapping, names: Mapping[int, str] | None) -> list[str]:
    """The taxonomy classes a model with class ``names`` can output under ``mapping``; with the names
    unknown (every frame resumed, the model never loaded), every class the mapping maps to."""
    from borderwatch.taxonomy import CLASSES

    if names:
        found = {mapping.table.get(fold(n)) for n in names.values()}
    else:
        found = set(mapping.table.values())
    return [c for c in CLASSES if c in found]
