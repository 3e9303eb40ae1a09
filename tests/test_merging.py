"""Merging across tiles: NMS, greedy merge by IoS, and cut pieces at tile edges."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from borderwatch.detector import merging
from borderwatch.detector.merging import (
    drop_covered_partials,
    greedy_merge,
    merge_by_class,
    merge_detections,
    nms,
    overlapping_pairs,
)
from borderwatch.detector.types import Detections


def dets(boxes, scores=None, classes=None) -> Detections:
    boxes = np.asarray(boxes, np.float32).reshape(-1, 4)
    n = len(boxes)
    scores = np.asarray(scores if scores is not None else np.linspace(0.9, 0.5, n), np.float32)
    classes = np.asarray(classes if classes is not None else np.zeros(n), np.int64)
    return Detections(boxes, scores, classes)


def random_dets(seed: int, n: int, extent: float = 400.0, n_classes: int = 3) -> Detections:
    rng = np.random.default_rng(seed)
    xy = rng.uniform(0, extent, (n, 2))
    wh = rng.uniform(2, 40, (n, 2))
    boxes = np.concatenate([xy, xy + wh], axis=1).astype(np.float32)
    # distinct scores: tie order is the one place two correct NMS implementations may differ
    scores = rng.permutation(n).astype(np.float32) / n + 0.01
    return dets(boxes, scores, rng.integers(0, n_classes, n))


def test_nms_keeps_the_best_of_overlapping_boxes():
    d = dets([[0, 0, 10, 10], [1, 1, 11, 11], [50, 50, 60, 60]], [0.6, 0.9, 0.5])
    assert sorted(nms(d, 0.5).tolist()) == [1, 2]


def test_nms_is_class_aware_unless_told():
    d = dets([[0, 0, 10, 10], [1, 1, 11, 11]], [0.9, 0.8], [0, 1])
    assert len(nms(d, 0.5)) == 2
    assert nms(d, 0.5, class_agnostic=True).tolist() == [0]


def test_nms_threshold_is_strict():
    # IoU exactly 0.5 is kept, as in torchvision (suppress only when IoU > threshold).
    d = dets([[0, 0, 10, 10], [0, 0, 10, 20]], [0.9, 0.8])
    assert len(nms(d, 0.5)) == 2
    assert len(nms(d, 0.49)) == 1


@pytest.mark.slow
@settings(max_examples=30, deadline=None)
@given(st.integers(0, 10_000), st.integers(0, 200), st.sampled_from([0.3, 0.5, 0.7]))
def test_nms_matches_torchvision(seed, n, thr):
    import torch
    from torchvision.ops import batched_nms

    d = random_dets(seed, n)
    ours = nms(d, thr)
    ref = batched_nms(torch.from_numpy(d.boxes), torch.from_numpy(d.scores), torch.from_numpy(d.class_ids), thr)
    assert sorted(ours.tolist()) == sorted(ref.tolist())


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 10_000), st.integers(2, 400))
def test_tree_and_dense_pairs_agree(seed, n):
    d = random_dets(seed, n, extent=200)
    dense = overlapping_pairs(d.boxes, d.class_ids)
    old = merging.DENSE_MAX
    merging.DENSE_MAX = 1
    try:
        tree = overlapping_pairs(d.boxes, d.class_ids)
    finally:
        merging.DENSE_MAX = old
    key = lambda p: sorted(zip(p.i.tolist(), p.j.tolist(), strict=True))  # noqa: E731
    assert key(dense) == key(tree)
    assert np.all(dense.ios >= dense.iou)


def test_large_sets_use_the_tree_and_stay_correct():
    d = random_dets(7, 5000, extent=5000)
    kept = nms(d, 0.5)
    import torch
    from torchvision.ops import batched_nms

    ref = batched_nms(torch.from_numpy(d.boxes), torch.from_numpy(d.scores), torch.from_numpy(d.class_ids), 0.5)
    assert sorted(kept.tolist()) == sorted(ref.tolist())


def test_greedy_merge_makes_the_union_with_the_best_score_and_class():
    d = dets([[0, 0, 10, 10], [5, 0, 20, 10], [100, 100, 110, 110]], [0.7, 0.9, 0.5], [0, 0, 0])
    merged, origin = greedy_merge(d, 0.3)
    assert len(merged) == 2
    big = merged.boxes[np.argmax(merged.scores)]
    assert big.tolist() == [0, 0, 20, 10]
    assert merged.scores.max() == pytest.approx(0.9)
    assert origin.tolist()[0] == 1


def test_greedy_merge_joins_the_four_pieces_of_a_bus_cut_by_a_tile_corner():
    # Two pieces overlap the best one too little in a single pass; the grown union holds them.
    pieces = [[170, 228, 810, 640], [6, 228, 639, 640], [6, 440, 639, 738], [170, 440, 810, 743]]
    merged, _ = greedy_merge(dets(pieces, [0.9, 0.8, 0.58, 0.6]), 0.5)
    assert len(merged) == 1
    assert merged.boxes[0].tolist() == [6, 228, 810, 743]


def test_greedy_merge_keeps_distinct_neighbours_apart():
    d = dets([[0, 0, 10, 10], [9, 0, 19, 10], [0, 9, 10, 19]])  # touching cars in a car park
    merged, _ = greedy_merge(d, 0.5)
    assert len(merged) == 3


def test_a_covered_partial_from_another_tile_is_dropped():
    whole = [100, 100, 140, 120]
    piece = [100, 100, 112, 120]  # the same car, cut by the tile to its left's right edge
    d = dets([whole, piece], [0.8, 0.9])
    partial = np.array([False, True])
    assert drop_covered_partials(d, partial, np.array([0, 1]), 0.5).tolist() == [True, False]
    # within one tile the model's own NMS already ran: leave it alone
    assert drop_covered_partials(d, partial, np.array([0, 0]), 0.5).tolist() == [True, True]
    # a partial bigger than the "whole" box is not a piece of it
    d2 = dets([piece, [90, 90, 150, 130]], [0.8, 0.9])
    assert drop_covered_partials(d2, np.array([False, True]), np.array([0, 1]), 0.5).tolist() == [True, True]


def test_iou_alone_would_count_a_sliver_twice_but_merging_does_not():
    whole = [100, 100, 160, 120]
    sliver = [100, 100, 110, 120]
    d = dets([whole, sliver], [0.8, 0.9])
    assert len(nms(d, 0.5)) == 2  # the IoU of a sliver is small
    for method in ("nms", "ios"):
        out = merge_detections(d, method, 0.5, partial=np.array([False, True]), tile_ids=np.array([0, 1]))
        assert len(out) == 1
        assert out.boxes[0].tolist() == whole


def test_nms_mode_joins_pieces_of_a_vehicle_longer_than_the_overlap():
    a = [90, 100, 128, 110]  # tile 0 ends at 128
    b = [112, 100, 150, 110]  # tile 1 starts at 112
    d = dets([a, b], [0.9, 0.8])
    out = merge_detections(d, "nms", 0.3, partial=np.array([True, True]), tile_ids=np.array([0, 1]))
    assert len(out) == 1 and out.boxes[0].tolist() == [90, 100, 150, 110]
    # the same two boxes as whole detections in one tile stay two (NMS by IoU)
    out = merge_detections(d, "nms", 0.3)
    assert len(out) == 2


def test_merge_validates_its_arguments():
    d = dets([[0, 0, 1, 1]])
    with pytest.raises(ValueError):
        merge_detections(d, "wbf", 0.5)
    with pytest.raises(ValueError):
        merge_detections(d, "nms", 0.5, partial=np.array([True]))
    assert len(merge_detections(Detections.empty(), "ios")) == 0


def test_degenerate_boxes_do_not_divide_by_zero():
    d = dets([[5, 5, 5, 15], [0, 0, 10, 10], [5, 5, 5, 15]])
    with np.errstate(all="raise"):
        assert len(merge_detections(d, "ios", 0.5)) == 3
        assert len(nms(d, 0.5)) == 3


SIDE_BY_SIDE = [[0, 0, 10, 10], [4, 0, 14, 10]]  # IoS 0.6, IoU 0.43: ios joins them, nms keeps both


def test_merge_by_class_gives_each_class_its_own_method():
    d = dets(SIDE_BY_SIDE + [[b[0], b[1] + 50, b[2], b[3] + 50] for b in SIDE_BY_SIDE], [0.9, 0.8, 0.7, 0.6], [4, 4, 0, 0])
    out = merge_by_class(d, {4: "nms"}, "ios", 0.5)
    assert sorted(out.class_ids.tolist()) == [0, 4, 4]  # two machines kept apart, the cars joined
    assert out.boxes[out.class_ids == 0].tolist() == [[0, 50, 14, 60]]
    assert out.scores.tolist() == sorted(out.scores.tolist(), reverse=True)  # score order, as one call gives
    # merging across classes cannot follow two methods: class-agnostic uses the default for all
    agnostic = merge_by_class(d, {4: "nms"}, "ios", 0.5, class_agnostic=True)
    assert len(agnostic) == 2
    _same(agnostic, merge_detections(d, "ios", 0.5, class_agnostic=True))


def _same(a: Detections, b: Detections) -> None:
    assert len(a) == len(b)
    np.testing.assert_array_equal(a.boxes, b.boxes)
    np.testing.assert_array_equal(a.scores, b.scores)
    np.testing.assert_array_equal(a.class_ids, b.class_ids)


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("method", ["nms", "ios"])
def test_one_method_for_every_class_merges_as_the_plain_method(seed, method):
    """Merging is per class, so merging each class's subset alone changes nothing: a per-class map
    that gives every class the same method is the plain method, cut pieces and all."""
    d = random_dets(seed, 300, extent=300, n_classes=4)
    rng = np.random.default_rng(seed)
    partial, tiles = rng.random(len(d)) < 0.3, rng.integers(0, 4, len(d))
    other = "ios" if method == "nms" else "nms"
    plain = merge_detections(d, method, 0.5, partial, tiles)
    _same(merge_by_class(d, dict.fromkeys(range(4), method), other, 0.5, partial, tiles), plain)
    _same(merge_by_class(d, {0: method}, method, 0.5, partial, tiles), plain)
    assert len(plain) < len(d)  # the boxes did overlap
