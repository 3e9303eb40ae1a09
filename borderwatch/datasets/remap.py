"""Remap a dataset's classes onto the borderwatch taxonomy, reporting what was dropped."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import numpy as np

from borderwatch.datasets.model import LabeledDataset
from borderwatch.taxonomy import CLASSES, ClassMapping


@dataclass
class RemapReport:
    kept: Counter = field(default_factory=Counter)  # taxonomy class -> boxes
    dropped: Counter = field(default_factory=Counter)  # source class -> boxes dropped
    mapping: dict[str, str | None] = field(default_factory=dict)

    def lines(self) -> list[str]:
        out = [f"{src} -> {dst or 'dropped'}" for src, dst in self.mapping.items()]
        out += [f"dropped {n} boxes of {c!r}" for c, n in sorted(self.dropped.items())]
        return out


def remap(ds: LabeledDataset, mapping: ClassMapping) -> tuple[LabeledDataset, RemapReport]:
    """A new dataset whose class ids are the taxonomy's (``CLASSES`` order); unmapped boxes dropped."""
    report = RemapReport()
    lut = np.full(len(ds.classes), -1, dtype=np.int64)
    for i, name in enumerate(ds.classes):
        target = mapping.table.get(_fold(name))
        report.mapping[name] = target
        if target is not None:
            lut[i] = CLASSES.index(target)
    out = LabeledDataset(classes=list(CLASSES), name=ds.name, issues=list(ds.issues))
    for im in ds.images:
        new = lut[im.labels] if len(im.labels) else im.labels
        keep = new >= 0
        for c in im.labels[~keep]:
            report.dropped[ds.classes[int(c)]] += 1
        for c in new[keep]:
            report.kept[CLASSES[int(c)]] += 1
        out.images.append(im.with_boxes(im.boxes[keep], new[keep]))
    return out, report


def _fold(name: str) -> str:
    from borderwatch.taxonomy import fold

    return fold(name)
