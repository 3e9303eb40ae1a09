"""EXIF capture time and GPS: offsets, naive times in the user's zone, impossible values ignored."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from helpers_raster import exif_bytes, write_test_photo
from PIL import Image

from borderwatch.detector.exif import parse_exif_datetime, parse_offset, read_exif, zone
from borderwatch.errors import ConfigError


def _info(tmp_path, tz=UTC, **exif):
    path = write_test_photo(tmp_path / "p.jpg", exif=exif_bytes(**exif))
    with Image.open(path) as image:
        return read_exif(image, tz, str(path))


def test_offset_time_original_wins_over_user_zone(tmp_path):
    info = _info(tmp_path, tz=zone("America/New_York"), when="2025:09:15 14:30:00", offset="+09:00")
    assert info.captured_at == datetime(2025, 9, 15, 5, 30, tzinfo=UTC)
    assert not info.time_was_naive


def test_naive_time_is_read_in_the_user_zone(tmp_path):
    info = _info(tmp_path, tz=zone("Asia/Pyongyang"), when="2025:09:15 14:30:00")
    assert info.captured_at == datetime(2025, 9, 15, 5, 30, tzinfo=UTC)
    assert info.time_was_naive


def test_naive_time_defaults_to_utc(tmp_path):
    info = _info(tmp_path, when="2025:09:15 14:30:00")
    assert info.captured_at == datetime(2025, 9, 15, 14, 30, tzinfo=UTC)
    assert info.captured_at.tzinfo is UTC


def test_gps_is_decoded_with_hemisphere(tmp_path):
    info = _info(tmp_path, lat=41.39, lon=128.18)
    assert info.lat == pytest.approx(41.39, abs=1e-5)
    assert info.lon == pytest.approx(128.18, abs=1e-5)
    south = _info(tmp_path, lat=-33.9, lon=-70.5)
    assert south.lat == pytest.approx(-33.9, abs=1e-5) and south.lon == pytest.approx(-70.5, abs=1e-5)


@pytest.mark.parametrize("when", ["0000:00:00 00:00:00", "2025:13:40 10:00:00", "1970:01:01 00:00:00", "garbage", "2999:01:01 00:00:00"])
def test_impossible_dates_are_ignored_with_a_warning(tmp_path, when):
    info = _info(tmp_path, when=when, lat=41.39, lon=128.18)
    assert info.captured_at is None
    assert any("DateTimeOriginal ignored" in w for w in info.warnings)
    assert info.lat == pytest.approx(41.39, abs=1e-5)  # the rest of the EXIF still counts


def test_impossible_gps_is_ignored_with_a_warning(tmp_path):
    info = _info(tmp_path, when="2025:09:15 10:00:00", raw_lat=(95.0, 0.0, 0.0), lon=128.18)
    assert info.lat is None and info.lon is None
    assert any("GPS ignored" in w for w in info.warnings)
    assert info.captured_at is not None


def test_gps_zero_zero_is_a_placeholder(tmp_path):
    info = _info(tmp_path, raw_lat=(0.0, 0.0, 0.0), lon=0.0)
    assert info.lat is None
    assert any("placeholder" in w for w in info.warnings)


def test_photo_without_exif_has_nothing(tmp_path):
    path = write_test_photo(tmp_path / "plain.png")
    with Image.open(path) as image:
        info = read_exif(image, UTC)
    assert (info.captured_at, info.lat, info.lon, info.warnings) == (None, None, None, [])


def test_parse_exif_datetime_variants():
    tz = timezone(timedelta(hours=8))
    assert parse_exif_datetime("2025:09:15 14:30:00", tz) == datetime(2025, 9, 15, 6, 30, tzinfo=UTC)
    assert parse_exif_datetime("2025-09-15T14:30:00Z", tz) == datetime(2025, 9, 15, 14, 30, tzinfo=UTC)
    assert parse_exif_datetime("2025:09:15 14:30:00.5", UTC).microsecond == 500000
    assert parse_exif_datetime(b"2025:09:15 14:30:00\x00", UTC).hour == 14
    with pytest.raises(ValueError):
        parse_exif_datetime("2025:02:30 10:00:00", UTC)


def test_zone_names_and_offsets():
    assert zone(None) is UTC and zone("utc") is UTC
    assert zone("+09:00").utcoffset(None) == timedelta(hours=9)
    assert zone("Asia/Pyongyang").utcoffset(datetime(2025, 1, 1)) == timedelta(hours=9)
    assert parse_offset("-0530") == timezone(-timedelta(hours=5, minutes=30))
    with pytest.raises(ValueError, match=r"invalid UTC offset '\+25:00'"):  # never read as UTC instead
        parse_offset("+25:00")
    with pytest.raises(ConfigError, match="unknown time zone"):
        zone("Mars/Olympus")
