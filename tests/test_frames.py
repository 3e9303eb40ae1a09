"""Input discovery (files, folders, globs, manifests), frame ids, and opening frames."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

import pytest
from helpers_raster import exif_bytes, write_test_geotiff, write_test_photo

from borderwatch.detector.frames import (
    FrameInput,
    discover,
    frame_id_of,
    open_frame,
    resolve_kind,
)
from borderwatch.errors import ConfigError, InputError


@pytest.fixture
def batch(tmp_path):
    """A folder of photos and rasters with sidecars, junk and a hidden file."""
    root = tmp_path / "batch"
    (root / "day1").mkdir(parents=True)
    (root / "day2" / "deep").mkdir(parents=True)
    (root / ".git").mkdir()
    write_test_photo(root / "day1" / "a.jpg", boxes=[(10, 10, 40, 30)])
    write_test_photo(root / "day1" / "b.PNG")
    write_test_photo(root / "day2" / "deep" / "c.webp")
    write_test_photo(root / "day2" / "d.bmp")
    write_test_geotiff(root / "day2" / "scene.tif")
    (root / "day2" / "scene.tif.aux.xml").write_text("<PAMDataset/>")
    (root / "day2" / "scene.tfw").write_text("0.5\n0\n0\n-0.5\n0\n0\n")
    (root / "day1" / "a.xmp").write_text("<x/>")
    (root / "day1" / "notes.txt").write_text("seen from the Changbai side")
    (root / "day1" / "clip.heic").write_bytes(b"\x00" * 10)
    (root / "day2" / "frames.csv").write_text("path\n")
    (root / ".DS_Store").write_bytes(b"junk")
    (root / ".git" / "x.jpg").write_bytes(b"junk")
    return root


def test_folder_is_searched_recursively_by_extension(batch):
    found = discover([batch])
    names = [fi.path.name for fi in found.frames]
    assert names == ["a.jpg", "b.PNG", "d.bmp", "scene.tif", "c.webp"]
    assert all(fi.path.is_absolute() for fi in found.frames)


def test_unsupported_files_in_a_folder_are_reported_as_skipped(batch):
    found = discover([batch])
    skipped = {p.path.name: p for p in found.problems}
    assert set(skipped) == {"notes.txt", "clip.heic", "frames.csv"}  # sidecars and hidden files are not frames
    assert all(p.status == "skipped" for p in skipped.values())
    assert "unsupported file type '.heic'" in skipped["clip.heic"].reason
    assert "pass it as INPUT or with --manifest" in skipped["frames.csv"].reason


def test_unsupported_file_named_directly_fails(tmp_path):
    junk = tmp_path / "notes.txt"
    junk.write_text("x")
    found = discover([junk])
    assert found.frames == []
    assert found.problems[0].status == "failed" and ".txt" in found.problems[0].reason


def test_glob_patterns(batch):
    found = discover([str(batch / "**" / "*.jpg"), str(batch / "day2" / "*.t?f")])
    assert [fi.path.name for fi in found.frames] == ["a.jpg", "scene.tif"]


def test_missing_inputs_are_usage_errors(tmp_path):
    with pytest.raises(ConfigError, match="no such file or folder"):
        discover([tmp_path / "nope.jpg"])
    with pytest.raises(ConfigError, match="no file matches"):
        discover([str(tmp_path / "*.jpg")])
    with pytest.raises(ConfigError, match="no such manifest"):
        discover([], manifests=[tmp_path / "m.csv"])
    with pytest.raises(ConfigError, match="kind must be"):
        discover([tmp_path], kind="satellite")


def test_file_named_twice_is_one_frame_and_manifest_metadata_wins(batch):
    manifest = batch / "day1" / "m.csv"
    manifest.write_text("path,area,captured_at\na.jpg,Hyesan,2025-09-15\n")
    found = discover([batch / "day1" / "a.jpg", batch / "day1", manifest])
    paths = [fi.path for fi in found.frames]
    assert len(paths) == len(set(paths)) == 2
    a = next(fi for fi in found.frames if fi.path.name == "a.jpg")
    assert a.area == "Hyesan" and a.from_manifest and a.captured_at == datetime(2025, 9, 15, tzinfo=UTC)


def test_manifest_problems_become_failed_inputs(tmp_path):
    write_test_photo(tmp_path / "a.jpg")
    manifest = tmp_path / "m.csv"
    manifest.write_text("path,captured_at\na.jpg,2025-09-15\nb.jpg,not-a-date\n../../etc/passwd,\n")
    found = discover([manifest])
    assert [fi.path.name for fi in found.frames] == ["a.jpg"]
    reasons = [p.reason for p in found.problems]
    assert len(reasons) == 2
    assert reasons[0].startswith(f"{manifest.absolute()}: row 3, column captured_at")
    assert "outside the manifest's folder" in reasons[1]


def test_duplicate_manifest_row_does_not_refuse_the_file(tmp_path):
    write_test_photo(tmp_path / "a.jpg")
    manifest = tmp_path / "m.csv"
    manifest.write_text("path,area\na.jpg,Hyesan\n./a.jpg,Sinuiju\n")
    found = discover([manifest])
    assert [(fi.path.name, fi.area) for fi in found.frames] == [("a.jpg", "Hyesan")]
    assert "same file as row 2" in found.problems[0].reason


def test_kind_option_applies_where_manifest_says_nothing(tmp_path):
    write_test_photo(tmp_path / "a.jpg")
    write_test_geotiff(tmp_path / "s.tif")
    (tmp_path / "m.csv").write_text("path,kind\ns.tif,photo\n")
    found = discover([tmp_path / "a.jpg", tmp_path / "m.csv"], kind="overhead")
    kinds = {fi.path.name: fi.kind for fi in found.frames}
    assert kinds == {"a.jpg": "overhead", "s.tif": "photo"}


def test_resolve_kind(tmp_path):
    jpg = write_test_photo(tmp_path / "a.jpg")
    assert resolve_kind(FrameInput(jpg)) == "photo"
    assert resolve_kind(FrameInput(tmp_path / "s.TIF")) == "overhead"
    (tmp_path / "a.jgw").write_text("1\n0\n0\n-1\n0\n0\n")
    assert resolve_kind(FrameInput(jpg)) == "overhead"  # a world file makes a JPEG a map
    assert resolve_kind(FrameInput(tmp_path / "s.tif", kind="photo")) == "photo"


def test_frame_id_is_content_hash(tmp_path):
    a = write_test_photo(tmp_path / "a.jpg", boxes=[(1, 1, 5, 5)])
    expected = hashlib.sha256(a.read_bytes()).hexdigest()[:16]
    assert frame_id_of(a) == expected
    moved = tmp_path / "renamed.jpg"
    a.rename(moved)
    assert frame_id_of(moved) == expected
    other = write_test_photo(tmp_path / "b.jpg", boxes=[(2, 2, 6, 6)])
    assert frame_id_of(other) != expected
    big = tmp_path / "big.bin"
    big.write_bytes(b"x" * (3 * 2**20 + 5))  # more than one read chunk
    assert frame_id_of(big) == hashlib.sha256(big.read_bytes()).hexdigest()[:16]


def test_open_photo_reads_exif_and_manifest_overrides(tmp_path):
    path = write_test_photo(
        tmp_path / "p.jpg", width=300, height=200, exif=exif_bytes(when="2025:09:15 14:30:00", offset="+09:00", lat=41.4, lon=128.2)
    )
    opened = open_frame(FrameInput(path, kind="photo"), "f" * 16, UTC)
    frame = opened.frame
    assert (frame.width, frame.height, frame.bands, frame.dtype) == (300, 200, 3, "uint8")
    assert frame.captured_at == datetime(2025, 9, 15, 5, 30, tzinfo=UTC)
    assert frame.lat == pytest.approx(41.4, abs=1e-5) and frame.crs is None and not frame.georeferenced
    opened.close()

    given = datetime(2025, 9, 1, tzinfo=UTC)
    fi = FrameInput(path, kind="photo", captured_at=given, lon=128.18, lat=41.39, area="Hyesan")
    frame = open_frame(fi, "f" * 16, UTC).frame
    assert (frame.captured_at, frame.lon, frame.lat, frame.area) == (given, 128.18, 41.39, "Hyesan")


def test_open_raster_reads_georeferencing_and_tag_time(tmp_path):
    path = write_test_geotiff(tmp_path / "s.tif", width=300, height=200, tags={"TIFFTAG_DATETIME": "2025:09:15 03:00:00"})
    frame = open_frame(FrameInput(path), "e" * 16, UTC).frame
    assert frame.kind == "overhead" and frame.crs == "EPSG:32652"
    assert frame.gsd_m == pytest.approx(0.5, rel=0.01)
    assert frame.captured_at == datetime(2025, 9, 15, 3, tzinfo=UTC)
    assert len(frame.transform) == 6


def test_open_rejects_empty_and_corrupt_files(tmp_path):
    empty = tmp_path / "e.jpg"
    empty.write_bytes(b"")
    with pytest.raises(InputError, match="empty file"):
        open_frame(FrameInput(empty), "0" * 16, UTC)
    corrupt = tmp_path / "c.jpg"
    corrupt.write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg")
    with pytest.raises(InputError, match="not an image|cannot open image"):
        open_frame(FrameInput(corrupt), "0" * 16, UTC)
