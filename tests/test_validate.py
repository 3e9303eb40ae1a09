"""Dataset validation: every kind of problem is found and named, a bad file never stops the import."""

from __future__ import annotations

import json

import numpy as np
from typer.testing import CliRunner

from borderwatch.cli import app
from borderwatch.datasets.formats import read_yolo, write_yolo
from borderwatch.datasets.model import LabeledDataset, LabeledImage
from borderwatch.datasets.synthetic import synth_dataset
from borderwatch.datasets.validate import clean, validate


def _broken_yolo(tmp_path):
    ds = synth_dataset(4, seed=21, size=100, n_vehicles=(1, 3))
    write_yolo({"train": ds}, tmp_path / "y")
    labels = sorted((tmp_path / "y" / "labels" / "train").glob("*.txt"))
    images = sorted((tmp_path / "y" / "images" / "train").glob("*.png"))
    labels[0].write_text(
        "0 0.5 0.5 0.2 0.2\n"
        "0 0.5 0.5 0.2 0.2\n"  # duplicate
        "1 0.98 0.5 0.2 0.2\n"  # out of bounds (x2 = 1.08)
        "2 0.3 0.3 0.0 0.1\n"  # empty width
        "three 0.1 0.1 0.1 0.1\n"  # unreadable
    )
    (tmp_path / "y" / "labels" / "train" / "ghost.txt").write_text("0 0.5 0.5 0.1 0.1\n")  # no image
    images[1].write_bytes(b"not a png")  # corrupt image
    return tmp_path / "y" / "data.yaml"


def test_report_names_each_problem(tmp_path):
    ds = read_yolo(_broken_yolo(tmp_path))
    assert len(ds) == 3  # the corrupt image is reported, the rest imported
    report = validate(ds)
    assert not report.ok
    assert report.counts == {
        "duplicate label": 1, "box out of bounds": 1, "empty or degenerate box": 1,
        "unreadable label line": 1, "label without image": 1, "unreadable image": 1,
    }
    text = "\n".join(report.lines())
    assert "ghost.txt" in text and ":5: unreadable label line" in text


def test_clean_fixes_boxes():
    im = LabeledImage("a", 100, 100, boxes=np.array([[10, 10, 30, 30], [10, 10, 30, 30], [90, 0, 110, 20],
                                                     [5, 5, 5, 20]], float), labels=[0, 0, 1, 2])
    ds = LabeledDataset(classes=["car", "truck", "bus"], images=[im])
    fixed, changes = clean(ds)
    assert changes == {"clipped": 1, "removed degenerate": 1, "removed duplicate": 1}
    np.testing.assert_allclose(fixed.images[0].boxes, [[10, 10, 30, 30], [90, 0, 100, 20]])
    assert validate(fixed).ok


def test_clean_dataset_validates(tmp_path):
    ds = synth_dataset(3, seed=22, size=128)
    assert validate(ds).ok


def test_cli_validate_exit_status_and_json(tmp_path):
    data = _broken_yolo(tmp_path)
    res = CliRunner().invoke(app, ["dataset", "validate", str(data), "--json", str(tmp_path / "r.json")])
    assert res.exit_code == 1
    assert "duplicate label: 1" in res.output
    doc = json.loads((tmp_path / "r.json").read_text())
    assert doc["ok"] is False and doc["images"] == 3
    good = write_yolo({"train": synth_dataset(2, seed=23, size=64)}, tmp_path / "good")
    assert CliRunner().invoke(app, ["dataset", "validate", str(good)]).exit_code == 0
