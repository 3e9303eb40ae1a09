"""The real YOLO11n models from ../shared on real photos (skipped when ../shared is absent)."""

from __future__ import annotations

import numpy as np
import pytest

from borderwatch.detector.predictor import YoloPredictor, load_predictor
from borderwatch.detector.registry import resolve_model
from borderwatch.detector.sliced import SliceParams, SliceStats, detect_source
from borderwatch.detector.types import TileData, Window

pytestmark = pytest.mark.shared

BUS_BOX = np.array([17, 230, 801, 740], np.float32)  # the bus in Ultralytics' bus.jpg, by eye


class ImageSource:
    def __init__(self, rgb: np.ndarray):
        self.rgb = rgb
        self.height, self.width = rgb.shape[:2]

    def read(self, w: Window) -> TileData:
        return TileData(w, self.rgb[w.row : w.row + w.height, w.col : w.col + w.width])


def load_rgb(path) -> np.ndarray:
    import cv2

    bgr = cv2.imread(str(path), cv2.IMREAD_COLOR)
    return np.ascontiguousarray(bgr[..., ::-1])


def iou(a: np.ndarray, b: np.ndarray) -> float:
    w = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    h = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = w * h
    return inter / ((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter)


def vehicles(dets, predictor, mapping) -> list[tuple[str, np.ndarray]]:
    out = []
    for box, cid in zip(dets.boxes, dets.class_ids, strict=True):
        cls = mapping.map(predictor.names[int(cid)])
        if cls is not None:
            out.append((cls, box))
    return out


@pytest.fixture(scope="module")
def int8():
    from conftest import shared_path

    resolved = resolve_model(str(shared_path("models", "yolo11n_int8_openvino_model")))
    return resolved, load_predictor(resolved, SliceParams(conf=0.25))


@pytest.fixture(scope="module")
def float_pt():
    from conftest import shared_path

    resolved = resolve_model(str(shared_path("models", "yolo11n_coco_from_int8.pt")))
    return resolved, load_predictor(resolved, SliceParams(conf=0.25), device="cpu")


def test_bus_is_found_in_place_whole_frame_and_sliced(int8):
    from conftest import shared_path

    resolved, predictor = int8
    assert resolved.card is not None and resolved.card.name == "yolo11n-int8-openvino"
    rgb = load_rgb(shared_path("data", "street", "bus.jpg"))
    for tile in (1080, 640):  # one window (letterboxed to 640), then four overlapping tiles
        stats = SliceStats()
        dets = detect_source(ImageSource(rgb), predictor, SliceParams(tile_size=tile, overlap=0.2), stats=stats)
        found = vehicles(dets, predictor, resolved.mapping)
        buses = [b for c, b in found if c == "bus"]
        assert len(buses) == 1, (tile, found)
        assert iou(buses[0], BUS_BOX) > 0.85
        assert resolved.mapping.dropped["person"] >= 3  # people are seen, and dropped by the taxonomy


def test_sliced_small_vehicles_photo_finds_many_cars(int8):
    from conftest import shared_path

    resolved, predictor = int8
    rgb = load_rgb(shared_path("data", "street", "small-vehicles1.jpeg"))
    dets = detect_source(ImageSource(rgb), predictor, SliceParams(tile_size=512, overlap=0.2))
    cars = [b for c, b in vehicles(dets, predictor, resolved.mapping) if c == "car"]
    assert len(cars) >= 8
    h, w = rgb.shape[:2]
    boxes = np.array(cars)
    assert (boxes[:, 0] >= 0).all() and (boxes[:, 2] <= w).all() and (boxes[:, 3] <= h).all()


@pytest.mark.slow
def test_own_preprocessing_matches_ultralytics_predict(float_pt):
    """Our letterbox/normalise/NMS path gives ultralytics' own boxes for the same tile."""
    from conftest import shared_path
    from ultralytics import YOLO

    resolved, predictor = float_pt
    rgb = load_rgb(shared_path("data", "street", "bus.jpg"))
    tile = np.ascontiguousarray(rgb[200:840, 100:740])  # 640 x 640
    ours = predictor.predict([tile])[0]
    ref = YOLO(str(resolved.path), task="detect").predict(
        tile[..., ::-1].copy(), imgsz=640, conf=0.25, iou=0.5, device="cpu", verbose=False
    )[0]
    ref_boxes = ref.boxes.xyxy.numpy()
    assert len(ours) == len(ref_boxes) > 0
    order_o = np.lexsort(ours.boxes.T[::-1])
    order_r = np.lexsort(ref_boxes.T[::-1])
    np.testing.assert_allclose(ours.boxes[order_o], ref_boxes[order_r], atol=1.0)
    np.testing.assert_array_equal(ours.class_ids[order_o], ref.boxes.cls.numpy().astype(int)[order_r])


@pytest.mark.slow
def test_batched_equals_one_by_one_and_letterbox_maps_back(float_pt):
    from conftest import shared_path

    _, predictor = float_pt
    rgb = load_rgb(shared_path("data", "street", "traffic.jpg"))
    h, w = rgb.shape[:2]
    side = min(h, w, 400)
    tiles = [np.ascontiguousarray(rgb[:side, :side]), np.ascontiguousarray(rgb[h - side :, w - side :])]
    batched = predictor.predict(tiles)
    single = [predictor.predict([t])[0] for t in tiles]
    for a, b in zip(batched, single, strict=True):
        np.testing.assert_allclose(np.sort(a.boxes, axis=0), np.sort(b.boxes, axis=0), atol=0.5)
        assert (a.boxes[:, 2] <= side + 1e-3).all() and (a.boxes[:, 3] <= side + 1e-3).all()
    # a fixed 640 input size upsamples the 400 px tiles; boxes still come back in tile pixels
    big = YoloPredictor(predictor.weights, imgsz=640, device="cpu").predict(tiles[:1])[0]
    assert len(big) and (big.boxes[:, 2] <= side + 1e-3).all()
