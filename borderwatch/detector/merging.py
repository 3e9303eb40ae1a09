"""Merging detections across overlapping tiles so that one vehicle is counted once.

A vehicle near a seam is seen by two to four tiles: whole in one (when the overlap is wider than the
vehicle) and cut by the tile edge in the others. Three tools, all class-aware by default:

* :func:`drop_covered_partials` removes a box that touches an interior tile edge (so the tile saw
  only part of the vehicle) when a box from another tile that does not touch an edge covers it.
  IoU alone misses these: a sliver of a truck has a small IoU with the whole truck.
* :func:`nms` keeps the best of boxes whose IoU exceeds a threshold (torchvision's rule, ``>``).
* :func:`greedy_merge` is SAHI's GREEDYNMM: in score order each kept box absorbs the lower-scored
  boxes whose intersection over the smaller box (IoS) reaches the threshold; the result is their
  union with the best score and class. It also joins the pieces of a vehicle too long for the overlap.

Candidate pairs come from a dense matrix for small sets and from a shapely STRtree for large ones,
so a whole raster's detections (tens of thousands) merge in O(n log n) memory and time rather than
n squared. The greedy loops visit only surviving boxes and their neighbour lists.

Oriented boxes (``Detections.corners``) go through the same path: candidates from their bounds,
overlaps from the rotated polygons (``boxes.rotated_pair_overlaps``), and a merged group becomes
the smallest rotated box that holds it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np

from borderwatch.boxes import (
    box_areas,
    corner_bounds,
    enclosing_rotated_box,
    pair_overlaps,
    rotated_areas,
    rotated_pair_overlaps,
)
from borderwatch.detector.options import MergeMethod
from borderwatch.detector.types import Detections

MERGE_METHODS: tuple[str, ...] = ("nms", "ios")

DENSE_MAX = 1024  # below this many boxes an n x n matrix is cheaper than building a tree


@dataclass
class Pairs:
    """Pairs (i < j) of boxes with a positive intersection, and their overlap measures."""

    i: np.ndarray
    j: np.ndarray
    inter: np.ndarray
    iou: np.ndarray
    ios: np.ndarray  # intersection over the smaller box

    def where(self, mask: np.ndarray) -> Pairs:
        return Pairs(self.i[mask], self.j[mask], self.inter[mask], self.iou[mask], self.ios[mask])


def _candidate_pairs(boxes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Index pairs i < j of boxes whose rectangles may intersect (a superset of the true pairs)."""
    n = len(boxes)
    if n < 2:
        empty = np.zeros(0, np.int64)
        return empty, empty
    if n <= DENSE_MAX:
        x_overlap = (boxes[:, None, 0] < boxes[None, :, 2]) & (boxes[None, :, 0] < boxes[:, None, 2])
        y_overlap = (boxes[:, None, 1] < boxes[None, :, 3]) & (boxes[None, :, 1] < boxes[:, None, 3])
        i, j = np.nonzero(np.triu(x_overlap & y_overlap, 1))
        return i.astype(np.int64), j.astype(np.int64)
    import shapely

    geoms = shapely.box(boxes[:, 0], boxes[:, 1], boxes[:, 2], boxes[:, 3])
    tree = shapely.STRtree(geoms)
    i, j = tree.query(geoms, predicate="intersects")
    keep = i < j
    return i[keep].astype(np.int64), j[keep].astype(np.int64)


def overlapping_pairs(
    boxes: np.ndarray, class_ids: np.ndarray | None = None, corners: np.ndarray | None = None
) -> Pairs:
    """All pairs of boxes that overlap with positive area; same class only when ``class_ids`` given.

    With ``corners`` (oriented boxes, whose bounds ``boxes`` are) the overlaps are those of the
    rotated boxes: two cars parked side by side on a diagonal street overlap in their bounds only.
    """
    boxes = np.asarray(boxes, np.float64)
    i, j = _candidate_pairs(boxes)
    if class_ids is not None and len(i):
        same = class_ids[i] == class_ids[j]
        i, j = i[same], j[same]
    if corners is not None:
        inter, iou, ios = rotated_pair_overlaps(corners, i, j)
    else:
        inter, iou, ios = pair_overlaps(boxes, i, j)
    positive = inter > 0
    return Pairs(i[positive], j[positive], inter[positive], iou[positive], ios[positive])


def _neighbours(n: int, i: np.ndarray, j: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Symmetric adjacency in CSR form (indptr, indices) from undirected pairs."""
    src = np.concatenate([i, j])
    dst = np.concatenate([j, i])
    order = np.argsort(src, kind="stable")
    indptr = np.zeros(n + 1, np.int64)
    np.add.at(indptr, src + 1, 1)
    return np.cumsum(indptr), dst[order]


def _score_order(scores: np.ndarray) -> np.ndarray:
    # Stable on ties so results do not depend on the sort algorithm.
    return np.argsort(-scores.astype(np.float64), kind="stable")


def _class_key(dets: Detections, class_agnostic: bool) -> np.ndarray | None:
    return None if class_agnostic else dets.class_ids


def nms(dets: Detections, iou_threshold: float = 0.5, class_agnostic: bool = False) -> np.ndarray:
    """Indices (in score order) of the boxes NMS keeps: a box goes when a better one has IoU > threshold."""
    n = len(dets)
    if n == 0:
        return np.zeros(0, np.int64)
    pairs = overlapping_pairs(dets.boxes, _class_key(dets, class_agnostic), dets.corners)
    pairs = pairs.where(pairs.iou > iou_threshold)
    indptr, indices = _neighbours(n, pairs.i, pairs.j)
    suppressed = np.zeros(n, bool)
    keep = []
    for k in _score_order(dets.scores):
        if suppressed[k]:
            continue
        keep.append(k)
        suppressed[indices[indptr[k] : indptr[k + 1]]] = True
    return np.asarray(keep, np.int64)


def greedy_merge_once(
    dets: Detections,
    ios_threshold: float = 0.5,
    class_agnostic: bool = False,
    eligible: np.ndarray | None = None,
    pairs: Pairs | None = None,
) -> tuple[Detections, np.ndarray]:
    """One pass of SAHI's GREEDYNMM by intersection over the smaller box.

    In score order, each box not yet absorbed keeps itself and absorbs the lower-scored boxes whose
    IoS with it is at least ``ios_threshold``; the kept box becomes their union, with its own (the
    highest) score and class. ``eligible`` optionally restricts which pairs may merge (a boolean per
    pair of ``pairs``). Returns the merged detections and, per output row, the input row it grew from.
    """
    n = len(dets)
    if n == 0:
        return Detections.empty(), np.zeros(0, np.int64)
    if pairs is None:
        pairs = overlapping_pairs(dets.boxes, _class_key(dets, class_agnostic), dets.corners)
    mask = pairs.ios >= ios_threshold
    if eligible is not None:
        mask &= eligible
    pairs = pairs.where(mask)
    indptr, indices = _neighbours(n, pairs.i, pairs.j)
    absorbed = np.zeros(n, bool)
    boxes = dets.boxes.astype(np.float32, copy=True)
    corners = None if dets.corners is None else dets.corners.astype(np.float32, copy=True)
    keep = []
    for k in _score_order(dets.scores):
        if absorbed[k]:
            continue
        keep.append(k)
        absorbed[k] = True
        members = indices[indptr[k] : indptr[k + 1]]
        members = members[~absorbed[members]]
        if len(members):
            absorbed[members] = True
            group = np.concatenate([[k], members])
            if corners is not None:
                # oriented boxes: the smallest rotated box holding the group (pieces of one vehicle
                # join along its length), and its bounds
                corners[k] = enclosing_rotated_box(dets.corners[group])
                boxes[k] = corner_bounds(corners[k][None])[0]
            else:
                boxes[k, :2] = dets.boxes[group, :2].min(axis=0)
                boxes[k, 2:] = dets.boxes[group, 2:].max(axis=0)
    keep_idx = np.asarray(keep, np.int64)
    kept_corners = None if corners is None else corners[keep_idx]
    return Detections(boxes[keep_idx], dets.scores[keep_idx], dets.class_ids[keep_idx], kept_corners), keep_idx


def greedy_merge(
    dets: Detections,
    ios_threshold: float = 0.5,
    class_agnostic: bool = False,
    eligible: Callable[[Pairs, np.ndarray], np.ndarray] | None = None,
    max_rounds: int = 8,
) -> tuple[Detections, np.ndarray]:
    """GREEDYNMM repeated until nothing more merges.

    One pass compares each box with the *original* kept box, so the four pieces of a bus cut by a
    tile corner can stay apart: the lower-left piece overlaps the upper-right one too little, though
    it lies wholly inside their union. A further pass compares with the grown union and joins it.
    ``eligible(pairs, origin)`` may restrict merging per pair (``origin`` maps current rows to input rows).
    Returns the merged detections and, per output row, the input row it grew from.
    """
    origin = np.arange(len(dets))
    for _ in range(max_rounds):
        pairs = overlapping_pairs(dets.boxes, _class_key(dets, class_agnostic), dets.corners)
        mask = eligible(pairs, origin) if eligible is not None else None
        merged, keep = greedy_merge_once(dets, ios_threshold, class_agnostic, mask, pairs)
        origin = origin[keep]
        if len(merged) == len(dets):
            return merged, origin
        dets = merged
    return dets, origin


def drop_covered_partials(
    dets: Detections,
    partial: np.ndarray,
    tile_ids: np.ndarray,
    ios_threshold: float = 0.5,
    class_agnostic: bool = False,
    pairs: Pairs | None = None,
) -> np.ndarray:
    """Boolean keep-mask: False for a partial box covered by a whole box from another tile.

    ``partial[k]`` says box k touches an edge of its tile that lies inside the frame. It is covered
    when a non-partial box of another tile, at least as large, holds at least ``ios_threshold`` of it.
    """
    n = len(dets)
    keep = np.ones(n, bool)
    if n == 0 or not partial.any():
        return keep
    if pairs is None:
        pairs = overlapping_pairs(dets.boxes, _class_key(dets, class_agnostic), dets.corners)
    a = box_areas(dets.boxes) if dets.corners is None else rotated_areas(dets.corners)
    other_tile = tile_ids[pairs.i] != tile_ids[pairs.j]
    # Orient each pair both ways: (small, big) where only `small` may be dropped.
    for small, big in ((pairs.i, pairs.j), (pairs.j, pairs.i)):
        hit = (
            other_tile
            & partial[small]
            & ~partial[big]
            & (a[big] >= a[small])
            & (a[small] > 0)
            & (pairs.inter / np.where(a[small] > 0, a[small], 1.0) >= ios_threshold)
        )
        keep[small[hit]] = False
    return keep


def merge_detections(
    dets: Detections,
    method: MergeMethod = "ios",
    threshold: float = 0.5,
    partial: np.ndarray | None = None,
    tile_ids: np.ndarray | None = None,
    class_agnostic: bool = False,
) -> Detections:
    """Merge a frame's detections from all its tiles.

    With ``partial``/``tile_ids`` (from the engine), cut boxes covered by a whole box go first; with
    ``nms`` the remaining pieces of one vehicle cut in several tiles are joined by IoS before NMS, so
    the choice of method changes how duplicates of whole boxes are resolved, not whether seams work.
    """
    if method not in MERGE_METHODS:
        raise ValueError(f"merge method must be one of {', '.join(MERGE_METHODS)}, got {method!r}")
    if len(dets) == 0:
        return Detections.empty()
    if partial is not None and partial.any():
        if tile_ids is None:
            raise ValueError("partial flags need tile ids")
        keep = drop_covered_partials(dets, partial, tile_ids, threshold, class_agnostic)
        dets, partial, tile_ids = dets.take(keep), partial[keep], tile_ids[keep]
        if method == "nms":
            # Only pieces cut by tile edges are joined; whole boxes are left to NMS.
            def pieces(pairs: Pairs, origin: np.ndarray) -> np.ndarray:
                p, t = partial[origin], tile_ids[origin]
                return p[pairs.i] & p[pairs.j] & (t[pairs.i] != t[pairs.j])

            dets, _ = greedy_merge(dets, threshold, class_agnostic, eligible=pieces)
    if method == "nms":
        return dets.take(nms(dets, threshold, class_agnostic))
    merged, _ = greedy_merge(dets, threshold, class_agnostic)
    return merged


def merge_by_class(
    dets: Detections,
    methods: Mapping[int, MergeMethod],
    default: MergeMethod = "ios",
    threshold: float = 0.5,
    partial: np.ndarray | None = None,
    tile_ids: np.ndarray | None = None,
    class_agnostic: bool = False,
) -> Detections:
    """``merge_detections`` with a method per class id (``methods``; the others ``default``).

    Merging never joins boxes of different classes, so running ``merge_detections`` on each class's
    subset gives what one call would, class by class; the rows come back in score order, as one call
    returns them. Class-agnostic merging compares boxes across classes, which cannot follow two methods:
    it uses ``default`` for all.
    """
    if class_agnostic or not methods or len(dets) == 0:
        return merge_detections(dets, default, threshold, partial, tile_ids, class_agnostic)
    parts = []
    for c in np.unique(dets.class_ids):
        rows = np.flatnonzero(dets.class_ids == c)
        sub_partial = None if partial is None else partial[rows]
        sub_tiles = None if tile_ids is None else tile_ids[rows]
        parts.append(merge_detections(dets.take(rows), methods.get(int(c), default), threshold, sub_partial, sub_tiles))
    merged = Detections.concat(parts)
    return merged.take(_score_order(merged.scores))
