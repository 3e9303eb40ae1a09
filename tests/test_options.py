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
