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


@dataclass(frozen=True)
class Window:
    """A pixel window of a frame: column and row offset, width and height."""

    col: int
    row: int
    width: int
    height: int


@dataclass
class Detections:
    """Boxes in pixel coordinates (x_min, y_min, x_max, y_max), one row per detection.

    ``class_ids`` index the predictor's ``names``.
    """

    boxes: np.ndarray  # float32, shape (n, 4)
    scores: np.ndarray  # float32, shape (n,)
    class_ids: np.ndarray  # int64, shape (n,)

    @classmethod
    def empty(cls) -> Detections:
        return cls(np.zeros((0, 4), np.float32), np.zeros(0, np.float32), np.zeros(0, np.int64))

    def __len__(self) -> int:
        return int(self.boxes.shape[0])

    def shifted(self, dx: float, dy: float) -> Detections:
        return Detections(self.boxes + np.array([dx, dy, dx, dy], np.float32), self.scores, self.class_ids)

    def take(self, index: np.ndarray) -> Detections:
        return Detections(self.boxes[index], self.scores[index], self.class_ids[index])

    @staticmethod
    def concat(parts: list[Detections]) -> Detections:
        if not parts:
            return Detections.empty()
        return Detections(
            np.concatenate([p.boxes for p in parts]).astype(np.float32, copy=False),
            np.concatenate([p.scores for p in parts]).astype(np.float32, copy=False),
            np.concatenate([p.class_ids for p in parts]).astype(np.int64, copy=False),
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
