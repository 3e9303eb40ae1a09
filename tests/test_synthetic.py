"""The synthetic scene generator: deterministic, boxes on the vehicles, sizes that follow the GSD."""

from __future__ import annotations

import numpy as np
from typer.testing import CliRunner

from borderwatch.cli import app
from borderwatch.datasets.formats import read_yolo
from borderwatch.datasets.synthetic import (
    BODY_COLOURS,
    GLASS_COLOUR,
    VEHICLE_SIZES,
    synth_dataset,
    synth_scene,
)
from borderwatch.taxonomy import CLASSES


def test_same_seed_same_scene():
    a, b, c = synth_scene(5), synth_scene(5), synth_scene(6)
    np.testing.assert_array_equal(a.pixels, b.pixels)
    np.testing.assert_array_equal(a.boxes, b.boxes)
    assert not np.array_equal(a.pixels, c.pixels)


def test_boxes_inside_and_apart():
    for seed in range(10):
        im = synth_scene(seed, size=200, gsd_m=0.1, n_vehicles=10)
        assert len(im.boxes) > 0
        assert ((im.boxes >= 0) & (im.boxes <= 200)).all()
        assert (im.boxes[:, 2] > im.boxes[:, 0]).all() and (im.boxes[:, 3] > im.boxes[:, 1]).all()
        for i in range(len(im.boxes)):
            for j in range(i + 1, len(im.boxes)):
                a, b = im.boxes[i], im.boxes[j]
                assert a[2] < b[0] or b[2] < a[0] or a[3] < b[1] or b[3] < a[1]


def test_vehicles_are_painted_at_their_boxes():
    painted = {tuple(c) for c in BODY_COLOURS} | {GLASS_COLOUR}
    for seed in range(5):
        im = synth_scene(seed, size=256, gsd_m=0.1, n_vehicles=6)
        for x1, y1, x2, y2 in im.boxes:
            cx, cy = int((x1 + x2) / 2), int((y1 + y2) / 2)
            # the box centre lies on the vehicle: a body or windscreen colour, not ground noise
            assert tuple(int(v) for v in im.pixels[cy, cx]) in painted


def test_size_follows_gsd():
    for gsd in (0.1, 0.3):
        im = synth_scene(9, size=400, gsd_m=gsd, n_vehicles=15, classes=("car",))
        longest = np.maximum(im.boxes[:, 2] - im.boxes[:, 0], im.boxes[:, 3] - im.boxes[:, 1])
        length_px = VEHICLE_SIZES["car"][0] / gsd
        assert (longest <= length_px * 1.1 + 2).all()
        assert (longest >= length_px * 0.9 * 0.7).all()  # at 45 deg the box side is (L+W)/sqrt 2


def test_dataset_groups_and_classes():
    ds = synth_dataset(12, seed=1, group_size=4)
    assert ds.classes == list(CLASSES)
    assert len(ds.groups()) == 3
    counts = ds.class_counts()
    assert counts["car"] == max(counts.values())


def test_cli_synth(tmp_path):
    res = CliRunner().invoke(app, ["dataset", "synth", "-o", str(tmp_path / "s"), "--n", "8", "--size", "64", "-q"])
    assert res.exit_code == 0, res.output
    assert len(read_yolo(tmp_path / "s" / "data.yaml")) == 8
