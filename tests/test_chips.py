"""Chipping: tiles cover the image, boxes cut by an edge are kept when enough remains, pixels line up."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from borderwatch.cli import app
from borderwatch.datasets.chips import PAD_VALUE, chip_image, crop_boxes, pack_images
from borderwatch.datasets.formats import read_yolo, write_yolo
from borderwatch.datasets.model import LabeledImage
from borderwatch.datasets.synthetic import synth_dataset, synth_scene
from borderwatch.tiling import tile_starts


@settings(max_examples=200, deadline=None)
@given(st.integers(1, 3000), st.integers(16, 1024), st.integers(0, 200))
def test_tiles_cover_axis(length, size, overlap):
    overlap = min(overlap, size - 1)
    starts = tile_starts(length, size, overlap)
    assert starts[0] == 0
    assert starts == sorted(set(starts))
    covered_to = 0
    for s in starts:
        assert s <= covered_to  # no gap
        covered_to = max(covered_to, s + size)
        assert s + size <= max(length, size)  # no tile hangs out of the image
    assert covered_to >= length
    for a, b in zip(starts, starts[1:], strict=False):
        assert b - a <= size - overlap or b == length - size


def test_crop_boxes_keep_rule():
    boxes = np.array([
        [10, 10, 20, 20],  # inside
        [95, 10, 105, 20],  # half out: exactly 0.5 kept
        [97, 10, 107, 20],  # 30% left: dropped
        [200, 200, 210, 210],  # elsewhere
    ], dtype=float)
    labels = np.array([0, 1, 2, 3])
    out, lab, st_ = crop_boxes(boxes, labels, 0, 0, 100, 100, min_keep=0.5)
    assert lab.tolist() == [0, 1]
    np.testing.assert_allclose(out, [[10, 10, 20, 20], [95, 10, 100, 20]])
    assert (st_.kept, st_.clipped, st_.dropped_cut) == (2, 1, 1)
    out, lab, _ = crop_boxes(boxes, labels, 0, 0, 100, 100, min_keep=0.25)
    assert lab.tolist() == [0, 1, 2]


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 10_000), st.integers(48, 200), st.integers(0, 40), st.floats(0.1, 1.0))
def test_chips_match_source_pixels_and_boxes(seed, size, overlap, min_keep):
    im = synth_scene(seed, size=300, gsd_m=0.15)
    rgb = im.pixels
    chips, stats = chip_image(im, size, overlap=min(overlap, size - 1), min_keep=min_keep)
    for chip in chips:
        _, x0, y0 = chip.name.rsplit("_", 2)
        x0, y0 = int(x0[1:]), int(y0[1:])
        part = rgb[y0:y0 + size, x0:x0 + size]
        np.testing.assert_array_equal(chip.pixels[: part.shape[0], : part.shape[1]], part)
        assert (chip.pixels[part.shape[0]:] == PAD_VALUE).all()
        assert chip.pixels.shape == (size, size, 3)
        assert ((chip.boxes >= 0) & (chip.boxes <= size)).all()
        for b in chip.boxes:  # every chip box is a clipped piece of a source box
            src = b + [x0, y0, x0, y0]
            inside = ((im.boxes[:, 0] <= src[0] + 1e-9) & (im.boxes[:, 1] <= src[1] + 1e-9)
                      & (im.boxes[:, 2] >= src[2] - 1e-9) & (im.boxes[:, 3] >= src[3] - 1e-9))
            assert inside.any()
    # every source box wholly inside some chip survives in that chip
    assert stats.kept >= len(im.boxes) if size >= 300 else True


def test_every_box_survives_whole_when_overlap_exceeds_box_size():
    im = synth_scene(7, size=500, gsd_m=0.3, n_vehicles=20)
    assert (im.boxes[:, 2:] - im.boxes[:, :2]).max() < 64
    chips, _ = chip_image(im, 128, overlap=64, min_keep=1.0)
    found = set()
    for chip in chips:
        _, x0, y0 = chip.name.rsplit("_", 2)
        shifted = chip.boxes + [int(x0[1:]), int(y0[1:])] * 2
        for b in shifted:
            hit = np.where(np.abs(im.boxes - b).max(axis=1) < 1e-9)[0]
            found.update(hit.tolist())
    assert found == set(range(len(im.boxes)))


def test_small_image_padded_to_one_chip():
    im = synth_scene(1, size=64, gsd_m=0.3)
    chips, _ = chip_image(im, 128)
    assert len(chips) == 1 and chips[0].pixels.shape == (128, 128, 3)
    np.testing.assert_allclose(chips[0].boxes, im.boxes)


def test_pack_offsets_boxes_exactly():
    small = [im for im in synth_dataset(9, seed=4, size=60, gsd_m=0.3, n_vehicles=(1, 3)).images]
    canvases = pack_images(small, 128, gap=2)
    assert len(canvases) == 3  # 2 x 2 per canvas... 60 + 2 + 60 <= 128
    assert sum(len(c.boxes) for c in canvases) == sum(len(i.boxes) for i in small)
    k = 0
    for canvas in canvases:
        assert canvas.pixels.shape == (128, 128, 3)
        assert ((canvas.boxes >= 0) & (canvas.boxes <= 128)).all()
        for src in small[k:k + 4]:
            # the first box of each source tells where it went; the whole source image must be there
            j = sum(len(s.boxes) for s in small[k:small.index(src)])
            dx, dy = (canvas.boxes[j, :2] - src.boxes[0, :2]).round().astype(int)
            np.testing.assert_allclose(canvas.boxes[j:j + len(src.boxes)], src.boxes + [dx, dy, dx, dy])
            np.testing.assert_array_equal(canvas.pixels[dy:dy + 60, dx:dx + 60], src.pixels)
        k += 4
    with np.testing.assert_raises(ValueError):
        pack_images([LabeledImage("big", 200, 200, pixels=np.zeros((200, 200, 3), np.uint8))], 128)


def test_cli_chip(tmp_path):
    ds = synth_dataset(2, seed=5, size=300, gsd_m=0.15)
    write_yolo({"train": ds}, tmp_path / "y")
    res = CliRunner().invoke(app, ["dataset", "chip", str(tmp_path / "y" / "data.yaml"), "-o", str(tmp_path / "c"),
                                   "--size", "160", "--overlap", "32", "-q"])
    assert res.exit_code == 0, res.output
    chips = read_yolo(tmp_path / "c" / "data.yaml")
    per_axis = len(tile_starts(300, 160, 32))
    assert len(chips) == 2 * per_axis**2 and all(im.width == 160 for im in chips.images)
    assert sum(len(c.boxes) for c in chips.images) >= sum(len(i.boxes) for i in ds.images)
