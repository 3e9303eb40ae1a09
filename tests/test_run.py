"""Detection runs end to end with a stand-in model: tables, georeferencing, bad input, resuming."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import shapely
import shapely.ops
from helpers_raster import (
    HYESAN_UTM,
    BrightBoxPredictor,
    exif_bytes,
    hyesan_origin,
    write_bomb_png,
    write_test_geotiff,
    write_test_photo,
)
from pyproj import Transformer

from borderwatch.detector.run import DetectConfig, ModelHandle, RunInterrupted, detect, part_path
from borderwatch.detector.sliced import SliceParams
from borderwatch.tables import DETECTIONS, FRAMES
from borderwatch.taxonomy import mapping_for

CAR, PERSON, ZEPPELIN = 0, 1, 2
NAMES = {CAR: "car", PERSON: "person", ZEPPELIN: "zeppelin"}


def _class_by_level(level: float) -> int:
    """Stand-in classes by brightness: cars are drawn at 230, people at 180, zeppelins at 140."""
    if level >= 205:
        return CAR
    return PERSON if level >= 160 else ZEPPELIN


def _model(**kwargs) -> tuple[BrightBoxPredictor, ModelHandle]:
    predictor = BrightBoxPredictor(names=NAMES, class_of_level=_class_by_level, **kwargs)
    return predictor, ModelHandle.from_predictor(predictor, name="bright-boxes", mapping=mapping_for("coco"))


def _config(**kwargs) -> DetectConfig:
    slicing = kwargs.pop("slicing", SliceParams(tile_size=128, overlap=0.25, batch_size=4))
    return DetectConfig(model="bright-boxes", slicing=slicing, **kwargs)


# Vehicles on a 400x300 raster, several across the 128/96-stride tile seams.
RASTER_CARS = [(20, 20, 40, 30), (90, 100, 110, 110), (180, 150, 200, 160), (250, 40, 270, 50), (300, 250, 320, 260)]
RASTER_PEOPLE = [(60, 200, 72, 212, 180)]
PHOTO_CARS = [(30, 30, 50, 40), (100, 60, 120, 70)]
PHOTO_ZEPPELINS = [(200, 150, 212, 156, 140)]


@pytest.fixture
def scene(tmp_path):
    """A folder with two photos (one with EXIF), a 3-band GeoTIFF and a uint16 GeoTIFF with nodata."""
    root = tmp_path / "in"
    root.mkdir()
    write_test_photo(
        root / "street.jpg",
        boxes=PHOTO_CARS + PHOTO_ZEPPELINS,
        exif=exif_bytes(when="2025:09:15 14:30:00", offset="+09:00", lat=41.40, lon=128.17),
    )
    write_test_photo(root / "plain.png", boxes=PHOTO_CARS[:1])
    write_test_geotiff(
        root / "rgb.tif", width=400, height=300, boxes=RASTER_CARS + RASTER_PEOPLE,
        tags={"TIFFTAG_DATETIME": "2025:09:14 02:00:00"},
    )
    write_test_geotiff(
        root / "pan16.tif", width=300, height=200, bands=1, dtype="uint16", boxes=RASTER_CARS[:2], nodata=0, nodata_cols=10
    )
    return root


def _tables(out):
    return pq.read_table(out / "detections.parquet").to_pandas(), pq.read_table(out / "frames.parquet").to_pandas()


def test_run_writes_the_contract_tables(scene, tmp_path):
    predictor, model = _model()
    out = tmp_path / "run"
    summary = detect([scene], out, _config(), quiet=True, model=model)
    assert (summary.exit_code, summary.ok, summary.failed, summary.computed) == (0, 4, 0, 4)

    det_schema = pq.read_schema(out / "detections.parquet")
    frame_schema = pq.read_schema(out / "frames.parquet")
    assert det_schema.names == DETECTIONS.column_names
    assert frame_schema.names == FRAMES.column_names
    assert str(det_schema.field("captured_at").type) == "timestamp[us, tz=UTC]"
    assert str(det_schema.field("score").type) == "float"
    assert pa.types.is_list(frame_schema.field("transform").type)
    assert frame_schema.field("transform").type.value_type == pa.float64()
    assert b"geo" in det_schema.metadata and b"geo" in frame_schema.metadata

    dets = gpd.read_parquet(out / "detections.parquet")
    frames = gpd.read_parquet(out / "frames.parquet").set_index("source_path")
    assert dets.crs.to_epsg() == 4326 and frames.crs.to_epsg() == 4326
    per_file = dets.groupby(dets.source_path.map(lambda p: p.rsplit("/", 1)[1])).size().to_dict()
    assert per_file == {"street.jpg": 2, "plain.png": 1, "rgb.tif": 5, "pan16.tif": 2}
    assert set(dets.vehicle_class) == {"car"}
    assert dets.detection_id.is_unique

    street = frames.loc[str(scene / "street.jpg")]
    assert street.kind == "photo" and street.captured_at == datetime(2025, 9, 15, 5, 30, tzinfo=UTC)
    assert street.lat == pytest.approx(41.40, abs=1e-5) and street.geometry is None and pd.isna(street.crs)
    assert (street.n_detections, street.n_dropped) == (2, 1)  # the zeppelin is unmapped
    rgb = frames.loc[str(scene / "rgb.tif")]
    assert rgb.kind == "overhead" and rgb.crs == HYESAN_UTM and rgb.gsd_m == pytest.approx(0.5, rel=0.01)
    assert rgb.captured_at == datetime(2025, 9, 14, 2, tzinfo=UTC)
    assert (rgb.n_detections, rgb.n_dropped) == (5, 1)  # the person is known and dropped
    assert list(rgb["transform"]) == pytest.approx([0.5, 0.0, hyesan_origin()[0], 0.0, -0.5, hyesan_origin()[1]])
    assert set(frames.status) == {"ok"} and frames.params_hash.nunique() == 1

    photo_dets = dets[dets.raster_crs.isna()]
    assert photo_dets.geometry.isna().all()
    geo_dets = dets[dets.raster_crs.notna()]
    assert geo_dets.geometry.notna().all() and len(geo_dets) == 7
    for _, det in geo_dets.iterrows():
        assert frames.loc[det.source_path].geometry.covers(det.geometry)

    run = json.loads((out / "run.json").read_text())
    assert run["status"] == "complete" and run["model"]["sha256"] == model.sha256
    assert run["dropped"] == {"person": 1, "zeppelin": 1}
    assert run["frames"]["ok"] == 4 and run["detections"] == 10
    assert run["config"]["slicing"]["tile_size"] == 128 and run["params_hash"] == summary.params_hash
    assert {"borderwatch", "ultralytics", "torch", "gdal"} <= set(run["versions"])
    assert datetime.fromisoformat(run["started_at"]) <= datetime.fromisoformat(run["finished_at"])


def test_georeferenced_boxes_land_on_the_right_ground(tmp_path):
    path = write_test_geotiff(tmp_path / "s.tif", width=400, height=300, boxes=RASTER_CARS)
    _, model = _model()
    out = tmp_path / "run"
    detect([path], out, _config(), quiet=True, model=model)
    dets = gpd.read_parquet(out / "detections.parquet").sort_values(["y_min", "x_min"])
    x0, y0 = hyesan_origin()
    to_wgs84 = Transformer.from_crs(HYESAN_UTM, "EPSG:4326", always_xy=True)
    expected = sorted(RASTER_CARS, key=lambda b: (b[1], b[0]))
    assert len(dets) == len(expected)  # seams crossed, each vehicle once
    for (_, det), (bx0, by0, bx1, by1) in zip(dets.iterrows(), expected, strict=True):
        assert (det.x_min, det.y_min, det.x_max, det.y_max) == (bx0, by0, bx1, by1)
        cx, cy = to_wgs84.transform(x0 + (bx0 + bx1) / 4, y0 - (by0 + by1) / 4)  # 0.5 m pixels
        assert det.geometry.centroid.x == pytest.approx(cx, abs=1e-7)
        assert det.geometry.centroid.y == pytest.approx(cy, abs=1e-7)


def test_class_map_overrides_without_rerunning_the_model(scene, tmp_path):
    out = tmp_path / "run"
    _, model = _model()
    detect([scene], out, _config(), quiet=True, model=model)
    mapping_file = tmp_path / "map.yaml"
    mapping_file.write_text("zeppelin: heavy_equipment\nperson: null\n")
    predictor, model = _model()
    summary = detect([scene], out, _config(class_map=mapping_file), quiet=True, model=model)
    assert predictor.calls == 0 and summary.resumed == 4
    dets, _ = _tables(out)
    assert (dets.vehicle_class == "heavy_equipment").sum() == 1
    assert json.loads((out / "run.json").read_text())["dropped"] == {"person": 1}


def test_bad_inputs_are_recorded_and_the_batch_goes_on(scene, tmp_path):
    (scene / "empty.jpg").write_bytes(b"")
    (scene / "corrupt.png").write_bytes(b"\x89PNG\r\n\x1a\n garbage")
    write_bomb_png(scene / "bomb.png", 30_000, 30_000)
    write_test_geotiff(scene / "nocrs.tif", crs=None)
    (scene / "readme.txt").write_text("notes")
    data = (scene / "rgb.tif").read_bytes()
    (scene / "truncated.tif").write_bytes(data[: len(data) // 2])
    big = write_test_geotiff(
        tmp_path / "big.tif", width=1024, height=1024, dtype="uint16", boxes=[(100, 100, 400, 400)], blocksize=256
    ).read_bytes()
    (scene / "cut_tiles.tif").write_bytes(big[: len(big) // 2])  # header intact, pixel blocks missing
    manifest = scene / "m.csv"
    manifest.write_text("path,captured_at\nstreet.jpg,2025-09-15 09:00\nplain.png,15/09/2025\n")
    _, model = _model()
    out = tmp_path / "run"
    summary = detect([scene, manifest], out, _config(), quiet=True, model=model)
    assert summary.exit_code == 1
    _, frames = _tables(out)
    by_name = frames.set_index(frames.source_path.map(lambda p: p.rsplit("/", 1)[1]))
    status = by_name.status.to_dict()
    for name in ("empty.jpg", "corrupt.png", "bomb.png", "nocrs.tif", "truncated.tif", "cut_tiles.tif"):
        assert status[name] == "failed", name
        assert "\n" not in by_name.error[name] and by_name.error[name]
    assert status["readme.txt"] == "skipped"  # found in the folder
    assert "m.csv" not in status  # used as a manifest, so not listed as a skipped file
    assert "empty file" in by_name.error["empty.jpg"]
    assert "MP exceeds" in by_name.error["bomb.png"]
    assert "no CRS" in by_name.error["nocrs.tif"]
    assert "cannot open raster" in by_name.error["truncated.tif"]
    assert "read failed" in by_name.error["cut_tiles.tif"]
    # the good frames still ran; the manifest's bad row failed, naming the manifest, row and column
    assert status["rgb.tif"] == status["pan16.tif"] == status["street.jpg"] == "ok"
    # plain.png is in the folder too, but its manifest row is bad: it fails once, with the row's reason
    assert status["plain.png"] == "failed" and list(by_name.index).count("plain.png") == 1
    assert "m.csv: row 3, column captured_at" in by_name.error["plain.png"]
    street = by_name.loc["street.jpg"]
    assert street.captured_at == datetime(2025, 9, 15, 9, tzinfo=UTC)  # the manifest beats EXIF
    assert frames.frame_id.is_unique
    assert json.loads((out / "run.json").read_text())["status"] == "complete_with_failures"


def test_manifest_can_declare_a_crs_less_tiff_a_photo(tmp_path):
    write_test_geotiff(tmp_path / "cam.tif", crs=None, boxes=[(10, 10, 30, 20)])
    (tmp_path / "m.yaml").write_text("- {path: cam.tif, kind: photo, area: Hyesan}\n")
    _, model = _model()
    summary = detect([tmp_path / "m.yaml"], tmp_path / "run", _config(), quiet=True, model=model)
    assert summary.exit_code == 0
    dets, frames = _tables(tmp_path / "run")
    assert frames.kind[0] == "photo" and frames.area[0] == "Hyesan" and pd.isna(frames.crs[0])
    assert len(dets) == 1 and dets.geometry[0] is None


def test_duplicate_content_is_counted_once(tmp_path):
    a = write_test_photo(tmp_path / "a.jpg", boxes=PHOTO_CARS)
    (tmp_path / "copy.jpg").write_bytes(a.read_bytes())
    _, model = _model()
    summary = detect([tmp_path], tmp_path / "run", _config(), quiet=True, model=model)
    assert (summary.ok, summary.skipped, summary.exit_code) == (1, 1, 0)
    dets, frames = _tables(tmp_path / "run")
    assert len(dets) == 2
    assert "same content as" in frames.set_index("status").error["skipped"]
    assert frames.frame_id.is_unique  # the table's key, even for a copy


def test_all_nodata_raster_needs_no_model(tmp_path):
    path = write_test_geotiff(tmp_path / "n.tif", width=256, height=256, nodata=0, nodata_cols=256)
    predictor, model = _model()
    summary = detect([path], tmp_path / "run", _config(), quiet=True, model=model)
    assert summary.ok == 1 and predictor.calls == 0
    _, frames = _tables(tmp_path / "run")
    assert frames.n_detections[0] == 0


# ---------------------------------------------------------------------------------------------- resume


def _frames_without_run_columns(out):
    dets, frames = _tables(out)
    return dets.sort_values("detection_id").reset_index(drop=True), frames.sort_values("frame_id").reset_index(drop=True)


def _many_frames(root, n=6):
    root.mkdir()
    for i in range(n):
        boxes = [(10 + 20 * i, 10, 30 + 20 * i, 20), (40, 100 + 5 * i, 60, 110 + 5 * i)]
        if i % 2:
            write_test_geotiff(root / f"scene{i}.tif", width=260, height=200, boxes=boxes)
        else:
            write_test_photo(root / f"photo{i}.jpg", width=260, height=200, boxes=boxes)
    return root


def test_crash_mid_run_then_resume_gives_the_same_tables(tmp_path):
    inputs = _many_frames(tmp_path / "in")
    clean_predictor, clean_model = _model()
    detect([inputs], tmp_path / "clean", _config(), quiet=True, model=clean_model)

    out = tmp_path / "crashy"
    crashing, model = _model(fail_after=5)
    with pytest.raises(RunInterrupted, match="rerun the same command to resume"):
        detect([inputs], out, _config(), quiet=True, model=model)
    done_parts = sorted((out / "parts").glob("*.parquet"))
    assert 0 < len(done_parts) < 6
    tiles_done = sum(json.loads(pq.read_schema(p).metadata[b"borderwatch"])["stats"]["predicted"] for p in done_parts)
    assert not (out / "run.json").exists() and not (out / "detections.parquet").exists()
    assert not list((out / "parts").glob(".*.part"))  # no half-written part left behind

    resumed_predictor, model = _model()
    summary = detect([inputs], out, _config(), quiet=True, model=model)
    assert summary.resumed == len(done_parts) and summary.computed == 6 - len(done_parts)
    assert resumed_predictor.tiles == clean_predictor.tiles - tiles_done  # finished frames were not redone

    clean_dets, clean_frames = _frames_without_run_columns(tmp_path / "clean")
    dets, frames = _frames_without_run_columns(out)
    assert dets.equals(clean_dets)
    assert frames.equals(clean_frames)

    # a third run does nothing at all
    idle, model = _model()
    summary = detect([inputs], out, _config(), quiet=True, model=model)
    assert idle.calls == 0 and summary.resumed == 6


def test_deleted_parts_are_recomputed_and_nothing_else(tmp_path):
    inputs = _many_frames(tmp_path / "in", n=4)
    out = tmp_path / "run"
    _, model = _model()
    summary = detect([inputs], out, _config(), quiet=True, model=model)
    before = _frames_without_run_columns(out)
    parts = sorted((out / "parts").glob("*.parquet"))
    parts[0].unlink()
    parts[2].write_bytes(b"not parquet")  # a damaged part is not trusted
    predictor, model = _model()
    summary = detect([inputs], out, _config(), quiet=True, model=model)
    assert (summary.computed, summary.resumed) == (2, 2)
    after = _frames_without_run_columns(out)
    assert before[0].equals(after[0]) and before[1].equals(after[1])


def test_changed_threshold_reruns_detection(tmp_path):
    inputs = _many_frames(tmp_path / "in", n=2)
    out = tmp_path / "run"
    _, model = _model()
    first = detect([inputs], out, _config(), quiet=True, model=model)
    predictor, model = _model()
    second = detect(
        [inputs], out, _config(slicing=SliceParams(tile_size=128, overlap=0.25, batch_size=4, conf=0.95)), quiet=True, model=model
    )
    assert second.params_hash != first.params_hash and second.computed == 2 and predictor.calls > 0
    dets, frames = _tables(out)
    assert len(dets) == 0 and set(frames.params_hash) == {second.params_hash}  # stand-in scores are 0.9
    # a different model (other sha256) is a different key too
    other = ModelHandle.from_predictor(BrightBoxPredictor(names=NAMES), name="other", mapping=mapping_for("coco"))
    assert _config().params_hash(other.sha256) != first.params_hash


def test_interrupted_rerun_leaves_the_previous_results_intact(tmp_path):
    inputs = _many_frames(tmp_path / "in", n=3)
    out = tmp_path / "run"
    _, model = _model()
    detect([inputs], out, _config(), quiet=True, model=model)
    before = [(out / n).read_bytes() for n in ("detections.parquet", "frames.parquet", "run.json")]
    _, model = _model(fail_after=0)
    with pytest.raises(RunInterrupted):
        detect([inputs], out, _config(slicing=SliceParams(tile_size=96)), quiet=True, model=model)
    after = [(out / n).read_bytes() for n in ("detections.parquet", "frames.parquet", "run.json")]
    assert before == after


def test_failed_frame_is_a_row_of_the_failures_table_and_is_retried(tmp_path):
    import pyarrow.parquet as pq

    bad = tmp_path / "in"
    bad.mkdir()
    write_test_geotiff(bad / "nocrs.tif", crs=None)
    _, model = _model()
    summary = detect([bad], tmp_path / "run", _config(), quiet=True, model=model)
    frames = pq.read_table(tmp_path / "run" / "frames.parquet").to_pandas()
    assert summary.failed == 1 and list(frames.status) == ["failed"] and "no CRS" in frames.error.iloc[0]
    assert not list((tmp_path / "run" / "parts").iterdir())  # no file per failure
    # Declared a photo in a manifest, the same file now succeeds; its failed row goes away.
    (bad / "m.csv").write_text("path,kind\nnocrs.tif,photo\n")
    summary = detect([bad / "m.csv"], tmp_path / "run", _config(), quiet=True, model=model)
    assert summary.exit_code == 0
    assert list(pq.read_table(tmp_path / "run" / "frames.parquet").to_pandas().status) == ["ok"]


def test_part_files_are_keyed_by_frame_and_params(tmp_path):
    photo = write_test_photo(tmp_path / "a.jpg", boxes=PHOTO_CARS)
    _, model = _model()
    summary = detect([photo], tmp_path / "run", _config(), quiet=True, model=model)
    from borderwatch.detector.frames import frame_id_of

    part = part_path(tmp_path / "run", frame_id_of(photo), summary.params_hash)
    assert part.exists()
    table = pq.read_table(part)
    assert table.column_names == ["source_class", "score", "x_min", "y_min", "x_max", "y_max"]
    scores = np.asarray(table.column("score"))
    assert (np.diff(scores) <= 0).all()


# ----------------------------------------------------------------------------------------- real model


@pytest.mark.shared
@pytest.mark.slow
def test_real_model_on_a_real_orthophoto(tmp_path):
    from conftest import shared_path

    raster = shared_path("data", "geotiffs", "webodm_orthophoto.tif")
    weights = shared_path("models", "yolo11n_int8_openvino_model")
    pytest.importorskip("openvino")
    config = DetectConfig(
        model=str(weights), allow_download=False, device="cpu", slicing=SliceParams(tile_size=96, overlap=0.25, conf=0.05)
    )
    out = tmp_path / "run"
    summary = detect([raster], out, config, quiet=True)
    assert summary.exit_code == 0
    dets = gpd.read_parquet(out / "detections.parquet")
    frames = gpd.read_parquet(out / "frames.parquet")
    footprint = frames.geometry.iloc[0]
    assert frames.iloc[0].crs == "EPSG:32615" and frames.iloc[0].status == "ok"
    assert len(dets) >= 1 and set(dets.vehicle_class) <= {"car", "truck", "bus", "two_wheeler", "heavy_equipment"}
    assert dets.geometry.notna().all()
    assert all(footprint.buffer(1e-7).covers(g) for g in dets.geometry)
    # boxes are vehicle-sized at 0.5 m/px: a few metres, not the whole tile
    to_utm = Transformer.from_crs("EPSG:4326", "EPSG:32615", always_xy=True)
    sides = [np.sqrt(shapely.ops.transform(to_utm.transform, g).area) for g in dets.geometry]
    assert max(sides) < 30
    run = json.loads((out / "run.json").read_text())
    assert run["model"]["format"] == "openvino" and len(run["model"]["sha256"]) == 64


def test_resume_key_changes_with_the_runtime():
    """Frames detected by one runtime (say int8) are not reused by a run with another."""
    from borderwatch.detector.run import DetectConfig

    keys = {DetectConfig(model="m", runtime=r).params_hash("sha") for r in ("auto", "native", "openvino", "openvino-int8")}
    assert len(keys) == 4
    assert DetectConfig(model="m").params_hash("sha") == DetectConfig(model="m").params_hash("sha")
