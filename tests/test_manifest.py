"""Manifests: CSV and YAML rows, per-row errors naming file/row/column, paths kept inside the folder."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from borderwatch.detector.exif import zone
from borderwatch.detector.manifest import parse_time, read_manifest
from borderwatch.errors import InputError


def _csv(tmp_path, text: str, name: str = "frames.csv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_csv_rows_with_times_places_and_kinds(tmp_path):
    m = _csv(
        tmp_path,
        "path,captured_at,area,lon,lat,kind,timezone\n"
        "a.jpg,2025-09-15 14:30,Hyesan,,,photo,Asia/Pyongyang\n"
        "sub/b.tif,2025-09-15T05:30:00Z,,128.18,41.39,overhead,\n"
        "c.jpg,,,,,,\n",
    )
    manifest = read_manifest(m, UTC)
    assert manifest.problems == []
    a, b, c = manifest.entries
    assert a.path == tmp_path / "a.jpg" and a.kind == "photo" and a.area == "Hyesan"
    assert a.captured_at == datetime(2025, 9, 15, 5, 30, tzinfo=UTC)
    assert b.path == tmp_path / "sub" / "b.tif" and b.kind == "overhead"
    assert (b.lon, b.lat) == (128.18, 41.39) and b.captured_at == a.captured_at
    assert c.kind == "auto" and c.captured_at is None and c.lon is None
    assert [e.row for e in manifest.entries] == [2, 3, 4]  # CSV line numbers


def test_default_zone_applies_to_naive_times(tmp_path):
    m = _csv(tmp_path, "path,captured_at\na.jpg,2025-09-15 14:30\nb.jpg,2025-09-15\n")
    entries = read_manifest(m, zone("+09:00")).entries
    assert entries[0].captured_at == datetime(2025, 9, 15, 5, 30, tzinfo=UTC)
    assert entries[1].captured_at == datetime(2025, 9, 14, 15, 0, tzinfo=UTC)  # local midnight


@pytest.mark.parametrize(
    ("row", "column", "words"),
    [
        ("a.jpg,2025-13-45,,,,", "captured_at", "2025-13-45"),
        ("a.jpg,2025-09-15,,200,41,", "lon", "outside"),
        ("a.jpg,2025-09-15,,128,95,", "lat", "outside"),
        ("a.jpg,2025-09-15,,128,north,", "lat", "not a number"),
        ("a.jpg,2025-09-15,,128,,", "lat", "together"),
        ("a.jpg,2025-09-15,,,,satellite", "kind", "satellite"),
        (",2025-09-15,,,,", "path", "empty"),
        ("../../etc/passwd,2025-09-15,,,,", "path", "outside the manifest's folder"),
        ("/etc/passwd,2025-09-15,,,,", "path", "outside the manifest's folder"),
        ("a.jpg,1850-01-01,,,,", "captured_at", "implausible"),
    ],
)
def test_bad_rows_are_reported_and_good_rows_go_on(tmp_path, row, column, words):
    m = _csv(tmp_path, f"path,captured_at,area,lon,lat,kind\ngood.jpg,2025-09-15,,,,\n{row}\nlast.jpg,,,,,\n")
    manifest = read_manifest(m, UTC)
    assert [e.path.name for e in manifest.entries] == ["good.jpg", "last.jpg"]
    assert len(manifest.problems) == 1
    message = str(manifest.problems[0].error)
    assert message.startswith(f"{m}: row 3, column {column}:"), message
    assert words in message
    assert "\n" not in message


def test_escaping_path_never_resolves_outside(tmp_path):
    inner = tmp_path / "batch"
    inner.mkdir()
    m = _csv(inner, "path\nsub/../ok.jpg\nsub/../../secret.jpg\n")
    manifest = read_manifest(m, UTC)
    assert [e.path for e in manifest.entries] == [inner / "ok.jpg"]
    assert manifest.problems[0].path is None


def test_missing_path_column_fails_the_whole_manifest(tmp_path):
    m = _csv(tmp_path, "file,captured_at\na.jpg,2025-09-15\n")
    with pytest.raises(InputError, match=r"frames.csv: manifest has no 'path' column"):
        read_manifest(m, UTC)


def test_unknown_columns_are_warned_about(tmp_path):
    m = _csv(tmp_path, "path,captured,area\na.jpg,2025-09-15,Hyesan\n")
    manifest = read_manifest(m, UTC)
    assert manifest.entries[0].captured_at is None
    assert any("unknown column 'captured'" in w for w in manifest.warnings)


def test_duplicate_rows_are_refused(tmp_path):
    m = _csv(tmp_path, "path\na.jpg\n./a.jpg\n")
    manifest = read_manifest(m, UTC)
    assert len(manifest.entries) == 1
    assert "same file as row 2" in str(manifest.problems[0].error)


def test_ragged_and_blank_lines(tmp_path):
    m = _csv(tmp_path, "path,area\n\na.jpg,X\nb.jpg,Y,extra\nc.jpg,Z\n")
    manifest = read_manifest(m, UTC)
    assert [e.path.name for e in manifest.entries] == ["a.jpg", "c.jpg"]
    assert str(manifest.problems[0].error) == f"{m}: row 4: 1 more value(s) than columns"


def test_yaml_list_and_frames_key(tmp_path):
    text = (
        "frames:\n"
        "  - path: a.jpg\n"
        "    captured_at: 2025-09-15T14:30:00+09:00\n"
        "    area: Hyesan\n"
        "  - {path: b.tif, kind: overhead, captured_at: 2025-09-16}\n"
        "  - {path: c.jpg, lat: 95, lon: 128}\n"
    )
    m = tmp_path / "m.yaml"
    m.write_text(text)
    manifest = read_manifest(m, UTC)
    assert [e.path.name for e in manifest.entries] == ["a.jpg", "b.tif"]
    assert manifest.entries[0].captured_at == datetime(2025, 9, 15, 5, 30, tzinfo=UTC)
    assert manifest.entries[1].captured_at == datetime(2025, 9, 16, tzinfo=UTC)  # YAML date object
    assert str(manifest.problems[0].error).startswith(f"{m}: row 3, column lat:")


def test_yaml_that_is_not_a_list(tmp_path):
    m = tmp_path / "m.yml"
    m.write_text("path: a.jpg\n")
    with pytest.raises(InputError, match="list of mappings"):
        read_manifest(m, UTC)
    m.write_text("- [unclosed\n")
    with pytest.raises(InputError, match="not valid YAML"):
        read_manifest(m, UTC)


def test_bad_timezone_column(tmp_path):
    m = _csv(tmp_path, "path,captured_at,timezone\na.jpg,2025-09-15 10:00,Mars/Base\nb.jpg,2025-09-15 10:00,+08:00\n")
    manifest = read_manifest(m, UTC)
    assert "row 2, column timezone" in str(manifest.problems[0].error)
    assert manifest.entries[0].captured_at == datetime(2025, 9, 15, 2, 0, tzinfo=UTC)


def test_parse_time_accepts_exiftool_style():
    assert parse_time("2025:09:15 14:30:00", UTC) == datetime(2025, 9, 15, 14, 30, tzinfo=UTC)
    with pytest.raises(ValueError):
        parse_time("mid-September", UTC)
