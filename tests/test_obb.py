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


# ------------------------------------------------------------------------------------------- detect run


class RotatedBrightBoxes:
    """A stand-in OBB model: each bright blob's minimum-area rotated rectangle, class 'small vehicle'."""

    names = {0: "small vehicle", 1: "plane"}

    def __init__(self):
        self.shapes: list[tuple[int, int]] = []

    def predict(self, tiles):
        import cv2

        out = []
        for tile in tiles:
            self.shapes.append(tile.shape[:2])
            mask = (tile.max(axis=2) >= 128).astype(np.uint8)
            contours, _ = cv2.findContours(mask, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
            quads = [cv2.boxPoints(cv2.minAreaRect(c)) for c in contours if cv2.contourArea(c) > 4]
            if not quads:
                out.append(Detections.empty())
                continue
            corners = np.array(quads, np.float32)
            out.append(Detections(corner_bounds(corners).astype(np.float32), np.full(len(quads), 0.9, np.float32),
                                  np.zeros(len(quads), np.int64), corners))
        return out


def _rotated_geotiff(path, size=700, gsd=0.3):
    import cv2

    from tests.helpers_raster import write_test_geotiff

    write_test_geotiff(path, size, size, gsd=gsd)
    import rasterio

    with rasterio.open(path, "r+") as dst:
        band = dst.read(1)
        for cx, cy in ((100, 120), (300, 500), (505, 256)):  # the last sits on a window seam
            quad = cv2.boxPoints(((cx, cy), (30, 12), 35.0)).astype(np.int32)
            cv2.fillPoly(band, [quad], 230)
        dst.write(np.stack([band] * 3))
    return path


def _run(tmp_path, raster, name="run", **slicing):
    from borderwatch.detector.card import ModelCard
    from borderwatch.detector.run import DetectConfig, ModelHandle, detect
    from borderwatch.detector.sliced import SliceParams
    from borderwatch.taxonomy import mapping_for

    predictor = RotatedBrightBoxes()
    card = ModelCard(name="obb-standin", task="obb", class_source="dota",
                     inference={"gsd_m": 0.15, "tile": 256, "overlap": 0.25, "conf": 0.3, "nms": False})
    handle = ModelHandle.from_predictor(predictor, "obb-standin", mapping_for("dota"))
    handle.card = card
    config = DetectConfig(model="obb-standin", slicing=SliceParams(**slicing))
    summary = detect([raster], tmp_path / name, config, quiet=True, model=handle)
    return summary, predictor


def test_detect_resamples_windows_keeps_oriented_polygons_and_records_settings(tmp_path):
    import json

    import pyarrow.parquet as pq
    import shapely

    raster = _rotated_geotiff(tmp_path / "scene.tif")
    summary, predictor = _run(tmp_path, raster)
    assert summary.detections == 3
    # a 0.3 m raster under a 0.15 m model: 256-px model tiles are 128-px windows of the raster
    assert {s for s in predictor.shapes} == {(128, 128)}
    dets = pq.read_table(tmp_path / "run" / "detections.parquet").to_pandas()
    assert dets.vehicle_class.tolist() == ["car"] * 3
    corners = dets[["x1", "y1", "x2", "y2", "x3", "y3", "x4", "y4"]].to_numpy().reshape(-1, 4, 2)
    assert np.isfinite(corners).all()
    np.testing.assert_allclose(dets[["x_min", "y_min"]].to_numpy(), corners.min(axis=1), atol=0.5)
    # the map polygon is the rotated box: its area is the car's, well under its bounds'
    geoms = shapely.from_wkb(dets.geometry.to_numpy())
    bounds_area = ((dets.x_max - dets.x_min) * (dets.y_max - dets.y_min)).to_numpy()
    assert (rotated_areas(corners) < 0.8 * bounds_area).all()
    assert all(g.geom_type == "Polygon" and len(g.exterior.coords) == 5 for g in geoms)
    info = json.loads((tmp_path / "run" / "run.json").read_text())
    used = info["kinds"]["overhead"]
    assert (used["tile"], used["overlap"], used["conf"], used["gsd_m"], used["window_px"], used["task"]) == (
        256, 0.25, 0.3, 0.15, [128], "obb")
    from borderwatch.tables import RunManifest

    assert RunManifest.model_validate(info).kinds["overhead"].conf == 0.3


def test_overrides_beat_the_card_and_change_the_resume_key(tmp_path):
    raster = _rotated_geotiff(tmp_path / "scene.tif")
    first, _ = _run(tmp_path, raster, "a")
    again, _ = _run(tmp_path, raster, "a")
    assert again.resumed == 1 and again.params_hash == first.params_hash
    native, predictor = _run(tmp_path, raster, "a", model_gsd_m=0)  # never resample
    assert native.params_hash != first.params_hash and native.resumed == 0
    assert {s for s in predictor.shapes} == {(256, 256)}
    bigger, predictor = _run(tmp_path, raster, "b", tile_size=512)
    assert {s for s in predictor.shapes} == {(256, 256)} and bigger.params_hash != first.params_hash
