"""The count and areas subcommands."""

from __future__ import annotations

import json

import geopandas as gpd
import pandas as pd
from typer.testing import CliRunner

from borderwatch.cli import app
from tests.helpers_geo import DANDONG, HYESAN, rect, write_run
from tests.test_counts import hyesan_scenario

runner = CliRunner()


def test_count_writes_the_outputs(tmp_path):
    frames, dets = hyesan_scenario()
    run_dir = write_run(tmp_path / "run", frames, dets)
    areas = tmp_path / "areas.gpkg"
    gpd.GeoDataFrame(
        {"city": ["Hyesan-si", "丹东"]},
        geometry=[rect(*HYESAN, -1000, -1000, 4000, 4000), rect(*DANDONG, 0, 0, 2000, 2000)],
        crs=4326,
    ).to_crs(32652).to_file(areas, layer="cities")
    result = runner.invoke(
        app, ["count", str(run_dir), "--areas", str(areas), "--name-field", "city", "--by", "week",
              "--tz", "Asia/Pyongyang", "--geojson", "-q"],
    )
    assert result.exit_code == 0, result.output
    counts = pd.read_parquet(run_dir / "counts.parquet")
    assert set(counts["area"]) == {"Hyesan", "Dandong"}
    assert set(counts["bucket"]) == {"2025-W38"}
    hy = counts[(counts["area"] == "Hyesan") & (counts["vehicle_class"] == "any_vehicle")
                & (counts["frame_kind"] == "overhead")].iloc[0]
    assert (hy["raw_count"], hy["count"], hy["n_frames"]) == (7, 5, 3)  # the photo of Hyesan is a row of its own
    assert set(counts["bucket_by"]) == {"week"} and set(counts["tz"]) == {"Asia/Pyongyang"}
    assert (run_dir / "borderwatch.gpkg").exists() and (run_dir / "geojson" / "counts.geojson").exists()
    assert "status other than ok" in result.output  # warnings print even with -q


def test_count_reports_bad_input_on_one_line(tmp_path):
    frames, dets = hyesan_scenario()
    run_dir = write_run(tmp_path / "run", frames, dets)
    areas = tmp_path / "a.geojson"
    gpd.GeoDataFrame({"label": ["X"]}, geometry=[rect(*HYESAN, 0, 0, 1000, 1000)], crs=4326).to_file(areas)
    result = runner.invoke(app, ["count", str(run_dir), "--areas", str(areas), "--name-field", "name:en"])
    assert result.exit_code == 2
    assert f"{areas}: no name field 'name:en'; available: label" in " ".join(result.output.split())
    result = runner.invoke(app, ["count", str(tmp_path / "missing")])
    assert result.exit_code == 2 and "run folder not found" in result.output
    result = runner.invoke(app, ["count", str(run_dir), "--by", "year"])
    assert result.exit_code != 0 and "day, week, month" in result.output
    result = runner.invoke(app, ["count", str(run_dir), "--tz", "Nowhere/Else"])
    assert result.exit_code == 2 and "unknown time zone" in result.output


def test_count_with_gazetteer_default_prints_a_summary(tmp_path):
    frames, dets = hyesan_scenario()
    run_dir = write_run(tmp_path / "run", frames, dets)
    result = runner.invoke(app, ["count", str(run_dir), "--tz", "Asia/Pyongyang", "--select", "혜산"])
    assert result.exit_code == 0, result.output
    assert "Hyesan" in result.output and "counts.csv" in result.output
    assert set(pd.read_csv(run_dir / "counts.csv")["area"]) == {"Hyesan"}


def test_areas_lists_the_gazetteer():
    result = runner.invoke(app, ["areas", "--json"])
    assert result.exit_code == 0
    places = json.loads(result.output)
    assert {p["name"] for p in places} >= {"Hyesan", "Dandong", "Ji'an"}
    hy = next(p for p in places if p["name"] == "Hyesan")
    assert hy["province"] == "Ryanggang" and "혜산" in hy["aliases"] and hy["partner"] == "Changbai"
    table = runner.invoke(app, ["areas", "Sinuiju"])
    assert table.exit_code == 0 and "Sinuiju" in table.output and "Dandong" in table.output and "Hyesan" not in table.output
    bad = runner.invoke(app, ["areas", "Atlantis"])
    assert bad.exit_code == 2 and "not in the gazetteer" in bad.output


def test_count_with_two_area_files_one_field_each(tmp_path):
    frames, dets = hyesan_scenario()
    run_dir = write_run(tmp_path / "run", frames, dets)
    nk, cn = tmp_path / "nk.geojson", tmp_path / "cn.geojson"
    gpd.GeoDataFrame({"name:en": ["Hyesan"]}, geometry=[rect(*HYESAN, -1000, -1000, 4000, 4000)], crs=4326).to_file(nk)
    gpd.GeoDataFrame({"district_name": ["振兴区"], "city_name": ["丹东市"]},
                     geometry=[rect(*DANDONG, 0, 0, 2000, 2000)], crs=4326).to_file(cn)
    result = runner.invoke(
        app, ["count", str(run_dir), "-a", str(nk), "--name-field", "name:en", "--parent-field", "",
              "-a", str(cn), "--name-field", "district_name", "--parent-field", "city_name", "-q"],
    )
    assert result.exit_code == 0, result.output
    counts = pd.read_parquet(run_dir / "counts.parquet")
    # the Dandong photo names the parent city of the district: counted at the city
    assert set(zip(counts["area"], counts["area_parent"].fillna("-"), strict=True)) == {("Hyesan", "-"), ("Dandong", "-")}
    areas = gpd.read_file(run_dir / "borderwatch.gpkg", layer="areas")
    assert areas[["name", "parent", "country"]].fillna("-").values.tolist() == [["Hyesan", "-", "KP"], ["振兴区", "Dandong", "CN"]]
