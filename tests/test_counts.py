"""count_run end to end on synthetic runs in Hyesan and Dandong with known answers."""

from __future__ import annotations

import json
import warnings

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest

from borderwatch.detector.card import ClassMetrics, Metrics, ModelCard
from borderwatch.errors import ConfigError, GeoWarning, InputError
from borderwatch.geo.calibration import ClassCalibration, interval, sample_true_counts
from borderwatch.geo.counts import count_run
from borderwatch.tables import COUNTS, GEOTAGGED
from tests.helpers_geo import CHANGBAI, DANDONG, HYESAN, car_box, detection, frame, rect, write_run


@pytest.fixture(scope="module")
def squares(tmp_path_factory):
    path = tmp_path_factory.mktemp("areas") / "squares.geojson"
    gpd.GeoDataFrame(
        {"name": ["Hyesan", "Dandong"]},
        geometry=[rect(*HYESAN, -1000, -1000, 4000, 4000), rect(*DANDONG, 0, 0, 2000, 2000)],
        crs=4326,
    ).to_file(path)
    return path


def hyesan_scenario():
    """Two overlapping 1 km² scenes of Hyesan on 15 Sep 2025 (Pyongyang time), a telephoto photo of
    Hyesan taken from Changbai, a photo of Dandong, a failed frame and a later empty scene."""
    a = frame("a", "2025-09-15T03:00:00Z", footprint=rect(*HYESAN, -1500, -1500, 1000, 1000))
    b = frame("b", "2025-09-15T04:00:00Z", footprint=rect(*HYESAN, -1000, -1500, 1000, 1000))
    p = frame("p", "2025-09-15T05:00:00Z", kind="photo", area="혜산", lon=CHANGBAI[0], lat=CHANGBAI[1])
    q = frame("q", "2025-09-15T06:00:00Z", kind="photo", area="丹东")
    f = frame("f", "2025-09-15T05:00:00Z", status="failed", footprint=rect(*HYESAN, -1500, -1500, 1000, 1000))
    e = frame("e", "2025-09-16T02:00:00Z", footprint=rect(*HYESAN, -1500, -1500, 1000, 1000))
    dets = [
        detection(a, 0, "car", car_box(*HYESAN, -1800, -1500), 0.9),
        detection(a, 1, "car", car_box(*HYESAN, -1300, -1500), 0.9),
        detection(a, 2, "car", car_box(*HYESAN, -1300, -1200), 0.9),
        detection(a, 3, "truck", car_box(*HYESAN, -1600, -1700, 8, 2.5), 0.9),
        # b sees a:1 and a:2 again (shifted by 0.5 m) and one car of its own
        detection(b, 0, "car", car_box(*HYESAN, -1300.5, -1500), 0.8),
        detection(b, 1, "car", car_box(*HYESAN, -1300, -1199.5), 0.8),
        detection(b, 2, "car", car_box(*HYESAN, -700, -1500), 0.8),
        detection(p, 0, "car"),
        detection(q, 0, "bus"),
        detection(q, 1, "car"),
        detection(f, 0, "car", car_box(*HYESAN, -1500, -1500)),
    ]
    return [a, b, p, q, f, e], dets


@pytest.fixture
def run(tmp_path):
    frames, dets = hyesan_scenario()
    return write_run(tmp_path / "run", frames, dets)


def quiet_count(*args, **kwargs):
    kwargs.setdefault("gpkg", False)  # the GeoPackage has its own test; skipping it keeps the rest fast
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", GeoWarning)
        return count_run(*args, **kwargs)


def row(counts, area, cls, bucket, kind=None):
    hit = counts[(counts["area"] == area) & (counts["vehicle_class"] == cls) & (counts["bucket"] == bucket)]
    if kind is not None:
        hit = hit[hit["frame_kind"] == kind]
    assert len(hit) == 1, (area, cls, bucket, kind, len(hit))
    return hit.iloc[0]


def test_exact_counts_densities_and_coverage(run, squares):
    s = quiet_count(run, squares, tz="Asia/Pyongyang")
    c = s.counts
    assert list(c.columns) == COUNTS.column_names
    assert set(c["bucket_by"]) == {"day"} and set(c["tz"]) == {"Asia/Pyongyang"}
    # photos and overhead scenes of one area and day are separate rows, never added
    car = row(c, "Hyesan", "car", "2025-09-15", "overhead")
    assert (car["raw_count"], car["count"], car["n_frames"]) == (6, 4, 2)  # a:3, b:3; 2 repeats
    assert car["imaged_km2"] == pytest.approx(1.5, rel=1e-6)  # union of two half-overlapping km²
    assert car["area_km2"] == pytest.approx(16.0, rel=1e-6)
    assert car["coverage_fraction"] == pytest.approx(1.5 / 16.0, rel=1e-6)
    assert car["density_per_km2"] == pytest.approx(4 / 1.5, rel=1e-6)
    assert list(car["frame_ids"]) == ["a", "b"]
    assert car["bucket_start"] == pd.Timestamp("2025-09-14T15:00:00Z")
    assert car["bucket_end"] == pd.Timestamp("2025-09-15T15:00:00Z")
    assert car["first_seen"] == pd.Timestamp("2025-09-15T03:00:00Z")
    assert car["last_seen"] == pd.Timestamp("2025-09-15T04:00:00Z")
    assert car["country"] == "KP"
    photo_car = row(c, "Hyesan", "car", "2025-09-15", "photo")
    assert (photo_car["raw_count"], photo_car["count"], list(photo_car["frame_ids"])) == (1, 1, ["p"])
    assert pd.isna(photo_car["imaged_km2"]) and pd.isna(photo_car["density_per_km2"])  # no ground area
    truck = row(c, "Hyesan", "truck", "2025-09-15", "overhead")
    assert (truck["raw_count"], truck["count"]) == (1, 1)
    bus = row(c, "Hyesan", "bus", "2025-09-15", "overhead")
    assert (bus["raw_count"], bus["count"], bus["density_per_km2"]) == (0, 0, 0.0)
    anyv = row(c, "Hyesan", "any_vehicle", "2025-09-15", "overhead")
    assert (anyv["raw_count"], anyv["count"]) == (7, 5)
    assert anyv["density_per_km2"] == pytest.approx(5 / 1.5)
    # the next day's empty scene still gives rows: imaged, nothing seen
    empty = row(c, "Hyesan", "any_vehicle", "2025-09-16")
    assert (empty["raw_count"], empty["count"], empty["n_frames"]) == (0, 0, 1)
    assert empty["imaged_km2"] == pytest.approx(1.0, rel=1e-6)
    # Dandong: a photo only: counts, no densities
    dd = row(c, "Dandong", "any_vehicle", "2025-09-15")
    assert (dd["raw_count"], dd["count"], dd["n_frames"]) == (2, 2, 1)
    assert pd.isna(dd["imaged_km2"]) and pd.isna(dd["density_per_km2"]) and pd.isna(dd["coverage_fraction"])
    assert dd["area_km2"] == pytest.approx(4.0, rel=1e-6)
    assert dd["country"] == "CN"
    # 6 classes for each of the 4 imaged (area, kind, day): Hyesan overhead x2, Hyesan photo, Dandong photo
    assert len(c) == 4 * 6
    assert "f" not in set(np.concatenate(c["frame_ids"].to_numpy()))
    assert s.frames_ignored == 1
    assert any("status other than ok" in w for w in s.warnings)


def test_geotagged_and_dedup_flags(run, squares):
    s = quiet_count(run, squares, tz="Asia/Pyongyang")
    g = s.geotagged
    assert list(g.columns) == GEOTAGGED.column_names
    flags = dict(zip(g["detection_id"], g["dedup_kept"], strict=True))
    assert flags == {"a:0": True, "a:1": True, "a:2": True, "a:3": True, "b:0": False, "b:1": False,
                     "b:2": True, "p:0": True, "q:0": True, "q:1": True}
    assert s.n_duplicates == 2
    back = gpd.read_parquet(run / "geotagged.parquet")
    assert back.crs.to_epsg() == 4326 and len(back) == 10


def test_dedup_threshold_and_rules(tmp_path, squares):
    a = frame("a", "2025-09-15T03:00:00Z", footprint=rect(*HYESAN, 0, 0, 1000, 1000))
    b = frame("b", "2025-09-15T04:00:00Z", footprint=rect(*HYESAN, 0, 0, 1000, 1000))
    c = frame("c", "2025-09-17T04:00:00Z", footprint=rect(*HYESAN, 0, 0, 1000, 1000))
    dets = [
        detection(a, 0, "car", car_box(*HYESAN, 0, 0)),
        detection(a, 1, "car", car_box(*HYESAN, 0.3, 0)),  # same frame, overlapping: two vehicles
        detection(b, 0, "car", car_box(*HYESAN, 0.1, 0)),  # same date, other frame: a repeat
        detection(b, 1, "truck", car_box(*HYESAN, 100, 0)),
        detection(a, 2, "car", car_box(*HYESAN, 100, 0)),  # same place as b:1 but another class
        detection(c, 0, "car", car_box(*HYESAN, 0, 0)),  # same place, another date
        detection(b, 2, "car", car_box(*HYESAN, 203.5, 0)),  # IoU with a:3 = 1/9: below 0.3
        detection(a, 3, "car", car_box(*HYESAN, 200, 0)),
    ]
    run_dir = write_run(tmp_path / "r", [a, b, c], dets)
    s = quiet_count(run_dir, squares, tz="Asia/Pyongyang")
    kept = dict(zip(s.geotagged["detection_id"], s.geotagged["dedup_kept"], strict=True))
    assert [k for k, v in kept.items() if not v] == ["b:0"]
    assert row(s.counts, "Hyesan", "car", "2025-09-15")["count"] == 5
    s_low = quiet_count(run_dir, squares, tz="Asia/Pyongyang", dedup_iou=0.1)
    assert row(s_low.counts, "Hyesan", "car", "2025-09-15")["count"] == 4  # now b:2 and a:3 merge too
    s_off = quiet_count(run_dir, squares, tz="Asia/Pyongyang", dedup_iou=0)
    assert s_off.geotagged["dedup_kept"].all()


def test_time_zone_decides_the_date(tmp_path, squares):
    late = frame("late", "2025-09-14T15:30:00Z", footprint=rect(*HYESAN, 0, 0, 1000, 1000))
    run_dir = write_run(tmp_path / "r", [late], [detection(late, 0, "car", car_box(*HYESAN, 0, 0))])
    pyongyang = quiet_count(run_dir, squares, tz="Asia/Pyongyang").counts
    utc = quiet_count(run_dir, squares, tz="UTC").counts
    assert set(pyongyang["bucket"]) == {"2025-09-15"}
    assert set(utc["bucket"]) == {"2025-09-14"}
    assert row(utc, "Hyesan", "car", "2025-09-14")["bucket_start"] == pd.Timestamp("2025-09-14T00:00:00Z")
    with pytest.raises(ConfigError, match="unknown time zone"):
        count_run(run_dir, squares, tz="Mars/Olympus")


def test_week_and_month_buckets(tmp_path, squares):
    frames = [
        frame("mon", "2025-09-15T01:00:00Z", footprint=rect(*HYESAN, -500, 0, 1000, 1000)),
        frame("sun", "2025-09-21T01:00:00Z", footprint=rect(*HYESAN, 0, 0, 1000, 1000)),
        frame("next", "2025-09-22T01:00:00Z", footprint=rect(*HYESAN, 0, 0, 1000, 1000)),
        frame("oct", "2025-10-01T01:00:00Z", footprint=rect(*HYESAN, 0, 0, 1000, 1000)),
    ]
    dets = [detection(f, i, "car", car_box(*HYESAN, 0, 10 * i)) for f in frames for i in range(2)]
    run_dir = write_run(tmp_path / "r", frames, dets)
    week = quiet_count(run_dir, squares, by="week", tz="Asia/Pyongyang").counts
    w38 = row(week, "Hyesan", "car", "2025-W38")
    # the same cars on two different dates of one week are not duplicates: 4
    assert (w38["raw_count"], w38["count"], w38["n_frames"]) == (4, 4, 2)
    assert w38["imaged_km2"] == pytest.approx(1.5, rel=1e-6)  # union over the week
    assert w38["bucket_start"] == pd.Timestamp("2025-09-14T15:00:00Z")  # Monday 00:00 in Pyongyang
    assert w38["bucket_end"] == pd.Timestamp("2025-09-21T15:00:00Z")
    assert set(week["bucket"]) == {"2025-W38", "2025-W39", "2025-W40"}
    month = quiet_count(run_dir, squares, by="month", tz="Asia/Pyongyang").counts
    sep = row(month, "Hyesan", "car", "2025-09")
    assert (sep["raw_count"], sep["n_frames"]) == (6, 3)
    assert sep["bucket_start"] == pd.Timestamp("2025-08-31T15:00:00Z")
    assert sep["bucket_end"] == pd.Timestamp("2025-09-30T15:00:00Z")
    assert row(month, "Hyesan", "car", "2025-10")["raw_count"] == 2


def test_frames_without_time_are_left_out(tmp_path, squares):
    t = frame("t", None, footprint=rect(*HYESAN, 0, 0, 1000, 1000))
    ok = frame("ok", "2025-09-15T03:00:00Z", footprint=rect(*HYESAN, 0, 0, 1000, 1000))
    run_dir = write_run(tmp_path / "r", [t, ok], [detection(t, 0, "car", car_box(*HYESAN, 0, 0))])
    s = quiet_count(run_dir, squares)
    assert s.frames_without_time == 1
    assert row(s.counts, "Hyesan", "car", "2025-09-15")["raw_count"] == 0
    assert s.geotagged["area"].tolist() == ["Hyesan"]  # still placed on the map


def test_default_areas_are_the_gazetteer_cores(run):
    s = quiet_count(run, tz="Asia/Pyongyang")
    car = row(s.counts, "Hyesan", "car", "2025-09-15", "overhead")
    assert car["raw_count"] == 6
    assert 40 < car["area_km2"] < 16 * np.pi  # a 4 km disc minus what the Changbai core takes
    assert set(s.counts["area"]) == {"Hyesan", "Dandong"}


def card_with(precision, recall, n=400, classes=("car", "truck", "bus", "two_wheeler", "heavy_equipment")):
    return ModelCard(
        name="test-model",
        metrics=[Metrics(per_class={c: ClassMetrics(precision=precision, recall=recall, n_true=n, n_pred=n) for c in classes})],
    )


def test_calibrated_counts_with_a_card(run, squares):
    s = quiet_count(run, squares, tz="Asia/Pyongyang", card=card_with(0.8, 0.5))
    car = row(s.counts, "Hyesan", "car", "2025-09-15", "overhead")
    assert car["calibrated_count"] == pytest.approx(4 * 0.8 / 0.5)
    assert car["calibrated_low"] < car["calibrated_count"] < car["calibrated_high"]
    assert car["calibration"].startswith("card test-model: car precision 0.80, recall 0.50")
    anyv = row(s.counts, "Hyesan", "any_vehicle", "2025-09-15", "overhead")
    assert anyv["calibrated_count"] == pytest.approx(5 * 0.8 / 0.5)
    assert anyv["calibrated_low"] < anyv["calibrated_count"] < anyv["calibrated_high"]
    # same seed, same interval
    again = quiet_count(run, squares, tz="Asia/Pyongyang", card=card_with(0.8, 0.5))
    assert again.counts["calibrated_high"].equals(s.counts["calibrated_high"])
    # no card, or a card without the class: null
    none = quiet_count(run, squares, tz="Asia/Pyongyang")
    assert none.counts["calibrated_count"].isna().all()
    assert none.counts["calibration"].str.startswith("not calibrated: no model card found").all()
    only_car = quiet_count(run, squares, tz="Asia/Pyongyang", card=card_with(0.8, 0.5, classes=("car",)))
    truck = row(only_car.counts, "Hyesan", "truck", "2025-09-15", "overhead")
    assert pd.isna(truck["calibrated_count"]) and "no measured precision/recall for truck" in truck["calibration"]
    # a truck was seen and nobody measured trucks: the sum over classes cannot be calibrated
    anyv = row(only_car.counts, "Hyesan", "any_vehicle", "2025-09-15", "overhead")
    assert pd.isna(anyv["calibrated_count"]) and "truck detected here without figures" in anyv["calibration"]


def test_card_found_from_run_json(tmp_path, squares, monkeypatch):
    from borderwatch.detector.card import dump_card

    models = tmp_path / "models"
    models.mkdir()
    card = card_with(0.9, 0.6)
    card.sha256 = "cd" * 32
    (models / "test-model.yaml").write_text(dump_card(card))
    monkeypatch.setenv("BORDERWATCH_MODELS", str(models))
    frames, dets = hyesan_scenario()
    run_dir = write_run(tmp_path / "r", frames, dets, run_json={"model": {"name": "other-name", "sha256": "CD" * 32}})
    s = quiet_count(run_dir, squares, tz="Asia/Pyongyang")
    assert s.card == "test-model"
    assert row(s.counts, "Hyesan", "car", "2025-09-15", "overhead")["calibrated_count"] == pytest.approx(4 * 0.9 / 0.6)
    (run_dir / "run.json").write_text("{broken")
    s2 = quiet_count(run_dir, squares, tz="Asia/Pyongyang")
    assert s2.card is None and any("run.json" in w for w in s2.warnings)


def test_calibrated_interval_covers_the_truth_in_simulation():
    """Simulate detectors with known precision and recall; the 90% interval should hold the true
    count about 90% of the time (here: at least 82% of 300 trials)."""
    rng = np.random.default_rng(123)
    precision, recall, n_eval = 0.85, 0.7, 300
    trials = 300
    truth = rng.integers(5, 200, trials)
    tp = rng.binomial(truth, recall)
    fp = rng.poisson(tp * (1 - precision) / precision)
    observed = tp + fp
    # the card's p and r were themselves measured on a finite set
    p_hat = rng.binomial(n_eval, precision, trials) / n_eval
    r_hat = rng.binomial(n_eval, recall, trials) / n_eval
    cals = [ClassCalibration(float(p), float(r), n_eval, n_eval) for p, r in zip(p_hat, r_hat, strict=True)]
    samples = sample_true_counts(observed, cals, 4000, np.random.default_rng(0))
    low, high = interval(samples)
    covered = np.mean((low <= truth) & (truth <= high))
    assert 0.82 <= covered <= 0.99, covered


def test_outputs_gpkg_csv_geojson(run, squares):
    s = quiet_count(run, squares, tz="Asia/Pyongyang", geojson=True, gpkg=True)
    gpkg = run / "borderwatch.gpkg"
    assert s.paths["gpkg"] == gpkg
    layers = dict(pyogrio.list_layers(gpkg))
    assert set(layers) == {"detections", "areas", "footprints", "counts"}
    det = gpd.read_file(gpkg, layer="detections")
    assert len(det) == 10 and det.crs.to_epsg() == 4326
    cnt = gpd.read_file(gpkg, layer="counts")
    assert len(cnt) == len(s.counts)
    hy = cnt[(cnt["area"] == "Hyesan") & (cnt["vehicle_class"] == "car") & (cnt["bucket"] == "2025-09-15")]
    assert sorted(hy["frame_ids"]) == ["a;b", "p"]  # overhead and photo rows
    assert not cnt.geometry.isna().any()
    assert len(gpd.read_file(gpkg, layer="footprints")) == 3  # a, b, e (the failed frame is left out)
    assert len(gpd.read_file(gpkg, layer="areas")) == 2
    csv = pd.read_csv(run / "counts.csv")
    assert list(csv.columns) == COUNTS.column_names and len(csv) == len(s.counts)
    for layer in ("detections", "areas", "footprints", "counts"):
        path = run / "geojson" / f"{layer}.geojson"
        assert json.loads(path.read_text())["type"] == "FeatureCollection"
    leftovers = [p.name for p in run.rglob("*") if p.name.startswith(".") or p.suffix == ".part"]
    assert leftovers == []
    back = pd.read_parquet(run / "counts.parquet")
    assert back["frame_ids"].iloc[0].tolist() == s.counts["frame_ids"].iloc[0]


def test_out_dir_and_a_rerun_replaces_outputs(run, squares, tmp_path):
    out = tmp_path / "elsewhere"
    s = quiet_count(run, squares, out_dir=out, gpkg=False)
    assert (out / "counts.parquet").exists() and not (out / "borderwatch.gpkg").exists()
    s2 = quiet_count(run, squares, out_dir=out, by="month", gpkg=False)
    assert set(pd.read_parquet(out / "counts.parquet")["bucket"]) == {"2025-09"}
    assert len(s2.counts) < len(s.counts)


def test_missing_and_broken_tables_name_the_file(tmp_path, squares):
    frames, dets = hyesan_scenario()
    run_dir = write_run(tmp_path / "r", frames, dets)
    (run_dir / "detections.parquet").unlink()
    with pytest.raises(InputError, match="detections.parquet not found") as exc:
        count_run(run_dir, squares)
    assert str(run_dir) in str(exc.value)
    (run_dir / "detections.parquet").write_bytes(b"PAR1 not really")
    with pytest.raises(InputError, match="cannot read detections.parquet"):
        count_run(run_dir, squares)
    pd.DataFrame({"frame_id": ["x"]}).to_parquet(run_dir / "detections.parquet")
    with pytest.raises(InputError, match="lacks columns"):
        count_run(run_dir, squares)
    with pytest.raises(InputError, match="run folder not found"):
        count_run(tmp_path / "nope", squares)


def test_run_with_no_detections_still_reports_imaged_areas(tmp_path, squares):
    e = frame("e", "2025-09-16T02:00:00Z", footprint=rect(*DANDONG, 0, 0, 1000, 1000))
    run_dir = write_run(tmp_path / "r", [e], [])
    s = quiet_count(run_dir, squares, gpkg=True)
    assert len(gpd.read_file(run_dir / "borderwatch.gpkg", layer="detections")) == 0
    assert len(s.counts) == 6
    assert (s.counts["raw_count"] == 0).all()
    assert s.counts["imaged_km2"].iloc[0] == pytest.approx(1.0, rel=1e-6)


def test_bucket_bounds_across_dst_and_iso_years():
    from borderwatch.geo.buckets import bucket_table

    t = pd.Series(pd.to_datetime(["2025-03-30T12:00:00Z", "2024-12-30T01:00:00Z", None], utc=True))
    berlin = bucket_table(t, "day", "Europe/Berlin")
    # the day clocks go forward is 23 hours long
    assert berlin["bucket_start"].iloc[0] == pd.Timestamp("2025-03-29T23:00:00Z")
    assert berlin["bucket_end"].iloc[0] == pd.Timestamp("2025-03-30T22:00:00Z")
    week = bucket_table(t, "week", "Asia/Pyongyang")
    assert week["bucket"].iloc[1] == "2025-W01"  # 30 Dec 2024 is in ISO week 1 of 2025
    assert week["bucket_start"].iloc[1] == pd.Timestamp("2024-12-29T15:00:00Z")
    assert pd.isna(week["bucket"].iloc[2]) and pd.isna(week["bucket_start"].iloc[2])
    with pytest.raises(ConfigError, match="unknown bucket"):
        bucket_table(t, "year", "UTC")


def test_every_estimate_lies_in_its_own_interval(run, squares):
    # low recall: classes seen once or never put the draws' bulk above count x p / r; the interval holds it
    s = quiet_count(run, squares, tz="Asia/Pyongyang", card=card_with(0.9, 0.12, n=30))
    rows = s.counts.dropna(subset=["calibrated_count"])
    assert len(rows)
    assert (rows["calibrated_low"] <= rows["calibrated_count"] + 1e-9).all()
    assert (rows["calibrated_count"] <= rows["calibrated_high"] + 1e-9).all()
