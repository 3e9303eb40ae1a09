"""When and where a photo was taken, from its EXIF block.

Cameras write ``DateTimeOriginal`` as local wall-clock time without a zone ("2025:09:15 14:30:00");
newer ones add ``OffsetTimeOriginal`` ("+09:00"). A time without an offset is read in the zone the
user names (``--tz``, UTC by default) because guessing from GPS would be wrong for a camera bought
across the border. Placeholder or impossible values ("0000:00:00 00:00:00", latitude 95) are common
in the wild; they are dropped with a warning rather than failing the photo.

TIFF's ``DateTime`` tag uses the same text format, so rasters share :func:`parse_exif_datetime`.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from PIL import ExifTags, Image

from borderwatch.errors import ConfigError

# "2025:09:15 14:30:00", also with "-" date separators, a "T", fractions or a trailing zone.
_EXIF_TIME = re.compile(
    r"^\s*(\d{4})[:\-](\d{1,2})[:\-](\d{1,2})(?:[ T](\d{1,2}):(\d{1,2})(?::(\d{1,2})(?:[.,](\d+))?)?)?\s*"
    r"(Z|[+\-]\d{2}:?\d{2})?\s*$"
)
_OFFSET = re.compile(r"^\s*([+\-])(\d{2}):?(\d{2})\s*$")

EARLIEST_YEAR = 1990  # before consumer digital cameras and sub-metre satellites; earlier means a reset clock


def zone(name: str | None) -> tzinfo:
    """A time zone from an IANA name ("Asia/Pyongyang"), "UTC" or a fixed offset ("+09:00")."""
    if name is None or str(name).strip().upper() in {"", "UTC", "Z"}:
        return UTC
    text = str(name).strip()
    try:
        offset = parse_offset(text)
    except ValueError as exc:
        raise ConfigError(str(exc)) from None
    if offset is not None:
        return offset
    try:
        return ZoneInfo(text)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ConfigError(f"unknown time zone {text!r}; use an IANA name such as Asia/Pyongyang, or +09:00") from exc


def parse_offset(text: str | None) -> timezone | None:
    """``+09:00`` / ``-0500`` / ``Z`` as a fixed zone; None when ``text`` is not an offset.

    Raises ValueError for text shaped like an offset that no place uses (``+25:00``, ``+09:75``):
    reading such a time as UTC instead would shift it silently.
    """
    if text is None:
        return None
    if str(text).strip().upper() == "Z":
        return UTC
    m = _OFFSET.match(str(text))
    if not m:
        return None
    sign, hours, minutes = m.groups()
    delta = timedelta(hours=int(hours), minutes=int(minutes))
    if int(minutes) >= 60 or delta > timedelta(hours=14):
        raise ValueError(f"invalid UTC offset {str(text).strip()!r} (offsets run from -12:00 to +14:00)")
    return timezone(-delta if sign == "-" else delta)


def to_utc(value: datetime, tz: tzinfo) -> datetime:
    """An aware UTC time; a naive ``value`` is wall-clock time in ``tz``."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=tz)
    return value.astimezone(UTC)


def parse_exif_datetime(text: str, tz: tzinfo, offset: str | None = None) -> datetime:
    """An EXIF/TIFF time string as aware UTC; ``offset`` (OffsetTimeOriginal) beats ``tz``.

    Raises ValueError for text that is not a time or names an impossible one (year 0, month 13,
    a year before 1990 or in the future).
    """
    if isinstance(text, bytes):
        text = text.decode("ascii", "replace")
    m = _EXIF_TIME.match(str(text).strip("\x00 "))
    if not m:
        raise ValueError(f"not a date: {text!r}")
    year, month, day, hour, minute, second, fraction, inline_zone = m.groups()
    micro = int((fraction or "0")[:6].ljust(6, "0"))
    naive = datetime(  # raises ValueError on month 13, day 0, year 0, hour 25
        int(year), int(month), int(day), int(hour or 0), int(minute or 0), int(second or 0), micro
    )
    zone_given = parse_offset(inline_zone) or parse_offset(offset)
    value = to_utc(naive, zone_given or tz)
    check_plausible(value)
    return value


def check_plausible(value: datetime) -> None:
    """Refuse a time before digital imagery or more than a day in the future (a wrong clock)."""
    if value.year < EARLIEST_YEAR:
        raise ValueError(f"implausible date {value.date()} (before {EARLIEST_YEAR})")
    if value > datetime.now(UTC) + timedelta(days=1):
        raise ValueError(f"date {value.date()} is in the future")


@dataclass
class ExifInfo:
    """What a photo's EXIF says about when and where; None where absent or unusable."""

    captured_at: datetime | None = None
    lon: float | None = None
    lat: float | None = None
    time_was_naive: bool = False  # True when the zone came from the user, not the camera
    warnings: list[str] = field(default_factory=list)


def _rational(value) -> float:
    if isinstance(value, tuple) and len(value) == 2:  # (numerator, denominator) from old writers
        num, den = value
        return float(num) / float(den) if den else math.nan
    return float(value)


def _dms_to_degrees(dms, ref) -> float:
    """GPS degrees/minutes/seconds rationals and a N/S/E/W reference as signed decimal degrees."""
    if isinstance(dms, (int, float)) or not hasattr(dms, "__len__"):
        parts = [_rational(dms)]
    else:
        parts = [_rational(v) for v in dms]
    if not parts or len(parts) > 3 or any(math.isnan(p) or p < 0 for p in parts):
        raise ValueError(f"malformed GPS value {dms!r}")
    degrees = sum(p / 60**i for i, p in enumerate(parts))
    if isinstance(ref, bytes):
        ref = ref.decode("ascii", "replace")
    ref = (ref or "").strip("\x00 ").upper()
    return -degrees if ref in {"S", "W"} else degrees


def read_exif(image: Image.Image, tz: tzinfo, name: str = "") -> ExifInfo:
    """Capture time and GPS position of an opened (not necessarily decoded) photo."""
    info = ExifInfo()
    try:
        exif = image.getexif()
    except Exception as exc:  # a broken EXIF block must not cost us the pixels
        info.warnings.append(f"{name}: unreadable EXIF ignored ({type(exc).__name__})")
        return info
    try:
        sub = exif.get_ifd(ExifTags.IFD.Exif)
    except Exception:
        sub = {}
    raw_time = sub.get(ExifTags.Base.DateTimeOriginal) or sub.get(ExifTags.Base.DateTimeDigitized)
    if raw_time:
        raw_offset = sub.get(ExifTags.Base.OffsetTimeOriginal) or sub.get(ExifTags.Base.OffsetTimeDigitized)
        if isinstance(raw_offset, bytes):
            raw_offset = raw_offset.decode("ascii", "replace")
        try:
            info.captured_at = parse_exif_datetime(raw_time, tz, raw_offset)
            info.time_was_naive = parse_offset(raw_offset) is None
        except (ValueError, OverflowError) as exc:
            info.warnings.append(f"{name}: EXIF DateTimeOriginal ignored: {exc}")
    try:
        gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    except Exception:
        gps = {}
    if gps and ExifTags.GPS.GPSLatitude in gps and ExifTags.GPS.GPSLongitude in gps:
        try:
            lat = _dms_to_degrees(gps[ExifTags.GPS.GPSLatitude], gps.get(ExifTags.GPS.GPSLatitudeRef))
            lon = _dms_to_degrees(gps[ExifTags.GPS.GPSLongitude], gps.get(ExifTags.GPS.GPSLongitudeRef))
            if not (-90.0 <= lat <= 90.0) or not (-180.0 <= lon <= 180.0):
                raise ValueError(f"position out of range (lat {lat:.4f}, lon {lon:.4f})")
            if lat == 0.0 and lon == 0.0:  # a camera without a fix writes 0/0
                raise ValueError("position 0, 0 is a placeholder")
            info.lat, info.lon = lat, lon
        except (ValueError, TypeError, ZeroDivisionError) as exc:
            info.warnings.append(f"{name}: EXIF GPS ignored: {exc}")
    return info
