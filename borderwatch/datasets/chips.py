"""Cut large labeled images into fixed-size training chips, and pack small ones into a canvas.

Every chip is exactly ``size`` x ``size`` pixels (padded with grey where the image ends), because
ultralytics rescales any image whose long side differs from ``imgsz``: chips of exactly that size are
seen at their own GSD, which is the point of GSD resampling.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from borderwatch.datasets.model import LabeledImage
from borderwatch.tiling import tile_starts

PAD_VALUE = 114  # ultralytics' letterbox grey


@dataclass
class ChipStats:
    kept: int = 0
    clipped: int = 0
    dropped_cut: int = 0


def crop_boxes(boxes: np.ndarray, labels: np.ndarray, x0: float, y0: float, w: float, h: float,
               min_keep: float = 0.5) -> tuple[np.ndarray, np.ndarray, ChipStats]:
    """Boxes inside the window, shifted to its origin, clipped to it; a box cut by the edge is kept
    when at least ``min_keep`` of its area remains."""
    stats = ChipStats()
    if len(boxes) == 0:
        return boxes.reshape(0, 4), labels[:0], stats
    cx1 = np.clip(boxes[:, 0], x0, x0 + w)
    cy1 = np.clip(boxes[:, 1], y0, y0 + h)
    cx2 = np.clip(boxes[:, 2], x0, x0 + w)
    cy2 = np.clip(boxes[:, 3], y0, y0 + h)
    inter = np.maximum(cx2 - cx1, 0) * np.maximum(cy2 - cy1, 0)
    area = np.maximum((boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1]), 1e-12)
    frac = inter / area
    touching = inter > 0
    keep = touching & (frac >= min_keep - 1e-9)
    stats.kept = int(keep.sum())
    stats.clipped = int((keep & (frac < 1 - 1e-9)).sum())
    stats.dropped_cut = int((touching & ~keep).sum())
    out = np.stack([cx1 - x0, cy1 - y0, cx2 - x0, cy2 - y0], axis=1)[keep]
    return out, labels[keep], stats


def chip_image(im: LabeledImage, size: int, overlap: int = 64, min_keep: float = 0.5,
               pixels: np.ndarray | None = None, keep_empty: bool = True) -> tuple[list[LabeledImage], ChipStats]:
    """Chips of ``size`` x ``size`` covering the image; returns the chips and the box statistics."""
    rgb = pixels if pixels is not None else im.load()
    h, w = rgb.shape[:2]
    total = ChipStats()
    chips: list[LabeledImage] = []
    for y0 in tile_starts(h, size, overlap):
        for x0 in tile_starts(w, size, overlap):
            boxes, labels, st = crop_boxes(im.boxes, im.labels, x0, y0, min(size, w - x0), min(size, h - y0), min_keep)
            total.kept += st.kept
            total.clipped += st.clipped
            total.dropped_cut += st.dropped_cut
            if len(boxes) == 0 and not keep_empty:
                continue
            canvas = np.full((size, size, 3), PAD_VALUE, dtype=np.uint8)
            part = rgb[y0:y0 + size, x0:x0 + size]
            canvas[: part.shape[0], : part.shape[1]] = part
            chips.append(LabeledImage(
                name=f"{im.name}_x{x0}_y{y0}", width=size, height=size, boxes=boxes, labels=labels,
                group=im.group, gsd_m=im.gsd_m, source=im.source, pixels=canvas,
            ))
    return chips, total


def pack_images(images: list[LabeledImage], size: int, gap: int = 4, name: str = "pack") -> list[LabeledImage]:
    """Shelf-pack images no larger than ``size`` into ``size`` x ``size`` canvases, boxes offset exactly.

    Used for imagery resampled to satellite GSD, where a 640 px drone tile shrinks to ~100 px: packing
    keeps the GSD and spends the training budget on pixels instead of padding. Callers pack images of
    one group together so a canvas never mixes split groups.
    """
    canvases: list[LabeledImage] = []
    canvas = None
    boxes: list[np.ndarray] = []
    labels: list[np.ndarray] = []
    x = y = shelf_h = 0
    group = None

    def flush() -> None:
        if canvas is not None and (boxes or x or y):
            canvases.append(LabeledImage(
                name=f"{name}_{len(canvases):04d}", width=size, height=size,
                boxes=np.concatenate(boxes) if boxes else np.zeros((0, 4)),
                labels=np.concatenate(labels) if labels else np.zeros(0, dtype=np.int64),
                group=group, gsd_m=gsd, source=source, pixels=canvas,
            ))

    gsd = source = None
    for im in images:
        rgb = im.load()
        h, w = rgb.shape[:2]
        if w > size or h > size:
            raise ValueError(f"{im.name}: {w}x{h} does not fit a {size} canvas; chip it first")
        if canvas is None or x + w > size and (y + shelf_h + gap + h > size):
            flush()
            canvas = np.full((size, size, 3), PAD_VALUE, dtype=np.uint8)
            boxes, labels = [], []
            x = y = shelf_h = 0
        elif x + w > size:
            x, y, shelf_h = 0, y + shelf_h + gap, 0
        if y + h > size:
            flush()
            canvas = np.full((size, size, 3), PAD_VALUE, dtype=np.uint8)
            boxes, labels = [], []
            x = y = shelf_h = 0
        canvas[y:y + h, x:x + w] = rgb
        if len(im.boxes):
            boxes.append(im.boxes + np.array([x, y, x, y], dtype=np.float64))
            labels.append(im.labels)
        group, gsd, source = im.group, im.gsd_m, im.source
        x += w + gap
        shelf_h = max(shelf_h, h)
    flush()
    return canvases
