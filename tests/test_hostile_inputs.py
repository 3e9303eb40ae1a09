"""Hostile and broken input, stage by stage, through the public APIs and the command line.

For every case of ``hostile.py``: a clear one-line error that names the file (and no traceback),
the rest of the batch goes on, nothing already written is lost, and nothing hangs (each test has a
time limit). Cases that must work (a PNG named .jpg, rotated or 16-bit rasters, odd encodings) are
checked to work.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import warnings
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from hostile import (
    AREAS_CASES,
    ARTICLE_CASES,
    CONFIG_CASES,
    COUNT_CASES,
    DETECT_CASES,
    ENGLISH,
    KOREAN,
    MANIFEST_CASES,
    OTHER_BOXES,
    Case,
    good_geotiff,
    good_photo,
)

from borderwatch.detector.run import DetectConfig, detect
from borderwatch.detector.sliced import SliceParams
from borderwatch.errors import BorderwatchError, ConfigError, InputError

TESTS = Path(__file__).resolve().parent
FACTORY = "standin_factory:bright_boxes"
IS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0

pytestmark = pytest.mark.timeout(60)


def _params(cases: list[Case]):
    out = []
    for case in cases:
        marks = []
        if case.xfail:
            marks.append(pytest.mark.xfail(reason=case.xfail, strict=True))
        if case.name == "unreadable_file" and IS_ROOT:
            marks.append(pytest.mark.skip(reason="root reads files without read permission"))
        out.append(pytest.param(case, id=case.name, marks=marks))
    return out


def shown(text: str) -> str:
    """How a one-line message shows a name with control characters (escaped, as print_line does)."""
    return "".join(ch if ch.isprintable() else repr(ch)[1:-1] for ch in text)


def _config() -> DetectConfig:
    return DetectConfig(model="standin", predictor_factory=FACTORY, slicing=SliceParams(tile_size=96, overlap=0.25))


def _frames(out: Path):
    return pq.read_table(out / "frames.parquet").to_pandas()


def _error_lines(stderr: str, name: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith("error ") and shown(name) in line]


# ------------------------------------------------------------------------------------------ detection


@pytest.mark.parametrize("case", _params(DETECT_CASES + MANIFEST_CASES))
def test_detection_case(case: Case, tmp_path, capsys):
    folder = tmp_path / "batch"
    folder.mkdir()
    good = good_photo(folder)
    out = tmp_path / "run"
    detect([folder], out, _config(), quiet=True)  # a finished run the bad file joins
    part_before = {p.name: p.read_bytes() for p in (out / "parts").glob("*.parquet")}
    capsys.readouterr()

    bad = case.build(folder)
    manifests = sorted(p for p in folder.iterdir() if p.suffix in (".csv", ".yaml"))
    summary = detect([folder, *manifests], out, _config(), quiet=True)
    err = capsys.readouterr().err
    assert "Traceback" not in err

    frames = _frames(out)
    by_path = frames.set_index("source_path")
    # the good photo was neither lost nor redone
    assert by_path.loc[str(good), "status"] == "ok" and by_path.loc[str(good), "n_detections"] == 2
    assert summary.resumed >= 1
    for name, data in part_before.items():
        assert (out / "parts" / name).read_bytes() == data
    assert (out / "run.json").exists()

    if case.outcome == "error":
        failed = frames[frames.status == "failed"]
        named = failed[failed.source_path.str.contains(re.escape(case.filename)) | failed.error.str.contains(re.escape(case.filename))]
        assert len(named) >= 1, f"no failed row names {case.filename}: {failed[['source_path', 'error']].values}"
        for reason in named.error:
            assert reason and "\n" not in reason
        assert any(re.search(case.match, reason) for reason in named.error), list(named.error)
        lines = _error_lines(err, case.filename)
        assert lines, f"no error line names {case.filename}:\n{err}"
        assert summary.exit_code == 1
    else:
        row = by_path.loc[str(bad)]
        assert row.status == "ok", row.error
        expected = 0 if case.outcome == "empty" else len(OTHER_BOXES)
        assert row.n_detections == expected
        assert summary.exit_code == 0


def test_detect_command_on_the_whole_corpus_at_once(tmp_path):
    """Every bad image in one batch through the real CLI: exit status 1, one error line per bad file,
    no traceback, the good frames detected."""
    folder = tmp_path / "corpus"
    folder.mkdir()
    cases = [c for c in DETECT_CASES if not (c.name == "unreadable_file" and IS_ROOT)]
    bad = {}
    for case in cases:
        sub = folder / case.name
        sub.mkdir()
        bad[case.name] = case.build(sub)
    good_photo(folder)
    good_geotiff(folder)
    manifests = sorted(folder.rglob("*.csv"))
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in (str(TESTS), os.environ.get("PYTHONPATH")) if p))
    done = subprocess.run(
        [sys.executable, "-m", "borderwatch.cli", "detect", str(folder), *map(str, manifests), "--model", "standin",
         "--predictor-factory", FACTORY, "--tile-size", "96", "--out", str(tmp_path / "run")],
        env=env, capture_output=True, text=True, timeout=180,
    )
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr
    frames = _frames(tmp_path / "run").set_index("source_path")
    for case in cases:
        status = frames.loc[str(bad[case.name]), "status"]
        if case.outcome == "error":
            assert status == "failed", case.name
            assert len(_error_lines(done.stderr, case.filename)) >= 1, case.name
        else:
            assert status == "ok", (case.name, frames.loc[str(bad[case.name]), "error"])
    assert frames.loc[str(folder / "good.jpg"), "n_detections"] == 2
    assert frames.loc[str(folder / "good.tif"), "n_detections"] == 2


# ---------------------------------------------------------------------------------------------- areas


@pytest.mark.parametrize("case", _params(AREAS_CASES))
def test_areas_case(case: Case, tmp_path):
    from borderwatch.geo.areas import load_areas

    path = case.build(tmp_path)
    declared = "EPSG:32652" if path.suffix == ".shp" else None  # the shapefile has no .prj
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if case.outcome == "error":
            with pytest.raises(InputError) as err:
                load_areas(path, "name", crs=declared)
            message = str(err.value)
            assert case.filename in message and "\n" not in message
            assert re.search(case.match, message), message
        else:
            areas = load_areas(path, "name", crs=declared)
            assert len(areas) >= 1 and areas.frame.geometry.is_valid.all()


def test_count_command_with_bad_areas_is_one_line(tmp_path):
    from hostile import AREAS_CASES as cases

    run = _good_run(tmp_path / "run")
    bad = next(c for c in cases if c.name == "areas_metres_declared_degrees").build(tmp_path)
    done = subprocess.run(
        [sys.executable, "-m", "borderwatch.cli", "count", str(run), "--areas", str(bad), "--name-field", "name"],
        capture_output=True, text=True, timeout=120,
    )
    assert done.returncode != 0 and "Traceback" not in done.stderr
    lines = [line for line in done.stderr.splitlines() if bad.name in line]
    assert lines and "outside the Earth" in lines[0]


def test_count_command_names_a_markup_like_areas_path(tmp_path):
    run = _good_run(tmp_path / "run")
    (tmp_path / "odd[").mkdir()
    missing = tmp_path / "odd[" / "y].geojson"
    done = subprocess.run(
        [sys.executable, "-m", "borderwatch.cli", "count", str(run), "--areas", str(missing), "--name-field", "name"],
        capture_output=True, text=True, timeout=120,
    )
    assert done.returncode != 0
    assert "Traceback" not in done.stderr and "MarkupError" not in done.stderr
    assert any(str(missing) in line for line in done.stderr.splitlines())


# -------------------------------------------------------------------------------------------- counting


def _good_run(out: Path) -> Path:
    src = out.parent / f"{out.name}-inputs"
    src.mkdir(parents=True)
    good_geotiff(src)
    (src / "m.csv").write_text("path,captured_at\ngood.tif,2025-09-15\n")
    detect([src / "m.csv"], out, _config(), quiet=True)
    return out


@pytest.mark.parametrize("case", _params(COUNT_CASES))
def test_count_case(case: Case, tmp_path):
    """A damaged run folder: a clear error naming the damaged file; earlier counts stay intact."""
    from borderwatch.geo.counts import count_run

    run = _good_run(tmp_path / "run")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        count_run(run, gpkg=False)
    before = (run / "counts.parquet").read_bytes()
    damaged = case.build(run)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        if case.outcome == "error":
            with pytest.raises(InputError) as err:
                count_run(run, gpkg=False)
            message = str(err.value)
            assert case.filename in message and "\n" not in message
            assert re.search(case.match, message), message
            assert (run / "counts.parquet").read_bytes() == before  # a failed count writes nothing
        else:
            summary = count_run(run, gpkg=False)
            assert len(summary.counts) > 0
            assert any(str(damaged) in str(w.message) for w in caught)


# ------------------------------------------------------------------------------------------- articles


@pytest.mark.parametrize("case", _params(ARTICLE_CASES))
def test_article_case(case: Case, tmp_path):
    from borderwatch.claims.articles import load_articles

    (tmp_path / "good.txt").write_text(ENGLISH, encoding="utf-8")
    bad = case.build(tmp_path)
    result = load_articles([tmp_path])
    names = {a.source_file for a in result.articles}
    assert "good.txt" in names  # the batch went on
    if case.outcome == "error":
        assert bad.name not in names
        assert len(result.errors) == 1
        line = result.errors[0]
        assert bad.name in line and "\n" not in line and "Traceback" not in line
        assert re.search(case.match, line), line
    else:
        assert result.errors == []
        article = next(a for a in result.articles if a.source_file == bad.name)
        expected = {"korean.txt": KOREAN}.get(bad.name, None)
        if expected is not None:
            assert article.text.strip() == expected
        elif bad.name.startswith("utf16"):
            assert article.text.strip() == ENGLISH
        else:
            assert "\u201cAt least 100 vehicles\u201d" in article.text and "caf\u00e9" in article.text


def test_claims_command_on_every_bad_article(tmp_path):
    folder = tmp_path / "articles"
    folder.mkdir()
    (folder / "good.txt").write_text(ENGLISH, encoding="utf-8")
    for case in ARTICLE_CASES:
        case.build(folder)
    (folder / "[sic] report.txt").write_bytes(b"")  # markup-like name, and empty
    done = subprocess.run(
        [sys.executable, "-m", "borderwatch.cli", "claims", str(folder), "-o", str(tmp_path / "claims.json"), "-q"],
        capture_output=True, text=True, timeout=120,
    )
    assert "Traceback" not in done.stderr
    for case in [c for c in ARTICLE_CASES if c.outcome == "error"] + [Case("sic", "articles", "[sic] report.txt", None)]:
        assert any(case.filename in line for line in done.stderr.splitlines()), (case.filename, done.stderr)
    claims = json.loads((tmp_path / "claims.json").read_text())
    sources = {c["source_file"] for c in claims}
    assert {"good.txt", "utf16.txt", "utf16le.txt"} <= sources  # the 27 cars, read in three encodings


# --------------------------------------------------------------------------------------------- config


@pytest.mark.parametrize("case", _params(CONFIG_CASES))
def test_config_case(case: Case, tmp_path):
    from borderwatch.pipeline.config import load_config

    path = case.build(tmp_path)
    with pytest.raises(ConfigError) as err:
        load_config(path)
    lines = str(err.value).splitlines()
    assert lines and all(str(path) in line for line in lines), lines  # one problem per line, each naming the file
    assert re.search(case.match, str(err.value)), str(err.value)


def test_run_command_with_a_config_of_wrong_types(tmp_path):
    path = next(c for c in CONFIG_CASES if c.name == "config_wrong_types").build(tmp_path)
    done = subprocess.run([sys.executable, "-m", "borderwatch.cli", "run", str(path)], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode != 0 and "Traceback" not in done.stderr
    for key in ("detection.tile_size", "detection.conf", "detection.batch_size", "counts.by", "outputs.pdf", "engine"):
        assert any(key in line and path.name in line for line in done.stderr.splitlines()), (key, done.stderr)


def test_engine_ray_is_accepted_in_the_run_config(tmp_path):
    from borderwatch.pipeline.config import parse_config

    (tmp_path / "imagery").mkdir()
    config = parse_config("inputs: imagery/\nengine: ray\nray_address: auto\n", base_dir=tmp_path)
    assert config.engine == "ray" and config.ray_address == "auto"


def test_ray_workers_is_accepted_in_the_run_config(tmp_path):
    from borderwatch.pipeline.config import ConfigErrors, parse_config

    (tmp_path / "imagery").mkdir()
    config = parse_config("inputs: imagery/\nengine: ray\nray_workers: 2\n", base_dir=tmp_path)
    assert config.ray_workers == 2
    with pytest.raises(ConfigErrors, match="ray_workers"):
        parse_config("inputs: imagery/\nengine: ray\nray_workers: two\n", base_dir=tmp_path)


def test_every_stage_error_is_a_borderwatch_error():
    """The classes the stages raise for bad input all print as '<path>: <reason>' on one line."""
    error = InputError("bad\nthing   here", "/data/x[1].tif")
    assert str(error) == "/data/x[1].tif: bad thing here"
    assert isinstance(error, BorderwatchError)


# -------------------------------------------------------------------------------------------- weights


class _Payload:
    """Unpickling this creates a folder: what a malicious checkpoint would do, harmlessly."""

    def __init__(self, marker: Path):
        self.marker = str(marker)

    def __reduce__(self):
        return (os.makedirs, (self.marker,))


@pytest.mark.parametrize("suffix", [".pt", ".PTH"])
def test_untrusted_pickle_as_model_on_the_command_line(tmp_path, suffix):
    """Weights are code: the CLI refuses a pickle no card lists, before anything unpickles it."""
    import pickle

    marker = tmp_path / "pwned"
    weights = tmp_path / f"evil{suffix}"
    weights.write_bytes(pickle.dumps({"model": _Payload(marker)}))
    photo = good_photo(tmp_path)
    env = dict(os.environ, BORDERWATCH_CACHE=str(tmp_path / "cache"), BORDERWATCH_MODELS=str(tmp_path / "no-models"))
    done = subprocess.run(
        [sys.executable, "-m", "borderwatch.cli", "detect", str(photo), "--model", str(weights), "--no-download",
         "--out", str(tmp_path / "run"), "-q"],
        env=env, capture_output=True, text=True, timeout=120,
    )
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert str(weights) in done.stderr and "--trust-weights" in done.stderr
    assert not marker.exists()
    assert not (tmp_path / "run" / "parts").exists() or not list((tmp_path / "run" / "parts").iterdir())
