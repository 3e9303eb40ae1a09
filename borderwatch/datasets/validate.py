"""Validation of a labeled dataset: what is wrong, where, and a cleaned copy on request.

Problems found while reading (unreadable label lines, label files without images, images that are
missing or cannot be read) come from the readers as issues; this module adds the checks on the boxes
themselves: out of the image, empty or degenerate, duplicated.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import numpy as np

from borderwatch.boxes import iou_matrix
from borderwatch.datasets.model import Issue, LabeledDataset

OUT_OF_BOUNDS_TOLERANCE_PX = 1.0  # labelling tools round; a pixel over the edge is not an error
DUPLICATE_IOU = 0.95


@dataclass
class ValidationReport:
    n_images: int
    n_boxes: int
    issues: list[Issue] = field(default_factory=list)

    @property
    def counts(self) -> dict[str, int]:
        return dict(Counter(i.kind for i in self.issues))

    @property
    def ok(self) -> bool:
        return not self.issues

    def to_dict(self) -> dict:
        return {"images": self.n_images, "boxes": self.n_boxes, "ok": self.ok, "counts": self.counts,
                "issues": [{"kind": i.kind, "path": i.path, "line": i.line, "detail": i.detail}
                           for i in self.issues]}

    def lines(self, limit: int = 50) -> list[str]:
        head = [f"{self.n_images} images, {self.n_boxes} boxes, {len(self.issues)} issues"]
        head += [f"  {k}: {n}" for k, n in sorted(self.counts.items())]
        return head + [str(i) for i in self.issues[:limit]] + (
            [f"... {len(self.issues) - limit} more"] if len(self.issues) > limit else [])


def box_problems(boxes: np.ndarray, labels: np.ndarray, width: int, height: int,
                 min_side_px: float = 1.0) -> dict[str, np.ndarray]:
    """Boolean masks over the boxes: out_of_bounds, degenerate, duplicate (a later copy of an earlier box)."""
    n = len(boxes)
    if n == 0:
        empty = np.zeros(0, dtype=bool)
        return {"box out of bounds": empty, "empty or degenerate box": empty, "duplicate label": empty}
    tol = OUT_OF_BOUNDS_TOLERANCE_PX + 1e-6  # label files store rounded decimals
    oob = (boxes[:, 0] < -tol) | (boxes[:, 1] < -tol) | (boxes[:, 2] > width + tol) | (boxes[:, 3] > height + tol)
    degenerate = ((boxes[:, 2] - boxes[:, 0]) < min_side_px) | ((boxes[:, 3] - boxes[:, 1]) < min_side_px)
    degenerate |= ~np.isfinite(boxes).all(axis=1)
    dup = np.zeros(n, dtype=bool)
    if n > 1:
        b = np.nan_to_num(boxes)
        iou = iou_matrix(b, b)
        same = labels[:, None] == labels[None, :]
        later = np.triu(np.ones((n, n), dtype=bool), k=1)
        dup = ((iou >= DUPLICATE_IOU) & same & later).any(axis=0)
    return {"box out of bounds": oob, "empty or degenerate box": degenerate & ~oob, "duplicate label": dup}


def validate(ds: LabeledDataset, min_side_px: float = 1.0) -> ValidationReport:
    """Every problem in ``ds`` (read-time issues first, then box checks per image)."""
    report = ValidationReport(n_images=len(ds.images), n_boxes=sum(len(im.boxes) for im in ds.images),
                              issues=list(ds.issues))
    for im in ds.images:
        where = str(im.path) if im.path else im.name
        if im.width <= 0 or im.height <= 0:
            report.issues.append(Issue("unreadable image", where, f"size {im.width}x{im.height}"))
            continue
        for kind, mask in box_problems(im.boxes, im.labels, im.width, im.height, min_side_px).items():
            for k in np.where(mask)[0]:
                x1, y1, x2, y2 = im.boxes[k]
                report.issues.append(Issue(kind, where, f"box #{k} class {ds.classes[int(im.labels[k])]} "
                                                        f"[{x1:.1f}, {y1:.1f}, {x2:.1f}, {y2:.1f}]"))
    return report


def clean(ds: LabeledDataset, min_side_px: float = 1.0) -> tuple[LabeledDataset, Counter]:
    """A copy with boxes clipped to the image, degenerate and duplicate boxes removed; what changed."""
    changes: Counter = Counter()
    out = LabeledDataset(classes=list(ds.classes), name=ds.name, issues=list(ds.issues))
    for im in ds.images:
        boxes = im.boxes.copy()
        if len(boxes):
            before = boxes.copy()
            boxes[:, [0, 2]] = np.clip(boxes[:, [0, 2]], 0, im.width)
            boxes[:, [1, 3]] = np.clip(boxes[:, [1, 3]], 0, im.height)
            changes["clipped"] += int((np.abs(before - boxes) > 1e-9).any(axis=1).sum())
        problems = box_problems(boxes, im.labels, im.width, im.height, min_side_px)
        drop = problems["empty or degenerate box"] | problems["duplicate label"]
        changes["removed degenerate"] += int(problems["empty or degenerate box"].sum())
        changes["removed duplicate"] += int((problems["duplicate label"] & ~problems["empty or degenerate box"]).sum())
        out.images.append(im.with_boxes(boxes[~drop], im.labels[~drop]))
    return out, changes
