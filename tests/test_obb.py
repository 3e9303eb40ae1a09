"""Oriented boxes end to end: geometry, merging across tiles, the predictor, the tables and the map."""

from __future__ import annotations

import math

import numpy as np
import pytest

from borderwatch.boxes import (
    corner_bounds,
    enclosing_rotated_box,
    rotated_areas,
    rotated_iou_matrix,
    rotated_pair_overlaps,
    xywhr_to_corners,
)
from borderwatch.detector.merging import merge_detections, overlapping_pairs
from borderwatch.detector.scale import frame_scale
from borderwatch.detector.types import Detections
from tests.conftest import shared_path

# ------------------------------------------------------------------------------------------- geometry


def test_corners_match_ultralytics_order():
    from ultralytics.utils.ops import xywhr2xyxyxyxy

    rows = np.array([[10, 10, 4, 2, 0.3], [50, 20, 30, 8, -1.1], [5, 5, 1, 1, 0.0]])
    np.testing.assert_allclose(xywhr_to_corners(rows), xywhr2xyxyxyxy(rows), atol=1e-9)


def test_rotated_overlaps_are_polygon_areas():
    corners = xywhr_to_corners(np.array([[10, 10, 4, 2, 0.0], [10, 10, 4, 2, math.pi / 2], [11, 10, 4, 2, 0.0]]))
    np.testing.assert_allclose(rotated_areas(corners), [8, 8, 8])
    inter, iou, ios = rotated_pair_overlaps(corners, np.array([0, 0]), np.array([1, 2]))
    np.testing.assert_allclose(inter, [4, 6])
    np.testing.assert_allclose(iou, [4 / 12, 6 / 10])
    np.testing.assert_allclose(ios, [0.5, 0.75])
    matrix = rotated_iou_matrix(corners, corners)
    np.testing.assert_allclose(np.diag(matrix), 1.0)
    assert matrix[0, 1] == pytest.approx(1 / 3)


def test_rotated_overlap_of_degenerate_boxes_is_zero():
    corners = xywhr_to_corners(np.array([[0, 0, 0, 0, 0.0], [0, 0, 2, 2, 0.3]]))
    inter, iou, ios = rotated_pair_overlaps(corners, np.array([0]), np.array([1]))
    assert inter[0] == 0 and iou[0] == 0 and ios[0] == 0


def test_diagonal_cars_do_not_overlap_though_their_bounds_do():
    # two long cars side by side on a diagonal: their axis-aligned bounds overlap a lot, the cars not
    corners = xywhr_to_corners(np.array([[0, 0, 20, 4, math.pi / 4], [4, -4, 20, 4, math.pi / 4]]))
    bounds = corner_bounds(corners)
    from borderwatch.boxes import pair_overlaps

    assert pair_overlaps(bounds, np.array([0]), np.array([1]))[2][0] > 0.5  # IoS: axis-aligned merging would join them
    assert rotated_pair_overlaps(corners, np.array([0]), np.array([1]))[1][0] < 0.05
    dets = Detections(bounds.astype(np.float32), np.array([0.9, 0.8], np.float32), np.zeros(2, np.int64),
                      corners.astype(np.float32))
    assert len(merge_detections(dets, "nms", 0.5)) == 2
    assert len(merge_detections(dets, "ios", 0.5)) == 2


def test_enclosing_box_of_pieces_is_the_whole():
    whole = xywhr_to_corners(np.array([[50, 50, 40, 10, 0.5]]))[0]
    # the two halves of the box along its length
    left = xywhr_to_corners(np.array([[50 - 10 * math.cos(0.5), 50 - 10 * math.sin(0.5), 20, 10, 0.5]]))[0]
    right = xywhr_to_corners(np.array([[50 + 10 * math.cos(0.5), 50 + 10 * math.sin(0.5), 20, 10, 0.5]]))[0]
    joined = enclosing_rotated_box(np.stack([left, right]))
    assert rotated_iou_matrix(joined[None], whole[None])[0, 0] > 0.99


# ------------------------------------------------------------------------------------------- merging


def _oriented(rows, scores, classes=None) -> Detections:
    corners = xywhr_to_corners(np.asarray(rows, np.float64))
    n = len(corners)
    return Detections(corner_bounds(corners).astype(np.float32), np.asarray(scores, np.float32),
                      np.zeros(n, np.int64) if classes is None else np.asarray(classes, np.int64),
                      corners.astype(np.float32))


def test_pairs_use_rotated_overlap_when_corners_present():
    dets = _oriented([[0, 0, 20, 4, math.pi / 4], [1, 1, 20, 4, math.pi / 4]], [0.9, 0.8])
    pairs = overlapping_pairs(dets.boxes, dets.class_ids, dets.corners)
    inter, iou, _ = rotated_pair_overlaps(dets.corners, pairs.i, pairs.j)
    np.testing.assert_allclose(pairs.iou, iou)


def test_duplicates_merge_and_keep_oriented_polygon():
    dets = _oriented([[30, 30, 20, 6, 0.7], [30.5, 30.2, 20, 6, 0.72]], [0.9, 0.6])
    merged = merge_detections(dets, "ios", 0.5)
    assert len(merged) == 1
    assert merged.corners is not None
    assert rotated_iou_matrix(merged.corners, dets.corners[:1])[0, 0] > 0.8
    np.testing.assert_allclose(merged.boxes, corner_bounds(merged.corners), atol=1e-3)


def test_detections_keep_corners_through_take_shift_concat():
    dets = _oriented([[10, 10, 6, 2, 0.2], [20, 20, 6, 2, 0.4]], [0.9, 0.8])
    moved = dets.shifted(100, 50)
    np.testing.assert_allclose(moved.corners - dets.corners, np.broadcast_to([100, 50], dets.corners.shape))
    assert moved.take(np.array([1])).corners.shape == (1, 4, 2)
    both = Detections.concat([dets, moved])
    assert both.corners.shape == (4, 4, 2)
    assert Detections.concat([Detections.empty(), Detections.empty()]).corners is None


# ------------------------------------------------------------------------------------------- scale


def test_frame_scale_enlarges_coarse_rasters_and_leaves_photos():
    s = frame_scale(1024, 0.15, 0.30)
    assert (s.window, s.model_tile, s.factor) == (512, 1024, 2.0)
    s = frame_scale(1024, 0.15, 0.50)
    assert s.window == round(1024 * 0.15 / 0.5) and s.factor > 3
    assert frame_scale(1024, 0.15, 0.05).window == 3072  # finer rasters are shrunk
    photo = frame_scale(640, 0.15, None)
    assert (photo.window, photo.factor, photo.model_gsd_m) == (640, 1.0, None)
    assert frame_scale(640, None, 0.3).factor == 1.0


# ------------------------------------------------------------------------------------------- real model


def test_dota_tflite_finds_oriented_vehicles(tmp_path):
    tflite = shared_path("models", "yolo26n_obb_dota_int8", "yolo26n-obb_int8.tflite")
    image = shared_path("data", "overhead", "aerial-cars", "images")
    pytest.importorskip("ai_edge_litert")
    import cv2

    from borderwatch.detector.predictor import YoloPredictor

    first = sorted(p for p in image.iterdir() if p.name.startswith("MOS"))[0]
    rgb = cv2.cvtColor(cv2.imread(str(first)), cv2.COLOR_BGR2RGB)
    # KIT is 13 cm/px; the model was trained on DOTA's ~15 cm: a 1024 window as it is
    tile = np.ascontiguousarray(rgb[:1024, :1024])
    predictor = YoloPredictor(tflite, conf=0.2, task="obb")
    assert predictor.task == "obb" and predictor.end2end
    (dets,) = predictor.predict([tile])
    assert len(dets) > 5
    names = [predictor.names[int(c)] for c in dets.class_ids]
    assert names.count("small vehicle") > 5
    assert dets.corners is not None and dets.corners.shape == (len(dets), 4, 2)
    np.testing.assert_allclose(dets.boxes[:, :2], np.clip(dets.corners.min(axis=1), 0, None), atol=1e-3)
