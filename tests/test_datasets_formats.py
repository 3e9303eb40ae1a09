"""Import/export round trips for YOLO, COCO and VOC, and imports that survive bad files."""

from __future__ import annotations

import json

import numpy as np
import pytest
import yaml
from typer.testing import CliRunner

from borderwatch.cli import app
from borderwatch.datasets.formats import (
    detect_format,
    parse_yolo_lines,
    read_coco,
    read_dataset,
    read_voc,
    read_yolo,
    write_coco,
    write_voc,
    write_yolo,
)
from borderwatch.datasets.model import LabeledDataset
from borderwatch.datasets.remap import remap
from borderwatch.datasets.synthetic import synth_dataset
from borderwatch.taxonomy import CLASSES, mapping_for


@pytest.fixture(scope="module")
def synth() -> LabeledDataset:
    return synth_dataset(5, seed=3, size=96, gsd_m=0.1, n_vehicles=(1, 5))


def _by_name(ds: LabeledDataset) -> dict:
    return {im.name.split("/")[-1]: im for im in ds.images}


def _assert_same(a: LabeledDataset, b: LabeledDataset, tol: float = 1e-3) -> None:
    assert a.classes == b.classes
    ia, ib = _by_name(a), _by_name(b)
    assert set(ia) == set(ib)
    for name, im in ia.items():
        other = ib[name]
        assert (im.width, im.height) == (other.width, other.height)
        order_a = np.lexsort(im.boxes.T[::-1])
        order_b = np.lexsort(other.boxes.T[::-1])
        np.testing.assert_allclose(im.boxes[order_a], other.boxes[order_b], atol=tol)
        np.testing.assert_array_equal(im.labels[order_a], other.labels[order_b])


def test_yolo_round_trip(tmp_path, synth):
    yaml_path = write_yolo({"train": synth}, tmp_path / "yolo")
    data = yaml.safe_load(yaml_path.read_text())
    assert data["names"] == dict(enumerate(CLASSES)) and data["train"] == "images/train"
    back = read_yolo(yaml_path)
    assert not back.issues
    _assert_same(synth, back)
    # a folder with images/ + labels/ and a names file reads the same
    (tmp_path / "yolo" / "classes.txt").write_text("\n".join(CLASSES))
    assert len(read_yolo(tmp_path / "yolo")) == len(synth)


def test_coco_round_trip(tmp_path, synth):
    out = write_coco(synth, tmp_path / "coco" / "annotations.json")
    doc = json.loads(out.read_text())
    assert len(doc["annotations"]) == sum(len(im.boxes) for im in synth.images)
    assert [c["name"] for c in doc["categories"]] == list(CLASSES)
    back = read_coco(out)
    assert not back.issues
    _assert_same(synth, back, tol=1e-9)
    assert {im.group for im in back.images} == {im.group for im in synth.images}


def test_voc_round_trip(tmp_path, synth):
    write_voc(synth, tmp_path / "voc")
    back = read_voc(tmp_path / "voc", classes=list(CLASSES))
    assert not back.issues
    _assert_same(synth, back, tol=1e-9)


def test_cross_format_chain_keeps_boxes(tmp_path, synth):
    coco = read_coco(write_coco(synth, tmp_path / "c" / "a.json"))
    write_voc(coco, tmp_path / "v")
    voc = read_voc(tmp_path / "v", classes=list(CLASSES))
    yolo = read_yolo(write_yolo({"train": voc}, tmp_path / "y"))
    _assert_same(synth, yolo)


def test_detect_format(tmp_path, synth):
    write_yolo({"train": synth}, tmp_path / "y")
    write_coco(synth, tmp_path / "c" / "ann.json")
    write_voc(synth, tmp_path / "v")
    assert detect_format(tmp_path / "y" / "data.yaml") == "yolo"
    assert detect_format(tmp_path / "c" / "ann.json") == "coco"
    assert detect_format(tmp_path / "v") == "voc"
    assert len(read_dataset(tmp_path / "v")) == len(synth)


def test_yolo_polygons_and_obb_become_boxes():
    text = "0 0.1 0.1 0.5 0.1 0.5 0.4 0.1 0.4\n1 0.2 0.2 0.6 0.3 0.4 0.7\n"
    boxes, labels, issues = parse_yolo_lines(text, 100, 200, "x.txt", 5)
    assert not issues
    np.testing.assert_allclose(boxes, [[10, 20, 50, 80], [20, 40, 60, 140]])
    assert labels.tolist() == [0, 1]


def test_bad_label_lines_do_not_stop_import(tmp_path, synth):
    write_yolo({"train": synth}, tmp_path / "y")
    labels = sorted((tmp_path / "y" / "labels" / "train").glob("*.txt"))
    labels[0].write_text("0 0.5 0.5 0.1 0.1\nnot a label\n9 0.5 0.5 0.1 0.1\n0 0.5 0.5\n")
    labels[1].write_bytes(b"\xff\xfe\x00garbage")
    (tmp_path / "y" / "labels" / "train" / "orphan.txt").write_text("0 0.5 0.5 0.1 0.1\n")
    ds = read_yolo(tmp_path / "y" / "data.yaml")
    assert len(ds) == len(synth)
    kinds = sorted(i.kind for i in ds.issues)
    assert kinds.count("unreadable label line") == 2
    assert "bad class id" in kinds and "label without image" in kinds and "unreadable label file" in kinds
    assert len(_by_name(ds)[labels[0].stem].boxes) == 1


def test_coco_missing_image_and_bad_annotation(tmp_path, synth):
    out = write_coco(synth, tmp_path / "c" / "ann.json")
    doc = json.loads(out.read_text())
    doc["annotations"].append({"id": 999, "image_id": 1, "category_id": 1})  # no bbox
    doc["annotations"].append({"id": 1000, "image_id": 4242, "category_id": 1, "bbox": [0, 0, 1, 1]})
    (tmp_path / "c" / "images" / doc["images"][0]["file_name"]).unlink()
    out.write_text(json.dumps(doc))
    ds = read_coco(out)
    kinds = sorted(i.kind for i in ds.issues)
    assert kinds == ["labels without image", "missing image", "unreadable annotation"]
    assert len(ds) == len(synth) - 1


def test_remap_reports_dropped():
    ds = LabeledDataset(classes=["car", "truck", "bus", "minibus", "cyclist", "pedestrian"])
    from borderwatch.datasets.model import LabeledImage

    ds.images.append(LabeledImage("a", 10, 10, boxes=np.tile([0, 0, 1, 1], (6, 1)), labels=[0, 1, 2, 3, 4, 5]))
    out, report = remap(ds, mapping_for("aerial-cars"))
    assert out.classes == list(CLASSES)
    assert [CLASSES[i] for i in out.images[0].labels] == ["car", "truck", "bus", "bus", "two_wheeler"]
    assert report.dropped == {"pedestrian": 1}
    assert report.mapping["minibus"] == "bus"


def test_cli_convert_yolo_to_coco(tmp_path, synth):
    yaml_path = write_yolo({"train": synth}, tmp_path / "y")
    res = CliRunner().invoke(app, ["dataset", "convert", str(yaml_path), "--to", "coco", "-o",
                                   str(tmp_path / "c" / "ann.json"), "-q"])
    assert res.exit_code == 0, res.output
    _assert_same(synth, read_coco(tmp_path / "c" / "ann.json"))
    res = CliRunner().invoke(app, ["dataset", "convert", str(tmp_path / "missing"), "-o", str(tmp_path / "x")])
    assert res.exit_code == 2 and "does not exist" in res.output


@pytest.mark.shared
def test_shared_overhead_sets_import_cleanly():
    from borderwatch.datasets.gsd import assign_gsd
    from tests.conftest import shared_path

    aerial = read_yolo(shared_path("data", "overhead", "aerial-cars"))
    assert aerial.classes == ["car", "truck", "bus", "minibus", "cyclist"]
    assert len(aerial) == 91 and not aerial.issues
    aerial, report = remap(aerial, mapping_for("aerial-cars"))
    assert not report.dropped
    for im in aerial.images:
        im.group = "kit" if im.name.startswith("MOS") else "minsk"
    gsd = assign_gsd(aerial)
    assert 0.11 < gsd["kit"]["gsd_m"] < 0.15  # KIT AIS documents ~13 cm; the car-length estimate agrees
    madison = read_yolo(shared_path("data", "overhead", "drone-cars-madison"), names=["car"])
    assert len(madison) == 872 and not madison.issues
