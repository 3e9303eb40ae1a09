"""Ensembles: members' classes, the fusion rule, the card and the registry (stand-in predictors only)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from borderwatch.detector.card import load_card
from borderwatch.detector.ensemble import EnsemblePredictor, FusionRule, Member, ResolvedEnsemble
from borderwatch.detector.registry import resolve_model
from borderwatch.detector.types import Detections, Predictor
from borderwatch.errors import ModelNotFoundError, UntrustedWeightsError
from borderwatch.taxonomy import CLASSES, mapping_for


class Fixed:
    """Returns the same boxes on every tile."""

    def __init__(self, names: dict[int, str], rows: list[tuple[float, float, float, float, float, int]]):
        self.names = names
        self.rows = np.array(rows, np.float32).reshape(-1, 6)

    def predict(self, tiles):
        r = self.rows
        return [Detections(r[:, :4].copy(), r[:, 4].copy(), r[:, 5].astype(np.int64)) for _ in tiles]


COCO_NAMES = {0: "person", 2: "car", 3: "motorcycle", 5: "bus", 7: "truck"}
OWN_NAMES = dict(enumerate(CLASSES))
TILE = [np.zeros((64, 64, 3), np.uint8)]


def coco(rows):
    return Member(Fixed(COCO_NAMES, rows), mapping_for("coco"), ("car", "truck", "bus", "two_wheeler"), "coco")


def own(rows):
    return Member(Fixed(OWN_NAMES, rows), mapping_for("borderwatch"), ("heavy_equipment",), "he")


def names_of(det: Detections, predictor) -> list[str]:
    return [predictor.names[int(i)] for i in det.class_ids]


def test_members_give_only_their_classes_in_taxonomy_names():
    ens = EnsemblePredictor(
        [coco([(0, 0, 10, 10, 0.9, 2), (20, 20, 30, 30, 0.8, 0), (40, 0, 50, 10, 0.7, 3)]),
         own([(0, 40, 10, 50, 0.6, 0), (30, 40, 60, 60, 0.9, 4)])]
    )
    assert isinstance(ens, Predictor)
    assert ens.names == dict(enumerate(CLASSES))
    (det,) = ens.predict(TILE)
    # COCO person dropped; the fine-tune's car dropped (COCO gives cars); motorcycle -> two_wheeler
    assert sorted(names_of(det, ens)) == ["car", "heavy_equipment", "two_wheeler"]


def test_truck_on_a_machine_is_dropped_by_iou_and_by_ios():
    machine = (100, 100, 200, 200, 0.8, 4)
    same = (102, 98, 204, 200, 0.9, 7)  # the excavator read as a truck: IoU ~0.95
    cab = (150, 100, 200, 140, 0.7, 7)  # a "truck" that is the cab: inside, IoU 0.2
    apart = (300, 300, 350, 350, 0.9, 7)  # a real truck elsewhere
    ens = EnsemblePredictor([coco([same, cab, apart]), own([machine])])
    (det,) = ens.predict(TILE)
    assert sorted(names_of(det, ens)) == ["heavy_equipment", "truck"]
    assert det.boxes[np.array(names_of(det, ens)) == "truck"][0][0] == 300

    iou_only = EnsemblePredictor([coco([same, cab, apart]), own([machine])], FusionRule(ios=None))
    (det,) = iou_only.predict(TILE)
    assert sorted(names_of(det, iou_only)) == ["heavy_equipment", "truck", "truck"]

    off = EnsemblePredictor([coco([same, cab, apart]), own([machine])], FusionRule(iou=None, ios=None))
    assert len(off.predict(TILE)[0]) == 4


def test_big_box_around_a_machine_is_not_dropped_by_ios():
    # IoS is over the suppressed box's own area: a bus that merely contains a small machine stays
    ens = EnsemblePredictor([coco([(0, 0, 400, 200, 0.9, 5)]), own([(10, 10, 60, 60, 0.8, 4)])])
    assert sorted(names_of(ens.predict(TILE)[0], ens)) == ["bus", "heavy_equipment"]


def test_no_detections_and_no_tiles():
    ens = EnsemblePredictor([coco([]), own([])])
    assert ens.predict([]) == []
    (det,) = ens.predict(TILE * 1)
    assert len(det) == 0


def _card(folder, name, members, extra=""):
    lines = [f"name: {name}", "format: ensemble", "class_source: borderwatch", "kind: photo", "members:"]
    for model, classes in members:
        lines += [f"  - model: {model}", f"    classes: [{', '.join(classes)}]"]
    (folder / f"{name}.yaml").write_text("\n".join(lines) + "\n" + extra)


def test_registry_resolves_each_member(tmp_path):
    (tmp_path / "a.onnx").write_bytes(b"not really onnx a")
    (tmp_path / "b.onnx").write_bytes(b"not really onnx b")
    _card(tmp_path, "ens-test", [("a.onnx", ["car", "truck"]), ("b.onnx", ["heavy_equipment"])],
          "fusion: {iou: 0.4, ios: null}\n")
    card = load_card(tmp_path / "ens-test.yaml")
    assert card.format == "ensemble" and card.fusion.iou == 0.4 and card.fusion.ios is None
    resolved = resolve_model("ens-test", models_dir=tmp_path, allow_download=False)
    assert isinstance(resolved, ResolvedEnsemble)
    assert resolved.format == "ensemble" and resolved.name == "ens-test"
    assert [m.path.name for m, _, _ in resolved.members] == ["a.onnx", "b.onnx"]
    assert resolved.members[1][1] == ("heavy_equipment",)
    assert resolved.fusion == FusionRule(("truck", "car", "bus"), ("heavy_equipment",), 0.4, None)
    # the identity covers the members' bytes
    (tmp_path / "b.onnx").write_bytes(b"other bytes")
    again = resolve_model("ens-test", models_dir=tmp_path, allow_download=False)
    assert again.sha256 != resolved.sha256


def test_untrusted_member_is_refused(tmp_path):
    (tmp_path / "a.onnx").write_bytes(b"onnx-ish")
    (tmp_path / "evil.pt").write_bytes(b"a pickle nobody vouched for")
    _card(tmp_path, "ens-evil", [("a.onnx", ["car"]), ("evil.pt", ["heavy_equipment"])])
    with pytest.raises(UntrustedWeightsError):
        resolve_model("ens-evil", models_dir=tmp_path, allow_download=False)


def test_missing_member_says_which_and_where(tmp_path):
    (tmp_path / "a.onnx").write_bytes(b"onnx-ish")
    _card(tmp_path, "ens-missing", [("no-such-model-xyz", ["car"]), ("a.onnx", ["heavy_equipment"])])
    with pytest.raises(ModelNotFoundError) as err:
        resolve_model("ens-missing", models_dir=tmp_path, allow_download=False)
    assert "no-such-model-xyz" in str(err.value) and "ens-missing" in str(err.value)


def test_fallback_member(tmp_path):
    (tmp_path / "a.onnx").write_bytes(b"onnx-ish")
    (tmp_path / "ens-fb.yaml").write_text(
        "name: ens-fb\nformat: ensemble\nclass_source: borderwatch\nmembers:\n"
        "  - model: no-such-model-xyz\n    fallback: [a.onnx]\n    classes: [car]\n"
    )
    resolved = resolve_model("ens-fb", models_dir=tmp_path, allow_download=False)
    assert resolved.members[0][0].path.name == "a.onnx"


def test_load_predictor_builds_the_ensemble(tmp_path, monkeypatch):
    from borderwatch.detector import predictor as predictor_mod

    (tmp_path / "a.onnx").write_bytes(b"onnx-ish")
    (tmp_path / "b.onnx").write_bytes(b"onnx-ish b")
    _card(tmp_path, "ens-load", [("a.onnx", ["car"]), ("b.onnx", ["heavy_equipment"])])
    resolved = resolve_model("ens-load", models_dir=tmp_path, allow_download=False)
    made = {}

    class FakeYolo:
        def __init__(self, path, **kw):
            made[Path(path).name] = kw["conf"]
            self.names = COCO_NAMES if Path(path).name == "a.onnx" else OWN_NAMES
            self.runtime = "native"

        def predict(self, tiles):
            return [Detections.empty() for _ in tiles]

    monkeypatch.setattr(predictor_mod, "YoloPredictor", FakeYolo)
    ens = predictor_mod.load_predictor(resolved, runtime="native", device="cpu")
    assert isinstance(ens, EnsemblePredictor) and set(made) == {"a.onnx", "b.onnx"}
    assert len(ens.predict(TILE)[0]) == 0


def test_a_machine_box_under_its_threshold_suppresses_nothing():
    boxes = np.array([[0, 0, 10, 10], [0, 0, 10, 10]], float)
    rule = FusionRule(min_score=0.32)
    member = np.array([0, 1])
    assert rule.dropped(boxes, ["truck", "heavy_equipment"], member, np.array([0.9, 0.2])).tolist() == [False, False]
    assert rule.dropped(boxes, ["truck", "heavy_equipment"], member, np.array([0.9, 0.5])).tolist() == [True, False]


def test_the_shipped_photo_card_fuses_at_its_machine_threshold():
    card = load_card(Path(__file__).resolve().parents[1] / "models" / "borderwatch-photo.yaml")
    assert card.inference.threshold_of("heavy_equipment") == 0.32
    assert all(m.conf is None for m in card.members)  # a class threshold, which eval and --conf reach below
