"""Per-class operating thresholds: the card's map, detect's filter and run.json, count's calibration
at each class's threshold, and no count rows for classes the model cannot output."""

from __future__ import annotations

import json
import warnings

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest

from borderwatch.detector.card import ClassMetrics, Inference, Metrics, ModelCard, PRRow
from borderwatch.detector.options import SliceParams
from borderwatch.detector.run.config import DetectConfig
from borderwatch.detector.thresholds import ClassThresholds, ThresholdFilter, class_thresholds, output_classes
from borderwatch.detector.types import Detections
from borderwatch.errors import GeoWarning, InputError
from borderwatch.geo.counts import count_run
from borderwatch.geo.runio import kind_run
from borderwatch.tables import KindSettings, RunManifest
from borderwatch.taxonomy import ClassMapping, mapping_for
from tests.helpers_geo import HYESAN, car_box, detection, frame, rect, write_run

INFERENCE = Inference(conf=0.65, conf_per_class={"truck": 0.3, "bus": 0.3})


def test_card_per_class_thresholds_and_validation(tmp_path):
    from borderwatch.detector.card import load_card

    assert INFERENCE.threshold_of("truck") == 0.3 and INFERENCE.threshold_of("car") == 0.65
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\ninference: {conf: 0.5, conf_per_class: {tank: 0.2}}\n")
    with pytest.raises(InputError, match="conf_per_class"):
        load_card(bad)
    bad.write_text("name: x\ninference: {conf: 0.5, conf_per_class: {truck: 1.5}}\n")
    with pytest.raises(InputError):
        load_card(bad)


def test_thresholds_from_the_card_or_the_users_conf():
    t = class_thresholds(None, INFERENCE)
    assert (t.of("car"), t.of("truck"), t.of("bus"), t.lowest) == (0.65, 0.3, 0.3, 0.3) and not t.uniform
    user = class_thresholds(0.5, INFERENCE)  # --conf: one threshold for every class
    assert user.uniform and user.of("truck") == 0.5 and user.hash_part() is None
    assert class_thresholds(None, None, 0.25) == ClassThresholds(0.25)
    # detect predicts at the lowest; a user's conf stays
    assert SliceParams().resolved(INFERENCE).conf == 0.3
    assert SliceParams(conf=0.5).resolved(INFERENCE).conf == 0.5
    assert SliceParams().resolved(Inference(conf=0.65)).conf == 0.65


def test_resume_key_covers_per_class_thresholds():
    config = DetectConfig(model="m")
    card = ModelCard(name="m", inference=INFERENCE)
    effective = config.for_card(card)
    plain = effective.params_hash("ab" * 32)
    assert effective.params_hash("ab" * 32, ClassThresholds(0.3)) == plain  # one threshold: the key it always had
    per = effective.params_hash("ab" * 32, config.class_thresholds(card))
    other = effective.params_hash("ab" * 32, ClassThresholds(0.65, {"truck": 0.3, "bus": 0.35}))
    assert len({plain, per, other}) == 3


class _Fixed:
    """A predictor returning the same boxes for every tile: car 0.5, car 0.7, truck 0.35, plane 0.9."""

    names = {0: "plane", 9: "truck", 10: "car"}
    runtime = "native"

    def predict(self, tiles):
        boxes = np.array([[0, 0, 10, 10], [20, 20, 30, 30], [40, 40, 60, 50], [70, 70, 80, 80]], np.float32)
        det = Detections(boxes, np.array([0.5, 0.7, 0.35, 0.9], np.float32), np.array([10, 10, 9, 0], np.int64))
        return [det for _ in tiles]


def test_filter_keeps_each_class_at_its_threshold():
    mapping = mapping_for("dota").with_overrides({"car": "car", "truck": "truck", "bus": "bus"})
    f = ThresholdFilter(_Fixed(), mapping, class_thresholds(None, INFERENCE))
    (det,) = f.predict([np.zeros((8, 8, 3), np.uint8)])
    assert det.scores.tolist() == pytest.approx([0.7, 0.35, 0.9])  # the 0.5 car goes; the unmapped plane keeps the default
    assert f.runtime == "native" and f.names == _Fixed.names
    assert output_classes(mapping, _Fixed.names) == ["car", "truck"]
    assert "heavy_equipment" in output_classes(mapping, None)  # names unknown: whatever the mapping reaches


def test_detect_records_per_class_thresholds_and_classes(tmp_path):
    from PIL import Image

    from borderwatch.detector.run import detect
    from borderwatch.detector.run.model import ModelHandle

    pixels = np.random.default_rng(0).integers(0, 255, (64, 64, 3), dtype=np.uint8)  # a flat tile is skipped
    Image.fromarray(pixels).save(tmp_path / "a.jpg")
    card = ModelCard(name="per-class", inference=INFERENCE)
    config = DetectConfig(model="per-class", kind="photo", slicing=SliceParams(tile_size=64))
    mapping = ClassMapping({"car": "car", "truck": "truck", "plane": None})
    thresholds = config.class_thresholds(card)
    handle = ModelHandle("per-class", "ef" * 32, mapping, lambda: ThresholdFilter(_Fixed(), mapping, thresholds),
                         card=card, thresholds=thresholds)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        detect([tmp_path / "a.jpg"], tmp_path / "run", config, quiet=True, model=handle)
    info = json.loads((tmp_path / "run" / "run.json").read_text())
    settings = RunManifest.model_validate(info).kinds["photo"]
    assert (settings.conf, settings.conf_per_class, settings.classes) == (0.65, {"truck": 0.3, "bus": 0.3}, ["car", "truck"])
    assert info["config"]["slicing"]["conf"] == 0.3  # the model ran at the lowest
    dets = pd.read_parquet(tmp_path / "run" / "detections.parquet")
    assert sorted(dets["vehicle_class"]) == ["car", "truck"]
    run = kind_run(info, "photo", card)
    assert (run.threshold("truck"), run.threshold("car"), run.classes) == (0.3, 0.65, ("car", "truck"))


def test_old_run_json_reads_as_one_threshold():
    old = {"status": "complete", "params_hash": "0" * 16, "kinds": {"overhead": {"model": "m", "weights_sha256": "ab", "runtime": "native", "tile": 1024,
                                  "overlap": 0.2, "conf": 0.65, "frames": 3}}}
    settings = RunManifest.model_validate(old).kinds["overhead"]
    assert settings.conf_per_class == {} and settings.classes is None
    run = kind_run(old, "overhead", ModelCard(name="m", inference=INFERENCE))
    assert run.threshold("truck") == 0.65 and run.classes is None  # it ran at 0.65 for every class
    assert KindSettings.model_fields["conf_per_class"].default_factory() == {}


def _pr(threshold_rows: dict[float, tuple[float, float]], n: int = 100) -> list[PRRow]:
    return [PRRow(threshold=t, precision=p, recall=r, n_pred=n, n_true=n) for t, (p, r) in threshold_rows.items()]


def _overhead_card() -> ModelCard:
    """Cars measured well at 0.65; trucks found only at 0.3 (recall 0 at 0.65)."""
    return ModelCard(
        name="ovh", kind="overhead", inference=INFERENCE,
        metrics=[Metrics(gsd_m=0.5, operating_threshold=0.65, class_thresholds={"truck": 0.3, "bus": 0.3},
                         per_class={"car": ClassMetrics(precision=0.9, recall=0.8, n_true=100, n_pred=100),
                                    "truck": ClassMetrics(precision=0.8, recall=0.4, n_true=100, n_pred=100),
                                    "bus": ClassMetrics(precision=0.6, recall=0.2, n_true=100, n_pred=100)},
                         pr_table={"car": _pr({0.3: (0.7, 0.9), 0.65: (0.9, 0.8)}),
                                   "truck": _pr({0.3: (0.8, 0.4), 0.65: (0.5, 0.0)}),
                                   "bus": _pr({0.3: (0.6, 0.2), 0.65: (0.5, 0.0)})})],
    )


def test_counts_calibrate_each_class_at_its_threshold_and_skip_classes_the_model_lacks(tmp_path):
    areas = tmp_path / "areas.geojson"
    gpd.GeoDataFrame({"name": ["Hyesan"]}, geometry=[rect(*HYESAN, -1000, -1000, 4000, 4000)], crs=4326).to_file(areas)
    a = frame("a", "2025-09-15T03:00:00Z", footprint=rect(*HYESAN, -1500, -1500, 1000, 1000))
    dets = [detection(a, 0, "car", car_box(*HYESAN, -1300, -1500), 0.9),
            detection(a, 1, "truck", car_box(*HYESAN, -1600, -1700, 8, 2.5), 0.4)]
    info = {"status": "complete", "kinds": {"overhead": {
        "model": "ovh", "weights_sha256": "ab" * 32, "runtime": "native", "tile": 1024, "overlap": 0.2,
        "conf": 0.65, "conf_per_class": {"truck": 0.3, "bus": 0.3}, "classes": ["car", "truck", "bus"], "frames": 1}}}
    run_dir = write_run(tmp_path / "run", [a], dets, run_json=info)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", GeoWarning)
        s = count_run(run_dir, areas, tz="Asia/Pyongyang", card=_overhead_card(), gpkg=False)
    c = s.counts.set_index("vehicle_class")
    assert sorted(c.index) == ["any_vehicle", "bus", "car", "truck"]  # no two_wheeler / heavy_equipment rows
    assert c.loc["truck", "calibrated_count"] == pytest.approx(1 * 0.8 / 0.4)
    assert "threshold 0.3; run at" in c.loc["truck", "calibration"] and "threshold 0.3)" not in c.loc["truck", "calibration"]
    assert c.loc["car", "calibrated_count"] == pytest.approx(1 * 0.9 / 0.8)
    assert c[["calibrated_low", "calibrated_high"]].notna().all().all()  # every row, any_vehicle included
    assert c.loc["bus", "calibrated_high"] > 0 and c.loc["bus", "count"] == 0


def test_eval_operating_figures_take_each_class_at_its_threshold():
    from borderwatch.datasets.model import LabeledImage
    from borderwatch.taxonomy import CLASSES
    from borderwatch.training import evaluation as ev

    car, truck = CLASSES.index("car"), CLASSES.index("truck")
    truth = np.array([[0, 0, 10, 10], [20, 0, 30, 10], [40, 0, 60, 10]], float)
    image = LabeledImage("x", 100, 100, boxes=truth, labels=[car, car, truck])
    boxes = np.vstack([truth, [[70, 70, 80, 80]]])
    cls, scores = np.array([car, car, truck, car]), np.array([0.9, 0.8, 0.4, 0.5])
    t = ClassThresholds(0.65, {"truck": 0.3})
    levels = sorted({ev.COLLECT_CONF, 0.3, 0.65, *ev.PR_THRESHOLDS})
    run = ev._ImageRun(image, {lv: (boxes[scores >= lv], cls[scores >= lv], scores[scores >= lv]) for lv in levels})
    v = ev._metrics([run], 0.3, t, 0, 0, ev.PR_THRESHOLDS)
    assert (v.per_class["car"].precision, v.per_class["car"].recall) == (1.0, 1.0)
    assert (v.per_class["truck"].recall, v.per_class["truck"].n_pred) == (1.0, 1)  # at 0.3, not 0.65
    assert v.count_mae == 0 and v.threshold == 0.65 and v.class_thresholds == {"truck": 0.3}
    one = ev._metrics([run], 0.3, ClassThresholds(0.65), 0, 0, ev.PR_THRESHOLDS)
    assert one.per_class["truck"].recall == 0.0 and one.count_mae == 1 and one.class_thresholds == {}


def test_an_evaluation_without_truth_of_the_class_is_not_its_figures():
    near = Metrics(gsd_m=0.2, per_class={"bus": ClassMetrics(precision=0.0, n_true=0, n_pred=1)})
    far = Metrics(gsd_m=0.3, per_class={"bus": ClassMetrics(precision=0.6, recall=0.2, n_true=26, n_pred=9)})
    card = ModelCard(name="m", metrics=[near, far])
    assert card.evaluation("bus", 0.2) is far and card.class_metrics("bus", 0.2).n_true == 26


# ---------------------------------------------------------------- per-class merge methods

MERGE_CARD = ModelCard(name="he-nms", inference=Inference(merge="ios", merge_per_class={"heavy_equipment": "nms"}))
PAIRS_MAPPING = ClassMapping({"car": "car", "heavy_equipment": "heavy_equipment"})


class _SideBySide:
    """Per tile: two machines side by side (IoS 0.6, IoU 0.43) and, below them, two cars the same."""

    names = {0: "car", 1: "heavy_equipment"}
    runtime = "native"

    def predict(self, tiles):
        boxes = np.array([[4, 4, 14, 14], [8, 4, 18, 14], [4, 40, 14, 50], [8, 40, 18, 50]], np.float32)
        det = Detections(boxes, np.array([0.9, 0.8, 0.9, 0.8], np.float32), np.array([1, 1, 0, 0], np.int64))
        return [det for _ in tiles]


@pytest.fixture
def merge_model(monkeypatch):
    """The registry resolves "he-nms" to MERGE_CARD and loads _SideBySide: detect's own model path."""
    from pathlib import Path

    from borderwatch.detector import predictor, registry
    from borderwatch.detector.resolved import ResolvedModel
    from borderwatch.training import evaluation

    resolved = ResolvedModel("he-nms", Path("he-nms.pt"), "pt", "cd" * 32, MERGE_CARD, PAIRS_MAPPING, trusted=True)
    monkeypatch.setattr(registry, "resolve_model", lambda *a, **k: resolved)
    monkeypatch.setattr(evaluation, "load_model", lambda *a, **k: resolved)
    monkeypatch.setattr(predictor, "load_predictor", lambda *a, **k: _SideBySide())
    return resolved


def _photo(tmp_path):
    from PIL import Image

    path = tmp_path / "a.jpg"
    Image.fromarray(np.random.default_rng(0).integers(0, 255, (64, 64, 3), dtype=np.uint8)).save(path)
    return path


def _detect(tmp_path, out: str, **slicing):
    from borderwatch.detector.run import detect

    config = DetectConfig(model="he-nms", kind="photo", slicing=SliceParams(tile_size=64, **slicing))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        summary = detect([_photo(tmp_path)], tmp_path / out, config, quiet=True)
    info = json.loads((tmp_path / out / "run.json").read_text())
    classes = pd.read_parquet(tmp_path / out / "detections.parquet")["vehicle_class"].value_counts().to_dict()
    return summary, info, classes


def test_merge_methods_from_the_card_or_the_users_merge():
    from borderwatch.detector.thresholds import ClassMerge, class_merge

    card = class_merge(None, MERGE_CARD.inference)
    assert (card.of("heavy_equipment"), card.of("car"), card.exceptions) == ("nms", "ios", {"heavy_equipment": "nms"})
    assert card.by_id(_SideBySide.names, PAIRS_MAPPING) == {1: "nms"}
    assert class_merge("ios", MERGE_CARD.inference) == ClassMerge("ios")  # --merge: one method for every class
    assert class_merge(None, MERGE_CARD.inference, class_agnostic=True).uniform  # across classes: merge for all
    assert class_merge(None, Inference(merge_per_class={"car": "ios"})).uniform  # the default's own method
    assert ClassMerge("nms").by_id(_SideBySide.names, PAIRS_MAPPING) == {}


def test_resume_key_covers_per_class_merge_methods():
    from borderwatch.detector.thresholds import ClassMerge

    config = DetectConfig(model="m")
    effective = config.for_card(MERGE_CARD)
    plain = effective.params_hash("ab" * 32)
    assert effective.params_hash("ab" * 32, None, ClassMerge("ios")) == plain  # one method: the key it always had
    per = effective.params_hash("ab" * 32, None, config.class_merge(MERGE_CARD))
    user = DetectConfig(model="m", slicing=SliceParams(merge="ios"))
    assert user.for_card(MERGE_CARD).params_hash("ab" * 32, None, user.class_merge(MERGE_CARD)) == plain
    assert per != plain


def test_detect_merges_machines_by_nms_and_cars_by_ios(tmp_path, merge_model):
    summary, info, classes = _detect(tmp_path, "run")
    assert classes == {"heavy_equipment": 2, "car": 1}  # machines kept apart, the two car boxes joined
    settings = info["kinds"]["photo"]
    assert (settings["merge"], settings["merge_per_class"]) == ("ios", {"heavy_equipment": "nms"})
    assert info["config"]["slicing"]["merge"] == "ios"
    # the user's --merge is one method for every class, and a new resume key: nothing stale is resumed
    again, info_ios, classes_ios = _detect(tmp_path, "run", merge="ios")
    assert classes_ios == {"heavy_equipment": 1, "car": 1} and info_ios["kinds"]["photo"]["merge_per_class"] == {}
    assert again.resumed == 0 and again.computed == 1 and again.params_hash != summary.params_hash
    _, _, classes_nms = _detect(tmp_path, "nms", merge="nms")
    assert classes_nms == {"heavy_equipment": 2, "car": 2}
    # class-agnostic merging compares machines with cars: one method, the card's merge, for all
    _, info_agn, classes_agn = _detect(tmp_path, "agnostic", class_agnostic=True)
    assert classes_agn == {"heavy_equipment": 1, "car": 1} and info_agn["kinds"]["photo"]["merge_per_class"] == {}
    rerun, _, classes_again = _detect(tmp_path, "run")
    # back to the card's methods: the first run's part is resumed, not the --merge ios one
    assert rerun.resumed == 1 and rerun.params_hash == summary.params_hash and classes_again == classes


def test_eval_and_the_ray_worker_merge_as_detect_does(tmp_path, merge_model):
    from PIL import Image

    from borderwatch.detector.frames import discover, frame_id_of
    from borderwatch.detector.run.engine_ray import FrameWorker
    from borderwatch.detector.run.model import resolve_model_handle
    from borderwatch.taxonomy import CLASSES
    from borderwatch.training.evaluation import EngineEvaluator

    config = DetectConfig(model="he-nms", kind="photo", slicing=SliceParams(tile_size=64))
    engine = EngineEvaluator(config)
    rgb = np.asarray(Image.open(_photo(tmp_path)).convert("RGB"))
    params = engine.config.params_for_size("photo", None, 64, 64)
    _, cls, _ = engine.merged(engine.tiles(rgb, params), params, 0.25)
    assert sorted(CLASSES[c] for c in cls) == ["car", "heavy_equipment", "heavy_equipment"]  # eval == detect

    handle = resolve_model_handle(config)
    worker = FrameWorker(handle.loader, config.for_card(handle.card), None, handle.merges, handle.mapping)
    fi = discover([tmp_path / "a.jpg"], [], "photo", None).frames[0]
    out = worker.detect(fi, frame_id_of(fi.path))
    assert sorted(out.detections.class_ids.tolist()) == [0, 1, 1]
