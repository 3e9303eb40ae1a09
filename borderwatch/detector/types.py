"""The small types the detection engine is built from.

A ``Predictor`` turns a batch of RGB tiles into per-tile detections; a ``TileSource`` hands out
windows of a frame without ever holding the whole frame (a raster reads each window from disk).
The sliced engine (``borderwatch.detector.sliced``) only sees these two protocols, so tests drive it
with a deterministic stand-in predictor and an in-memory source.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

import numpy as np

from borderwatch.boxes import box_corners
from borderwatch.tiling import Window


@dataclass
class Detections:
    """Boxes in pixel coordinates (x_min, y_min, x_max, y_max), one row per detection.

    ``class_ids`` index the predictor's ``names``. Oriented-box models also give ``corners``: the
    (n, 4, 2) corner points of each rotated box; ``boxes`` are then their axis-aligned bounds
    (clipped to the tile), which every consumer of plain boxes reads. None for axis-aligned models.
    """

    boxes: np.ndarray  # float32, shape (n, 4)
    scores: np.ndarray  # float32, shape (n,)
    class_ids: np.ndarray  # int64, shape (n,)
    corners: np.ndarray | None = None  # float32, shape (n, 4, 2), or None

    @classmethod
    def empty(cls) -> Detections:
        return cls(np.zeros((0, 4), np.float32), np.zeros(0, np.float32), np.zeros(0, np.int64))

    def __len__(self) -> int:
        return int(self.boxes.shape[0])

    def shifted(self, dx: float, dy: float) -> Detections:
        corners = None if self.corners is None else self.corners + np.array([dx, dy], np.float32)
        return Detections(self.boxes + np.array([dx, dy, dx, dy], np.float32), self.scores, self.class_ids, corners)

    def take(self, index: np.ndarray) -> Detections:
        corners = None if self.corners is None else self.corners[index]
        return Detections(self.boxes[index], self.scores[index], self.class_ids[index], corners)

    @staticmethod
    def concat(parts: list[Detections]) -> Detections:
        if not parts:
            return Detections.empty()
        corners = None
        if any(p.corners is not None for p in parts):
            # a part without corners (an empty tile) stands as its boxes' rectangles
            corners = np.concatenate([p.corners if p.corners is not None else box_corners(p.boxes) for p in parts])
            corners = corners.astype(np.float32, copy=False)
        return Detections(
            np.concatenate([p.boxes for p in parts]).astype(np.float32, copy=False),
            np.concatenate([p.scores for p in parts]).astype(np.float32, copy=False),
            np.concatenate([p.class_ids for p in parts]).astype(np.int64, copy=False),
            corners,
        )


@runtime_checkable
class Predictor(Protocol):
    """Anything that detects objects in a batch of HxWx3 uint8 RGB tiles."""

    names: dict[int, str]  # class id -> source class name

    def predict(self, tiles: list[np.ndarray]) -> list[Detections]: ...


@dataclass
class TileData:
    """Pixels of one window: RGB uint8 and a mask of valid (not nodata, not transparent) pixels."""

    window: Window
    rgb: np.ndarray  # uint8, (h, w, 3)
    valid: np.ndarray | None = field(default=None)  # bool, (h, w); None means all valid


@runtime_checkable
class TileSource(Protocol):
    """A frame that can be read window by window."""

    width: int
    height: int

    def read(self, window: Window) -> TileData: ...
