"""GSD resampling keeps boxes on the same ground (property tests), drops what became too small, and the
GSD estimate from car length finds the GSD a scene was drawn at."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from borderwatch.cli import app
from borderwatch.datasets.formats import read_yolo, write_yolo
from borderwatch.datasets.gsd import assign_gsd, estimate_gsd, resample_image
from borderwatch.datasets.model import LabeledDataset, LabeledImage
from borderwatch.datasets.synthetic import synth_dataset


@st.composite
def drawn_boxes(draw):
    w, h = draw(st.integers(40, 400)), draw(st.integers(40, 400))
    n = draw(st.integers(1, 6))
    boxes = []
    for _ in range(n):
        x1, y1 = draw(st.integers(0, w - 4)), draw(st.integers(0, h - 4))
        x2, y2 = draw(st.integers(x1 + 4, min(w, x1 + 120))), draw(st.integers(y1 + 4, min(h, y1 + 120)))
        boxes.append((x1, y1, x2, y2))
    return w, h, np.asarray(boxes, dtype=float)


@settings(max_examples=120, deadline=None)
@given(drawn_boxes(), st.floats(0.03, 0.13), st.sampled_from([0.3, 0.5, 0.2, 0.15]))
def test_resampled_boxes_cover_the_drawn_pixels(drawn, src_gsd, dst_gsd):
    w, h, boxes = drawn
    rgb = np.zeros((h, w, 3), np.uint8)
    for x1, y1, x2, y2 in boxes.astype(int):
        rgb[y1:y2, x1:x2] = 255
    im = LabeledImage("p", w, h, boxes=boxes, labels=np.zeros(len(boxes), int), gsd_m=src_gsd, pixels=rgb)
    res = resample_image(im, dst_gsd, min_side_px=0.0)
    out = res.image
    assert out.pixels.shape[:2] == (out.height, out.width)
    lit = out.pixels[..., 0] > 0
    inside_any = np.zeros_like(lit)
    core_any = np.zeros_like(lit)
    for x1, y1, x2, y2 in out.boxes:
        # anything lit lies within a scaled box (plus the one partly covered pixel at each edge)
        inside_any[max(0, int(np.floor(y1 - 1))):int(np.ceil(y2 + 1)), max(0, int(np.floor(x1 - 1))):int(np.ceil(x2 + 1))] = True
        # pixels wholly inside a scaled box came only from drawn pixels: fully lit
        cy1, cy2, cx1, cx2 = int(np.ceil(y1)), int(np.floor(y2)), int(np.ceil(x1)), int(np.floor(x2))
        if cy2 > cy1 and cx2 > cx1:
            core_any[cy1:cy2, cx1:cx2] = True
    assert not (lit & ~inside_any).any()
    assert (out.pixels[..., 0][core_any] >= 254).all()
    # scale is exactly the ratio of sizes
    np.testing.assert_allclose(out.boxes[:, 0], boxes[:, 0] * out.width / w)
    np.testing.assert_allclose(out.boxes[:, 3], boxes[:, 3] * out.height / h)


def test_size_follows_gsd_and_small_boxes_dropped():
    boxes = np.array([[0, 0, 90, 36], [100, 100, 104, 102]], float)  # a car and a 4x2 px speck at 5 cm
    im = LabeledImage("a", 600, 400, boxes=boxes, labels=[0, 3], gsd_m=0.05, pixels=np.zeros((400, 600, 3), np.uint8))
    res = resample_image(im, 0.3, min_side_px=2.0)
    assert (res.image.width, res.image.height) == (100, 67)
    assert res.dropped_small == 1 and res.image.labels.tolist() == [0]
    np.testing.assert_allclose(res.image.boxes[0], [0, 0, 15, 36 * 67 / 400])
    assert res.image.gsd_m == 0.3


def test_estimate_gsd_from_car_length():
    for gsd in (0.05, 0.1, 0.15):
        ds = synth_dataset(6, seed=11, size=320, gsd_m=gsd, classes=("car",), n_vehicles=(6, 10))
        est, n = estimate_gsd(ds.images, car_id=0)
        assert n > 20
        assert abs(est - gsd) / gsd < 0.2


def test_assign_gsd_known_and_estimated():
    ds = synth_dataset(8, seed=12, size=256, gsd_m=0.1, classes=("car",), group_size=4)
    groups = sorted(ds.groups())
    report = assign_gsd(ds, known={groups[0]: 0.13})
    assert report[groups[0]]["method"] == "documented"
    assert all(im.gsd_m == 0.13 for im in ds.groups()[groups[0]])
    assert abs(report[groups[1]]["gsd_m"] - 0.1) < 0.02
    empty = LabeledDataset(classes=["car"], images=[LabeledImage("x", 10, 10, group="g")])
    assert assign_gsd(empty)["g"]["gsd_m"] is None


def test_cli_resample(tmp_path):
    ds = synth_dataset(3, seed=13, size=300, gsd_m=0.1)
    write_yolo({"train": ds}, tmp_path / "y")
    res = CliRunner().invoke(app, ["dataset", "resample", str(tmp_path / "y" / "data.yaml"), "-o", str(tmp_path / "r"),
                                   "--gsd", "0.3,0.5", "--native-gsd", "0.1", "-q"])
    assert res.exit_code == 0, res.output
    r3 = read_yolo(tmp_path / "r" / "gsd_0.3m" / "data.yaml")
    assert {(im.width, im.height) for im in r3.images} == {(100, 100)}
    assert len(read_yolo(tmp_path / "r" / "gsd_0.5m" / "data.yaml")) == 3
