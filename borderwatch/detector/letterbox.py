"""How a batch of tiles is resized and padded into a network input, and boxes mapped back.

Shared by the predictor (every forward pass) and the int8 calibration (which must see the inputs
the network will see).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

PAD_VALUE = 114  # ultralytics' letterbox grey, so padded borders look as they did in training


@dataclass(frozen=True)
class Letterbox:
    """How a batch of (h, w) tiles maps into the (H, W) network input."""

    gain: float
    left: int
    top: int
    out_h: int
    out_w: int
    in_h: int
    in_w: int

    @classmethod
    def plan(cls, h: int, w: int, target_h: int, target_w: int, stride: int, fixed: bool) -> Letterbox:
        gain = min(target_h / h, target_w / w)
        new_h, new_w = round(h * gain), round(w * gain)
        if fixed:
            out_h, out_w = target_h, target_w
        else:  # dynamic models take any stride multiple: pad only to the next one
            out_h = int(np.ceil(new_h / stride) * stride)
            out_w = int(np.ceil(new_w / stride) * stride)
        return cls(gain, (out_w - new_w) // 2, (out_h - new_h) // 2, out_h, out_w, h, w)

    @property
    def identity(self) -> bool:
        return self.gain == 1.0 and self.out_h == self.in_h and self.out_w == self.in_w

    def apply(self, tiles: list[np.ndarray]) -> np.ndarray:
        """Stack tiles into one (n, H, W, 3) uint8 array, resized and padded as planned."""
        if self.identity:
            return np.stack(tiles)
        import cv2

        out = np.full((len(tiles), self.out_h, self.out_w, 3), PAD_VALUE, np.uint8)
        new_h, new_w = round(self.in_h * self.gain), round(self.in_w * self.gain)
        for k, tile in enumerate(tiles):
            resized = tile if (new_h, new_w) == tile.shape[:2] else cv2.resize(
                tile, (new_w, new_h), interpolation=cv2.INTER_LINEAR
            )
            out[k, self.top : self.top + new_h, self.left : self.left + new_w] = resized
        return out

    def unmap_points(self, points: np.ndarray) -> np.ndarray:
        """(..., 2) points from network-input pixels back to tile pixels, not clipped: a rotated box
        may reach past the tile."""
        return (np.asarray(points, np.float64) - np.array([self.left, self.top], np.float64)) / self.gain

    def unmap(self, boxes: np.ndarray) -> np.ndarray:
        """Boxes from network-input pixels back to tile pixels, clipped to the tile."""
        boxes = boxes.copy()
        boxes[:, [0, 2]] = (boxes[:, [0, 2]] - self.left) / self.gain
        boxes[:, [1, 3]] = (boxes[:, [1, 3]] - self.top) / self.gain
        boxes[:, [0, 2]] = np.clip(boxes[:, [0, 2]], 0, self.in_w)
        boxes[:, [1, 3]] = np.clip(boxes[:, [1, 3]], 0, self.in_h)
        return boxes
