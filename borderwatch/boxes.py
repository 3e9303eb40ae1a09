"""Overlap measures of boxes: the one implementation of IoU and IoS in the project.

Boxes are axis-aligned ``(x_min, y_min, x_max, y_max)`` rows of an ``(n, 4)`` array in any unit.
A box with a negative extent counts as empty (area 0, no intersection with anything), so measures
of degenerate boxes are 0, never negative or NaN. Rotated boxes (overhead imagery) get their own
functions here, beside these, with the same names and a ``rotated_`` prefix.
"""

from __future__ import annotations

import numpy as np

EPS = 1e-12
"""Floor of a denominator: two empty boxes have IoU 0, not NaN."""


def box_areas(boxes: np.ndarray) -> np.ndarray:
    """Area of each box (0 for a degenerate one)."""
    boxes = np.asarray(boxes, np.float64).reshape(-1, 4)
    return np.clip(boxes[:, 2] - boxes[:, 0], 0, None) * np.clip(boxes[:, 3] - boxes[:, 1], 0, None)


def intersection_matrix(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``(n, m)`` intersection areas of every box of ``a`` with every box of ``b``."""
    a = np.asarray(a, np.float64).reshape(-1, 4)
    b = np.asarray(b, np.float64).reshape(-1, 4)
    w = np.minimum(a[:, None, 2], b[None, :, 2]) - np.maximum(a[:, None, 0], b[None, :, 0])
    h = np.minimum(a[:, None, 3], b[None, :, 3]) - np.maximum(a[:, None, 1], b[None, :, 1])
    return np.clip(w, 0, None) * np.clip(h, 0, None)


def iou_matrix(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``(n, m)`` intersection over union."""
    inter = intersection_matrix(a, b)
    union = box_areas(a)[:, None] + box_areas(b)[None, :] - inter
    return inter / np.maximum(union, EPS)


def ios_matrix(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``(n, m)`` intersection over the smaller of the two boxes (a sliver inside a box has IoS 1)."""
    inter = intersection_matrix(a, b)
    smaller = np.minimum(box_areas(a)[:, None], box_areas(b)[None, :])
    return inter / np.maximum(smaller, EPS)


def pair_overlaps(boxes: np.ndarray, i: np.ndarray, j: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(intersection, IoU, IoS) of the box pairs ``(boxes[i], boxes[j])``, without an n x n matrix."""
    boxes = np.asarray(boxes, np.float64).reshape(-1, 4)
    w = np.minimum(boxes[i, 2], boxes[j, 2]) - np.maximum(boxes[i, 0], boxes[j, 0])
    h = np.minimum(boxes[i, 3], boxes[j, 3]) - np.maximum(boxes[i, 1], boxes[j, 1])
    inter = np.clip(w, 0, None) * np.clip(h, 0, None)
    area = box_areas(boxes)
    ai, aj = area[i], area[j]
    with np.errstate(divide="ignore", invalid="ignore"):
        iou = np.where(ai + aj - inter > 0, inter / (ai + aj - inter), 0.0)
        ios = np.where(np.minimum(ai, aj) > 0, inter / np.minimum(ai, aj), 0.0)
    return inter, iou, ios


def box_corners(boxes: np.ndarray) -> np.ndarray:
    """``(n, 4, 2)`` corners of axis-aligned boxes: (x0, y0), (x1, y0), (x1, y1), (x0, y1)."""
    b = np.asarray(boxes, np.float64).reshape(-1, 4)
    return np.stack([b[:, [0, 1]], b[:, [2, 1]], b[:, [2, 3]], b[:, [0, 3]]], axis=1)


# ---------------------------------------------------------------- rotated boxes
# Oriented boxes are ``(n, 4, 2)`` arrays of corner points (x, y), in order around the box. Their
# axis-aligned bounds serve as the cheap candidate filter; overlaps are exact polygon areas.


def xywhr_to_corners(xywhr: np.ndarray) -> np.ndarray:
    """``(n, 4, 2)`` corners of ``(cx, cy, w, h, angle in radians)`` rows (ultralytics' xywhr order)."""
    xywhr = np.asarray(xywhr, np.float64).reshape(-1, 5)
    cx, cy, w, h, r = xywhr.T
    cos, sin = np.cos(r), np.sin(r)
    # half-extent vectors along the box's own axes
    ux, uy = w / 2 * cos, w / 2 * sin
    vx, vy = -h / 2 * sin, h / 2 * cos
    corners = np.stack(
        [
            np.stack([cx + ux + vx, cy + uy + vy], -1),
            np.stack([cx + ux - vx, cy + uy - vy], -1),
            np.stack([cx - ux - vx, cy - uy - vy], -1),
            np.stack([cx - ux + vx, cy - uy + vy], -1),
        ],
        axis=1,
    )
    return corners


def corner_bounds(corners: np.ndarray) -> np.ndarray:
    """``(n, 4)`` axis-aligned bounds (x_min, y_min, x_max, y_max) of oriented boxes."""
    corners = np.asarray(corners, np.float64).reshape(-1, 4, 2)
    return np.concatenate([corners.min(axis=1), corners.max(axis=1)], axis=1)


def rotated_areas(corners: np.ndarray) -> np.ndarray:
    """Area of each oriented box (shoelace formula; 0 for a degenerate one)."""
    c = np.asarray(corners, np.float64).reshape(-1, 4, 2)
    x, y = c[..., 0], c[..., 1]
    return np.abs(np.sum(x * np.roll(y, -1, axis=1) - np.roll(x, -1, axis=1) * y, axis=1)) / 2


def _polygons(corners: np.ndarray):
    import shapely

    c = np.asarray(corners, np.float64).reshape(-1, 4, 2)
    closed = np.concatenate([c, c[:, :1]], axis=1)
    return shapely.make_valid(shapely.polygons(closed))


def rotated_pair_overlaps(
    corners: np.ndarray, i: np.ndarray, j: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(intersection, IoU, IoS) of the oriented box pairs ``(corners[i], corners[j])``: exact polygon areas."""
    import shapely

    i, j = np.asarray(i, np.int64), np.asarray(j, np.int64)
    if len(i) == 0:
        empty = np.zeros(0, np.float64)
        return empty, empty, empty
    polygons = _polygons(corners)
    inter = shapely.area(shapely.intersection(polygons[i], polygons[j])).astype(np.float64)
    area = rotated_areas(corners)
    ai, aj = area[i], area[j]
    with np.errstate(divide="ignore", invalid="ignore"):
        iou = np.where(ai + aj - inter > 0, inter / (ai + aj - inter), 0.0)
        ios = np.where(np.minimum(ai, aj) > 0, inter / np.minimum(ai, aj), 0.0)
    return inter, iou, ios


def rotated_iou_matrix(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``(n, m)`` IoU of oriented boxes ``a`` (n, 4, 2) and ``b`` (m, 4, 2)."""
    a = np.asarray(a, np.float64).reshape(-1, 4, 2)
    b = np.asarray(b, np.float64).reshape(-1, 4, 2)
    n, m = len(a), len(b)
    if n == 0 or m == 0:
        return np.zeros((n, m))
    i, j = np.divmod(np.arange(n * m), m)
    _, iou, _ = rotated_pair_overlaps(np.concatenate([a, b]), i, j + n)
    return iou.reshape(n, m)


def enclosing_rotated_box(corners: np.ndarray) -> np.ndarray:
    """``(4, 2)`` corners of the smallest rotated rectangle holding all the given oriented boxes."""
    import shapely

    hull = shapely.multipoints(np.asarray(corners, np.float64).reshape(-1, 2))
    rect = shapely.minimum_rotated_rectangle(hull)
    coords = np.asarray(rect.exterior.coords if rect.geom_type == "Polygon" else [], np.float64)
    if len(coords) < 5:  # points on a line: fall back to the axis-aligned bounds
        x0, y0, x1, y1 = corner_bounds(np.asarray(corners).reshape(-1, 4, 2)).T
        x0, y0, x1, y1 = x0.min(), y0.min(), x1.max(), y1.max()
        return np.array([[x0, y0], [x1, y0], [x1, y1], [x0, y1]], np.float64)
    return coords[:4]
