"""One declaration per option: every field of ``DetectConfig`` can be set from ``borderwatch detect``
and from the run config's YAML, with the CLI's defaults and help taken from the same fields."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from borderwatch.cli import app
from borderwatch.detector.options import EngineOptions, ModelOptions, ReadOptions, SliceParams
from borderwatch.detector.run import DetectConfig
from borderwatch.errors import ConfigError
from borderwatch.pipeline.config import parse_config
from borderwatch.pipeline.stages import detect_config

# A value for every field that differs from its default (kind of a photo batch on a Ray cluster).
SLICING = dict(tile_size=512, overlap=0.25, batch_size=4, conf=0.3, model_gsd_m=0.5, iou=0.6, merge="nms",
               merge_threshold=0.4, class_agnostic=True, max_det_per_tile=100, min_valid_fraction=0.1, edge_margin=3.0)
READ = dict(device="cpu", runtime="openvino-int8", full_frame=True, kind="photo", tz="Asia/Pyongyang",
            max_photo_megapixels=50.0, gdal_cache_mb=32)
MODEL = dict(allow_download=False, trust_weights=True, predictor_factory="standin_factory:bright_boxes")
ENGINE = dict(engine="ray", ray_address="auto", ray_workers=2)


def test_the_values_cover_every_field():
    for group, values in ((SliceParams, SLICING), (ReadOptions, READ), (ModelOptions, MODEL), (EngineOptions, ENGINE)):
        missing = set(group.model_fields) - set(values) - {"calibration", "models_dir"}
        assert not missing, f"{group.__name__}: give a test value for {sorted(missing)}"
        for name, value in values.items():
            assert value != group.model_fields[name].get_default(call_default_factory=True), name
    assert set(DetectConfig.model_fields) == (
        set(ReadOptions.model_fields) | set(ModelOptions.model_fields) | set(EngineOptions.model_fields)
        | {"model", "slicing", "manifests", "class_map"}
    )


def _expected(tmp_path: Path) -> DetectConfig:
    return DetectConfig(
        model="my-model", slicing=SliceParams(**SLICING), calibration=[tmp_path / "calib"],
        models_dir=tmp_path / "models", class_map=tmp_path / "map.yaml", **READ, **MODEL, **ENGINE,
    )


@pytest.fixture
def files(tmp_path):
    for folder in ("imagery", "calib", "models"):
        (tmp_path / folder).mkdir()
    (tmp_path / "map.yaml").write_text("car: car\n")
    return tmp_path


CLI_NAMES = {"allow_download": "download"}  # the command's parameter where it differs from the field


def _cli_args(values: dict) -> list[str]:
    """Command-line arguments setting each field of ``values``, with the flags the command declares."""
    import typer

    params = {p.name: p for p in typer.main.get_command(app).commands["detect"].params}
    args = []
    for name, value in values.items():
        param = params[CLI_NAMES.get(name, name)]
        if param.is_flag:
            on, off = (param.opts[0], param.secondary_opts[0] if param.secondary_opts else None)
            args.append(on if value else off)
        else:
            args += [param.opts[0], str(value)]
    return args


def test_every_field_from_the_cli(files, monkeypatch):
    from borderwatch.detector.run import driver

    seen = {}

    def fake_detect(inputs, out, config, quiet=False, model=None):
        seen["config"] = config
        raise SystemExit(0)

    monkeypatch.setattr(driver, "detect", fake_detect)
    args = ["detect", str(files / "imagery"), "--model", "my-model", "--out", str(files / "run"),
            "--calibration", str(files / "calib"), "--models-dir", str(files / "models"),
            "--class-map", str(files / "map.yaml")]
    args += _cli_args({**SLICING, **READ, **MODEL, **ENGINE})
    result = CliRunner().invoke(app, args)
    assert "config" in seen, result.output
    assert seen["config"] == _expected(files)


def test_every_field_from_the_run_config(files):
    slicing = "".join(f"  {k}: {str(v).lower() if isinstance(v, bool) else v}\n" for k, v in SLICING.items())
    read = "".join(f"  {k}: {str(v).lower() if isinstance(v, bool) else v}\n" for k, v in READ.items())
    text = (
        "inputs: imagery/\n"
        "models:\n  photo: my-model\n  models_dir: models\n  mapping: map.yaml\n"
        "  allow_download: false\n"
        "detection:\n" + slicing + read + "  calibration: [calib]\n"
        "engine: ray\nray_address: auto\nray_workers: 2\n"
    )
    config = parse_config(text, base_dir=files)
    # A file may not grant trust nor name code to run: those two come from the command line / the API.
    config.models.trust_weights = True
    config.models.predictor_factory = "standin_factory:bright_boxes"
    assert detect_config(config, "my-model") == _expected(files)
    for line in ("  trust_weights: true\n", "  predictor_factory: standin_factory:bright_boxes\n"):
        with pytest.raises(ConfigError, match="config file cannot"):
            parse_config(text.replace("  allow_download: false\n", "  allow_download: false\n" + line), base_dir=files)


def test_cli_help_and_defaults_come_from_the_fields():
    import typer

    detect = typer.main.get_command(app).commands["detect"]
    params = {p.name: p for p in detect.params}
    for group, name in ((SliceParams, "tile_size"), (SliceParams, "conf"), (ReadOptions, "gdal_cache_mb"),
                        (ReadOptions, "runtime"), (EngineOptions, "ray_workers"), (ModelOptions, "trust_weights")):
        field = group.model_fields[name]
        assert params[name].help.rstrip(".") == field.description.rstrip("."), name
        assert params[name].default == field.default, name


# ------------------------------------------------------------------------------ count, claims, compare
from borderwatch.claims.options import ClaimsOptions, CompareOptions  # noqa: E402
from borderwatch.geo.options import AreaOptions, CountOptions  # noqa: E402

AREA = dict(name_field="name:en", parent_field="province", layer="districts", crs="EPSG:32652", select=["Hyesan"])
COUNT = dict(by="week", tz="Asia/Pyongyang", dedup_iou=0.5)  # and card, a file made in the test
CLAIMS = dict(min_confidence=0.5, tz="Asia/Seoul")
COMPARE = dict(tolerance_days=5, value_tolerance=0.3, min_coverage=0.6, alpha=0.01, tz="Asia/Shanghai")
COUNT_CLI = {"crs": "areas_crs"}  # count's parameter where it differs from the field


def _stage_args(command: str, values: dict, names: dict | None = None) -> list[str]:
    import typer

    params = {p.name: p for p in typer.main.get_command(app).commands[command].params}
    args = []
    for name, value in values.items():
        opt = params[(names or {}).get(name, name)].opts[0]
        for item in value if isinstance(value, list) else [value]:
            args += [opt, str(item)]
    return args


def test_stage_values_cover_every_field():
    for group, values, given in ((AreaOptions, AREA, set()), (CountOptions, COUNT, {"card"}),
                                 (ClaimsOptions, CLAIMS, set()), (CompareOptions, COMPARE, set())):
        missing = set(group.model_fields) - set(values) - given
        assert not missing, f"{group.__name__}: give a test value for {sorted(missing)}"
        for name, value in values.items():
            assert value != group.model_fields[name].get_default(call_default_factory=True), name


def _card(tmp_path: Path) -> Path:
    card = tmp_path / "card.yaml"
    card.write_text("name: x\n")
    return card


def test_count_fields_from_the_cli(tmp_path, monkeypatch):
    from borderwatch.geo import counts

    seen = {}

    def fake_count_run(run_dir, areas, name_field, parent_field, **kwargs):
        seen.update(kwargs, name_field=name_field, parent_field=parent_field)
        raise SystemExit(0)

    monkeypatch.setattr(counts, "count_run", fake_count_run)
    card = _card(tmp_path)
    args = ["count", str(tmp_path), *_stage_args("count", {**AREA, **COUNT, "card": card}, COUNT_CLI)]
    result = CliRunner().invoke(app, args)
    assert seen, result.output
    assert seen["name_field"] == [AREA["name_field"]] and seen["parent_field"] == [AREA["parent_field"]]
    assert (seen["layer"], seen["areas_crs"], seen["select"]) == (AREA["layer"], AREA["crs"], AREA["select"])
    assert {k: seen[k] for k in COUNT} == COUNT and seen["card"] == card


def test_count_fields_from_the_run_config(tmp_path, monkeypatch):
    from borderwatch.geo import counts
    from borderwatch.pipeline.stages import run_count

    (tmp_path / "imagery").mkdir()
    _card(tmp_path)
    (tmp_path / "areas.geojson").write_text('{"type": "FeatureCollection", "features": []}')
    text = ("inputs: imagery/\n"
            "areas:\n  file: areas.geojson\n" + "".join(f"  {k}: {v}\n" for k, v in AREA.items())
            + "counts:\n" + "".join(f"  {k}: {v}\n" for k, v in COUNT.items()) + "  card: card.yaml\n")
    config = parse_config(text, base_dir=tmp_path)
    assert config.areas.model_dump(exclude={"file"}) == AreaOptions(**AREA).model_dump()
    assert config.counts.model_dump() == CountOptions(**COUNT, card=tmp_path / "card.yaml").model_dump()
    seen = {}

    def fake_count_run(run_dir, **kwargs):
        seen.update(kwargs)
        raise SystemExit(0)

    monkeypatch.setattr(counts, "count_run", fake_count_run)
    with pytest.raises(SystemExit):
        run_count(config)
    assert {k: seen[k] for k in COUNT} == COUNT and seen["card"] == tmp_path / "card.yaml"
    assert (seen["name_field"], seen["parent_field"], seen["layer"], seen["areas_crs"], seen["select"]) == (
        AREA["name_field"], AREA["parent_field"], AREA["layer"], AREA["crs"], AREA["select"])


def test_claims_fields_from_the_cli(tmp_path, monkeypatch):
    import json
    from types import SimpleNamespace

    from borderwatch.claims import articles, extract

    seen = {}

    def fake_load(path, tz):
        seen["tz"] = tz
        return [SimpleNamespace(source_file=path.name)]

    def fake_extract(article, gazetteer):
        return [SimpleNamespace(confidence=c, to_dict=lambda c=c: {"confidence": c}) for c in (0.4, 0.6)]

    monkeypatch.setattr(articles, "load_article_file", fake_load)
    monkeypatch.setattr(extract, "extract_claims", fake_extract)
    (tmp_path / "a.txt").write_text("text")
    out = tmp_path / "claims.json"
    result = CliRunner().invoke(app, ["claims", str(tmp_path / "a.txt"), "-o", str(out), *_stage_args("claims", CLAIMS)])
    assert result.exit_code == 0, result.output
    assert seen["tz"] == CLAIMS["tz"]
    assert json.loads(out.read_text()) == [{"confidence": 0.6}]


def test_compare_fields_from_the_cli_and_the_run_config(tmp_path, monkeypatch):
    from borderwatch.claims import compare

    seen = {}

    def fake_compare_run(run_dir, claims, out_dir=None, **kwargs):
        seen.update(kwargs)
        raise SystemExit(0)

    monkeypatch.setattr(compare, "compare_run", fake_compare_run)
    claims = tmp_path / "claims.json"
    claims.write_text("[]")
    result = CliRunner().invoke(app, ["compare", str(tmp_path), str(claims), *_stage_args("compare", COMPARE)])
    assert seen == COMPARE, result.output

    (tmp_path / "imagery").mkdir()
    text = "inputs: imagery/\ncompare:\n" + "".join(f"  {k}: {v}\n" for k, v in COMPARE.items())
    assert parse_config(text, base_dir=tmp_path).compare.options() == COMPARE
    # null (the example config's way of saying "the default") keeps CompareOptions' default
    text = "inputs: imagery/\ncompare:\n" + "".join(f"  {k}: null\n" for k in COMPARE)
    assert parse_config(text, base_dir=tmp_path).compare.options() == CompareOptions().model_dump()


def test_stage_help_and_defaults_come_from_the_fields():
    import typer

    commands = typer.main.get_command(app).commands
    for command, group, name, param in (("count", CountOptions, "dedup_iou", "dedup_iou"),
                                        ("count", CountOptions, "card", "card"),
                                        ("count", AreaOptions, "crs", "areas_crs"),
                                        ("claims", ClaimsOptions, "min_confidence", "min_confidence"),
                                        ("compare", CompareOptions, "value_tolerance", "value_tolerance"),
                                        ("compare", CompareOptions, "tz", "tz")):
        params = {p.name: p for p in commands[command].params}
        field = group.model_fields[name]
        assert params[param].help.rstrip(".") == field.description.rstrip("."), (command, name)
        assert params[param].default == field.default, (command, name)
