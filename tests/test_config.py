"""The run config: every mistake reported at once, each with its key path and YAML line."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
import yaml
from pydantic import BaseModel
from typer.testing import CliRunner

from borderwatch.errors import ConfigError
from borderwatch.pipeline.config import ConfigErrors, RunConfig, load_config, parse_config


def write(tmp_path: Path, text: str, name: str = "run.yaml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path


def errors_of(path: Path) -> list[str]:
    with pytest.raises(ConfigErrors) as info:
        load_config(path)
    return info.value.lines()


@pytest.fixture
def project(tmp_path):
    (tmp_path / "imagery").mkdir()
    (tmp_path / "articles").mkdir()
    return tmp_path


def test_minimal_config_and_paths_relative_to_the_file(project, monkeypatch):
    path = write(project, """
        inputs: imagery/
        articles: [articles]
    """)
    monkeypatch.chdir("/")  # paths must not depend on where the command is started
    config = load_config(path)
    assert config.inputs == [project / "imagery"]
    assert config.articles == [project / "articles"]
    assert config.run_dir == project / "run"
    assert config.report_dir == project / "run" / "report"
    assert config.models.photo == "borderwatch-photo" and config.models.overhead == "borderwatch-overhead"
    assert config.counts.by == "day" and config.engine == "local"
    assert config.source == path


def test_environment_variables_and_home_expand(project, monkeypatch):
    monkeypatch.setenv("BW_TEST_DATA", str(project / "imagery"))
    path = write(project, """
        inputs: ["${BW_TEST_DATA}"]
        outputs: {run_dir: ~/bw-test-run-never-created}
    """)
    config = load_config(path)
    assert config.inputs == [project / "imagery"]
    assert config.run_dir == Path.home() / "bw-test-run-never-created"


def test_every_mistake_at_once_with_key_path_and_line(project):
    path = write(project, """
        inputs:
          - imagery/
          - missing_folder/
        models:
          photo: yolo11n
          overhed: borderwatch-overhead-n
        detection:
          tile_size: big
          conf: 1.5
          merge: fancy
        counts:
          by: year
          tz: Mars/Olympus_Mons
        outputs:
          pdf: maybe
        engine: spark
    """)
    lines = errors_of(path)
    name = str(path)
    assert lines == [
        f"{name}:3: inputs[1]: {project / 'missing_folder'} does not exist",
        f"{name}:6: models.overhed: unknown key 'overhed'; did you mean 'overhead'?",
        f"{name}:8: detection.tile_size: input should be a valid integer, unable to parse string as an integer (got 'big')",
        f"{name}:9: detection.conf: input should be less than or equal to 1 (got 1.5)",
        f"{name}:10: detection.merge: input should be 'nms' or 'ios' (got 'fancy')",
        f"{name}:12: counts.by: input should be 'day', 'week' or 'month' (got 'year')",
        f"{name}:13: counts.tz: unknown time zone 'Mars/Olympus_Mons' (use an IANA name such as Asia/Pyongyang or UTC)",
        f"{name}:15: outputs.pdf: input should be a valid boolean, unable to interpret input (got 'maybe')",
        f"{name}:16: engine: input should be 'local' or 'ray' (got 'spark')",
    ]


def test_wrong_types_of_sections_and_lists(project):
    path = write(project, """
        inputs: 42
        detection: fast
        areas:
          select: Hyesan
    """)
    lines = errors_of(path)
    assert any(line.startswith(f"{path}:1: inputs: input should be a valid list") for line in lines)
    assert any(line.startswith(f"{path}:2: detection: input should be a valid dictionary") for line in lines)
    assert any(line.startswith(f"{path}:4: areas.select: input should be a valid list") for line in lines)
    assert len(lines) == 3


def test_unknown_top_level_key_and_missing_inputs(project):
    path = write(project, """
        title: x
        artciles: [articles]
    """)
    lines = errors_of(path)
    assert f"{path}:2: artciles: unknown key 'artciles'; did you mean 'articles'?" in lines
    assert f"{path}:1: inputs: required key is missing" in lines


def test_unknown_key_without_a_close_match_lists_the_allowed_ones(project):
    path = write(project, """
        inputs: imagery
        outputs:
          zzz: 1
    """)
    (line,) = errors_of(path)
    assert line.startswith(f"{path}:3: outputs.zzz: unknown key 'zzz'; allowed: run_dir, report_dir, pdf")


def test_cross_key_rules(project):
    (project / "areas.geojson").write_text('{"type": "FeatureCollection", "features": []}')
    path = write(project, """
        inputs: imagery
        areas:
          file: areas.geojson
        ray_address: ray://head:10001
    """)
    lines = errors_of(path)
    assert f"{path}:3: areas.name_field: name_field is required with an areas file (the column that holds area names)" in lines
    assert f"{path}:4: ray_address: ray_address needs engine: ray" in lines


def test_missing_environment_variable_is_named(project, monkeypatch):
    monkeypatch.delenv("BW_SURELY_UNSET", raising=False)
    path = write(project, "inputs: ['${BW_SURELY_UNSET}/x']\n")
    (line,) = errors_of(path)
    assert line.startswith(f"{path}:1: inputs[0]:") and "BW_SURELY_UNSET is not set" in line


def test_glob_that_matches_nothing(project):
    path = write(project, "inputs: ['imagery/*.tif']\n")
    (line,) = errors_of(path)
    assert line == f"{path}:1: inputs[0]: the pattern {project / 'imagery' / '*.tif'} matches no file"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("inputs:\n  - a\n - b\n", ":3: not valid YAML"),
        ("title: x\nmodels: photo: yolo11n\n", ":2: not valid YAML: mapping values are not allowed here"),
        ("", ":1: the config is empty"),
        ("- imagery\n", ":1: the config must be a mapping"),
        ("inputs: imagery\ninputs: imagery\n", ":2: inputs: duplicate key (first on line 1)"),
    ],
)
def test_malformed_files(project, text, expected):
    path = write(project, text)
    lines = errors_of(path)
    assert any(expected in line for line in lines), lines


def test_missing_and_unreadable_file(tmp_path):
    with pytest.raises(ConfigError, match="config file not found"):
        load_config(tmp_path / "nope.yaml")
    bad = tmp_path / "latin1.yaml"
    bad.write_bytes(b"title: caf\xe9\n")
    with pytest.raises(ConfigError, match="cannot read the config"):
        load_config(bad)


def test_error_points_at_a_key_for_later_checks(project):
    path = write(project, """
        inputs: imagery
        models:
          photo: no-such-model
    """)
    config = load_config(path)
    err = config.error("unknown model", "models", "photo")
    assert str(err) == f"{path}:3: models.photo: unknown model"
    # a key the file does not write points at the nearest enclosing key that it does
    assert config.line_of("models", "overhead") == 2


def _keys(model: type[BaseModel], prefix: str = "") -> list[str]:
    out = []
    for name, info in model.model_fields.items():
        out.append(prefix + name)
        if isinstance(info.annotation, type) and issubclass(info.annotation, BaseModel):
            out += _keys(info.annotation, prefix + name + ".")
    return out


def test_init_template_is_valid_and_explains_every_key(tmp_path):
    from borderwatch.report.template import example_config

    text = example_config()
    data = yaml.safe_load(text)
    written = set()

    def walk(obj, prefix=""):
        for k, v in obj.items():
            written.add(prefix + k)
            if isinstance(v, dict):
                walk(v, prefix + k + ".")

    walk(data)
    assert set(_keys(RunConfig)) == written
    for line in text.splitlines():  # every key line carries a comment, or the line before is one
        stripped = line.strip()
        if stripped and not stripped.startswith(("#", "-")) and ":" in stripped and not stripped.endswith(":"):
            assert "#" in line, f"no explanation for: {line}"
    (tmp_path / "imagery").mkdir()
    config = parse_config(text, source=tmp_path / "borderwatch.yaml")
    assert config.inputs == [tmp_path / "imagery"] and config.counts.tz == "Asia/Pyongyang"


def test_cli_init_then_run_reports_all_errors(tmp_path, monkeypatch):
    from borderwatch.cli import app

    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    result = runner.invoke(app, ["init", "my.yaml"])
    assert result.exit_code == 0 and (tmp_path / "my.yaml").exists()
    assert runner.invoke(app, ["init", "my.yaml"]).exit_code == 1  # no silent overwrite
    bad = write(tmp_path, """
        inputs: nowhere/
        counts: {by: fortnight}
    """, "bad.yaml")
    result = runner.invoke(app, ["run", str(bad)])
    assert result.exit_code == 2  # a usage error, as for every command: nothing was run
    assert f"{bad}:1: inputs: {tmp_path / 'nowhere'} does not exist" in result.output
    assert f"{bad}:2: counts.by:" in result.output
