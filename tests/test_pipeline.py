"""``borderwatch run`` end to end on a synthetic scenario, reruns that redo only what changed, and the demo.

The scenario: GeoTIFFs placed in Hyesan on three days with bright rectangles for vehicles, a photo
placed in Sinuiju by a manifest, a corrupt file, and articles whose claims the imagery supports,
contradicts or cannot test. A deterministic stand-in predictor (every bright blob is a vehicle; its
brightness says which class) replaces the neural network through ``run_pipeline(models=...)``.
"""

from __future__ import annotations

import json
import re
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from borderwatch.detector.types import Detections

HYESAN = (128.178, 41.398)
CAR, TRUCK = 230, 160  # brightness of a drawn car / truck


class BlobPredictor:
    """Each 4-connected bright blob in a tile is one vehicle: car if very bright, else truck."""

    def __init__(self, name: str = "stand-in"):
        self.names = {0: "car", 1: "truck", 2: "person"}
        self.tiles = 0
        self.name = name

    def predict(self, tiles: list[np.ndarray]) -> list[Detections]:
        import cv2

        self.tiles += len(tiles)
        out = []
        for tile in tiles:
            level = np.ascontiguousarray(tile[..., 0])
            n, labels, stats, _ = cv2.connectedComponentsWithStats((level >= 120).astype(np.uint8), connectivity=4)
            boxes, classes = [], []
            for index in range(1, n):  # 0 is the background
                x, y, w, h, _ = stats[index]
                boxes.append((x, y, x + w, y + h))
                mean = float(level[labels == index].mean())
                classes.append(0 if mean >= (CAR + TRUCK) / 2 else 1)
            out.append(Detections(np.array(boxes, np.float32).reshape(-1, 4), np.full(len(boxes), 0.9, np.float32),
                                  np.array(classes, np.int64)) if boxes else Detections.empty())
        return out


def handle(predictor: BlobPredictor):
    from borderwatch.detector.run import ModelHandle

    return ModelHandle.from_predictor(predictor, name=predictor.name)


def _raster(path: Path, cars: int, trucks: int, offset_m: float = 0.0) -> None:
    import rasterio
    from affine import Affine
    from pyproj import Transformer

    x, y = Transformer.from_crs("EPSG:4326", "EPSG:32652", always_xy=True).transform(*HYESAN)
    img = np.full((256, 256), 25, np.uint8)
    for i in range(cars):
        r, c = divmod(i, 8)
        img[20 + 30 * r: 30 + 30 * r, 10 + 30 * c: 18 + 30 * c] = CAR
    for i in range(trucks):
        img[200:215, 10 + 40 * i: 40 + 40 * i] = TRUCK
    profile = dict(driver="GTiff", width=256, height=256, count=3, dtype="uint8", crs="EPSG:32652",
                   transform=Affine.translation(x - 64 + offset_m, y + 64) @ Affine.scale(0.5, -0.5))
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(np.stack([img] * 3))


def _photo(path: Path, cars: int) -> None:
    from PIL import Image

    img = np.full((240, 320, 3), 30, np.uint8)
    for i in range(cars):
        img[100:130, 20 + 60 * i: 60 + 60 * i] = CAR
    Image.fromarray(img).save(path, quality=95)


ARTICLES = {
    "hyesan_lineup.json": {
        "url": "https://example.org/hyesan-lineup", "publisher": "Test Wire", "title": "Cars in Hyesan",
        "published": "2025-09-17",
        "text": "At least 10 cars were lined up in central Hyesan on September 16, a source said. "
                "No more than 3 cars were seen in Hyesan on September 16, the source added. "
                "About 40 cars were parked in Hyesan on September 14, a resident said.",
    },
    "hyesan_prices.json": {
        "url": "https://example.org/hyesan-prices", "publisher": "Test Wire", "title": "Prices",
        "published": "2025-09-18",
        "text": "A used car sells for about 45,000 yuan in Hyesan, traders said.",
    },
}


def make_scenario(root: Path, by: str = "day") -> Path:
    data = root / "data"
    data.mkdir(parents=True)
    for day, (cars, trucks) in enumerate([(4, 1), (6, 1), (12, 1)]):
        _raster(data / f"hyesan_{day}.tif", cars, trucks)
    _photo(data / "sinuiju.jpg", 2)
    (data / "broken.tif").write_bytes(b"II*\x00garbage, not a TIFF")
    (data / "manifest.csv").write_text(textwrap.dedent("""\
        path,captured_at,area,kind
        hyesan_0.tif,2025-09-14T11:00:00+09:00,,overhead
        hyesan_1.tif,2025-09-15T11:00:00+09:00,,overhead
        hyesan_2.tif,2025-09-16T11:00:00+09:00,,overhead
        sinuiju.jpg,2025-09-15T09:00:00+09:00,Sinuiju,photo
        broken.tif,2025-09-15T09:00:00+09:00,,overhead
    """))
    articles = root / "articles"
    articles.mkdir()
    for name, body in ARTICLES.items():
        (articles / name).write_text(json.dumps(body), encoding="utf-8")
    config = root / "run.yaml"
    write_config(config, by=by)
    return config


def write_config(path: Path, by: str = "day", conf: float = 0.25, extra: str = "") -> None:
    path.write_text(textwrap.dedent(f"""\
        title: Synthetic Hyesan
        inputs: [data/manifest.csv]
        models:
          photo: stand-in
        detection:
          tile_size: 128
          overlap: 0.25
          conf: {conf}
        counts:
          by: {by}
          tz: Asia/Pyongyang
        articles: [articles]
        outputs:
          run_dir: run
        """) + extra, encoding="utf-8")


def ledger(run_dir: Path) -> dict:
    return json.loads((run_dir / "stages.json").read_text())["stages"]


@pytest.fixture
def scenario(tmp_path):
    return make_scenario(tmp_path)


def run(config: Path, predictor: BlobPredictor, **kwargs):
    from borderwatch.pipeline.runner import run_pipeline

    return run_pipeline(config, quiet=True, models={"photo": handle(predictor), "overhead": handle(predictor)},
                        **kwargs)


@pytest.mark.slow
def test_run_end_to_end_then_only_what_changed(scenario):
    run_dir = scenario.parent / "run"
    model = BlobPredictor()
    first = run(scenario, model)
    assert first.ran == ["detect", "count", "claims", "compare", "report"]
    assert first.frames_failed == 1 and first.exit_code == 1  # as detect: done, some input failed

    counts = pd.read_parquet(run_dir / "counts.parquet")
    cars = counts[(counts["area"] == "Hyesan") & (counts["vehicle_class"] == "car")].sort_values("bucket")
    assert cars["count"].tolist() == [4, 6, 12]
    sinuiju = counts[(counts["area"] == "Sinuiju") & (counts["vehicle_class"] == "car")]
    assert sinuiju["count"].tolist() == [2]

    comparisons = pd.read_parquet(run_dir / "comparisons.parquet")
    verdict = {q: v for q, v in zip(comparisons["quote"], comparisons["verdict"], strict=True)}
    assert verdict["At least 10 cars were lined up in central Hyesan on September 16, a source said."] == "supported"
    assert verdict["No more than 3 cars were seen in Hyesan on September 16, the source added."] == "contradicted"
    # fewer cars than claimed, but the imagery covers a sliver of Hyesan: the rest may hold them
    assert verdict["About 40 cars were parked in Hyesan on September 14, a resident said."] == "inconclusive"
    assert verdict["A used car sells for about 45,000 yuan in Hyesan, traders said."] == "not_testable"

    page = first.report.read_text(encoding="utf-8")
    assert len(re.findall(r'<tr id="claim-\d+" class="claim">', page)) == len(comparisons)
    assert "broken.tif" in page and 'id="failures"' in page
    tiles_after_first = model.tiles

    # nothing changed: every stage is reused and the model is not called
    again = run(scenario, model)
    assert again.ran == [] and again.reused == list(ledger(run_dir))
    assert model.tiles == tiles_after_first

    # new buckets: only counting and what follows
    detections_before = (run_dir / "detections.parquet").read_bytes()
    write_config(scenario, by="week")
    weekly = run(scenario, model)
    assert weekly.ran == ["count", "compare", "report"]
    assert model.tiles == tiles_after_first
    assert (run_dir / "detections.parquet").read_bytes() == detections_before
    assert set(pd.read_parquet(run_dir / "counts.parquet")["bucket"]) == {"2025-W37", "2025-W38"}  # Sun 14, Mon 15

    # changed articles: claims, compare and report
    (scenario.parent / "articles" / "hyesan_prices.json").unlink()
    fewer = run(scenario, model)
    assert fewer.ran == ["claims", "compare", "report"]
    assert len(pd.read_parquet(run_dir / "comparisons.parquet")) == len(comparisons) - 1

    # a new threshold: detection reruns (every frame's parameters changed), then the rest
    write_config(scenario, by="week", conf=0.3)
    stricter = run(scenario, model)
    assert stricter.ran[0] == "detect" and "count" in stricter.ran
    assert model.tiles > tiles_after_first
    assert ledger(run_dir)["detect"]["runs"] == 2 and ledger(run_dir)["claims"]["runs"] == 2

    # --force redoes everything
    forced = run(scenario, model, force=True)
    assert forced.ran == ["detect", "count", "claims", "compare", "report"]


@pytest.mark.slow
def test_failing_stage_keeps_earlier_outputs_and_names_itself(scenario):
    from borderwatch.pipeline.runner import StageFailed

    run_dir = scenario.parent / "run"
    model = BlobPredictor()
    run(scenario, model)
    detections = (run_dir / "detections.parquet").read_bytes()
    counts = (run_dir / "counts.parquet").read_bytes()
    bad_areas = scenario.parent / "areas.geojson"
    bad_areas.write_text("{ this is not geojson", encoding="utf-8")
    write_config(scenario, extra=f"areas:\n  file: {bad_areas.name}\n  name_field: name\n")
    with pytest.raises(StageFailed) as info:
        run(scenario, model)
    assert info.value.stage == "count" and "stage 'count' failed" in str(info.value)
    assert (run_dir / "detections.parquet").read_bytes() == detections
    assert (run_dir / "counts.parquet").read_bytes() == counts
    stages = ledger(run_dir)
    assert stages["count"]["status"] == "failed" and stages["detect"]["status"] == "done"
    # fixed: the run picks up at the failed stage
    write_config(scenario)
    fixed = run(scenario, model)
    assert fixed.ran[0] == "count" and "detect" in fixed.reused


@pytest.mark.slow
def test_a_model_per_kind_of_frame(scenario):
    """Photos go to the photo model and rasters to the overhead model; the tables name the user's files."""
    from borderwatch.pipeline.runner import run_pipeline

    run_dir = scenario.parent / "run"
    # claims from a claims file instead of articles
    (scenario.parent / "my_claims.json").write_text(json.dumps([
        # a lower bound: the rasters cover part of Hyesan, where an exact count cannot be confirmed
        {"quote": "at least 10 cars in Hyesan", "place": "Hyesan", "vehicle_class": "car", "kind": "lower_bound",
         "low": 10, "unit": "vehicles", "period_start": "2025-09-16", "period_end": "2025-09-16"}]), encoding="utf-8")
    text = scenario.read_text().replace("articles: [articles]", "claims: my_claims.json")
    scenario.write_text(text)
    photo, overhead = BlobPredictor("photo-model"), BlobPredictor("overhead-model")
    result = run_pipeline(scenario, quiet=True, models={"photo": handle(photo), "overhead": handle(overhead)})
    assert result.ran[:2] == ["detect", "count"]
    comparisons = pd.read_parquet(run_dir / "comparisons.parquet")
    assert comparisons["claim_id"].tolist() == ["my_claims.json#0"]
    assert comparisons["verdict"].tolist() == ["supported"]
    assert photo.tiles > 0 and overhead.tiles > 0
    frames = pd.read_parquet(run_dir / "frames.parquet")
    data = scenario.parent / "data"
    assert set(frames["source_path"]) == {str(data / n) for n in
                                          ("hyesan_0.tif", "hyesan_1.tif", "hyesan_2.tif", "sinuiju.jpg", "broken.tif")}
    by_kind = frames.set_index("source_path")
    assert by_kind.loc[str(data / "sinuiju.jpg"), "model"] == "photo-model"
    assert by_kind.loc[str(data / "hyesan_0.tif"), "model"] == "overhead-model"
    assert by_kind.loc[str(data / "broken.tif"), "status"] == "failed"
    counts = pd.read_parquet(run_dir / "counts.parquet")
    assert counts[(counts["area"] == "Hyesan") & (counts["vehicle_class"] == "car")]["count"].sum() == 22
    photo_tiles = photo.tiles
    again = run_pipeline(scenario, quiet=True, models={"photo": handle(photo), "overhead": handle(overhead)})
    assert again.ran == [] and photo.tiles == photo_tiles


def test_unknown_model_is_a_config_error_on_its_line(scenario):
    from borderwatch.errors import ConfigError
    from borderwatch.pipeline.runner import run_pipeline

    with pytest.raises(ConfigError) as info:
        run_pipeline(scenario, quiet=True)  # no stand-in: the registry is asked for "stand-in"
    assert str(info.value).startswith(f"{scenario}:4: models.photo:")
    assert "stand-in" in str(info.value)
    assert not (scenario.parent / "run" / "detections.parquet").exists()


@pytest.mark.slow
def test_cli_run_prints_where_the_report_is(scenario, monkeypatch):
    from typer.testing import CliRunner

    from borderwatch.cli import app
    from borderwatch.pipeline import runner as pipeline

    real = pipeline.run_pipeline

    def with_stand_in(config_path, quiet=False, force=False, **kwargs):
        model = handle(BlobPredictor())
        return real(config_path, quiet=quiet, force=force, models={"photo": model, "overhead": model})

    monkeypatch.setattr(pipeline, "run_pipeline", with_stand_in)
    result = CliRunner().invoke(app, ["run", str(scenario), "-q"])
    assert result.exit_code == 1, result.output  # done, one frame could not be read (as detect)
    assert f"report: {scenario.parent / 'run' / 'report' / 'index.html'}" in result.output
    rebuilt = CliRunner().invoke(app, ["report", str(scenario.parent / "run"), "--pdf"])
    assert rebuilt.exit_code == 0 and (scenario.parent / "run" / "report" / "report.pdf").exists()


# --- the demo -----------------------------------------------------------------------------------------


def test_demo_without_samples_says_what_to_do(tmp_path, monkeypatch):
    from borderwatch.pipeline.demo import DemoUnavailable, prepare_demo

    monkeypatch.delenv("BORDERWATCH_SAMPLES", raising=False)
    monkeypatch.setenv("BORDERWATCH_CACHE", str(tmp_path / "cache"))
    with pytest.raises(DemoUnavailable) as info:
        prepare_demo(tmp_path / "demo", allow_download=False)
    message = str(info.value)
    assert "BORDERWATCH_SAMPLES" in message and "street/" in message and str(tmp_path / "cache") in message
    monkeypatch.setenv("BORDERWATCH_SAMPLES", str(tmp_path / "empty"))
    (tmp_path / "empty").mkdir()
    with pytest.raises(DemoUnavailable, match="holds none of the demo's samples"):
        prepare_demo(tmp_path / "demo", allow_download=False)


def test_demo_sample_pack_is_checked_by_sha256(tmp_path, monkeypatch):
    import hashlib

    from borderwatch.pipeline import demo

    source = tmp_path / "upstream.jpg"
    source.write_bytes(b"sample bytes")
    good = hashlib.sha256(b"sample bytes").hexdigest()
    pack = {"pack": "t", "files": [{"path": "street/bus.jpg", "url": source.as_uri(), "sha256": "0" * 64}]}
    monkeypatch.setattr(demo, "_pack", lambda: pack)
    target = tmp_path / "cache"
    with pytest.raises(demo.DemoUnavailable, match="has sha256"):
        demo.download_pack(target, quiet=True)
    assert not (target / "street" / "bus.jpg").exists() and not list((target / "street").iterdir())
    pack["files"][0]["sha256"] = good
    demo.download_pack(target, quiet=True)
    assert (target / "street" / "bus.jpg").read_bytes() == b"sample bytes"


def test_demo_places_rasters_in_border_cities(tmp_path):
    """A placed copy keeps its pixels and gains a georeference centred on the chosen point."""
    import rasterio
    from pyproj import Transformer

    from borderwatch.pipeline.demo import place_raster

    source = tmp_path / "usa.tif"
    import rasterio.transform

    profile = dict(driver="GTiff", width=64, height=48, count=1, dtype="uint16", crs="EPSG:32615", nodata=0,
                   transform=rasterio.transform.from_origin(576667.0, 5188223.0, 0.5, 0.5))
    pixels = (np.arange(64 * 48, dtype=np.uint16).reshape(1, 48, 64) % 4000) + 1
    with rasterio.open(source, "w", **profile) as dst:
        dst.write(pixels)
    placed = place_raster(source, tmp_path / "placed.tif", *HYESAN)
    with rasterio.open(placed) as src:
        assert src.crs.to_epsg() == 32652 and src.nodata == 0
        assert np.array_equal(src.read(), pixels)
        cx, cy = src.xy(24, 32, offset="ul")
        lon, lat = Transformer.from_crs(src.crs, "EPSG:4326", always_xy=True).transform(cx, cy)
        assert abs(lon - HYESAN[0]) < 1e-5 and abs(lat - HYESAN[1]) < 1e-5
        assert src.transform.a == pytest.approx(0.5)
        assert "EPSG:32615" in src.tags()["BORDERWATCH_DEMO_ORIGINAL_CRS"]


@pytest.mark.shared
@pytest.mark.slow
def test_demo_on_shared_samples(shared_dir, tmp_path, monkeypatch):
    from borderwatch.pipeline.demo import run_demo

    monkeypatch.setenv("BORDERWATCH_SAMPLES", str(shared_dir / "data"))
    monkeypatch.setenv("BORDERWATCH_MODELS", str(shared_dir / "models"))
    result = run_demo(tmp_path / "demo", quiet=True)
    run_dir = tmp_path / "demo" / "run"
    frames = pd.read_parquet(run_dir / "frames.parquet")
    assert (frames["status"] == "ok").sum() == 6
    counts = pd.read_parquet(run_dir / "counts.parquet")
    assert {"Hyesan", "Sinuiju", "Dandong"} <= set(counts["area"])
    # the placed rasters have footprints inside their cities
    placed = frames[frames["kind"] == "overhead"]
    assert len(placed) == 2 and placed["crs"].notna().all()
    comparisons = pd.read_parquet(run_dir / "comparisons.parquet")
    assert len(comparisons) >= 6
    assert set(comparisons["verdict"]) <= {"supported", "contradicted", "inconclusive", "not_testable"}
    page = result.report.read_text(encoding="utf-8")
    assert "DEMO. This report places public sample imagery" in page
    assert len(re.findall(r'<tr id="claim-\d+" class="claim">', page)) == len(comparisons)
    assert (run_dir / "report" / "report.pdf").exists()
    # a second demo run reuses everything
    again = run_demo(tmp_path / "demo", quiet=True)
    assert again.ran == []
