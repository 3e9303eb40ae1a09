"""Manifests: a CSV or YAML list of frames with the time and place an analyst knows for each.

Columns (CSV header, or keys of each YAML entry):

``path`` (required)
    the image, relative to the manifest's folder; it must stay inside that folder.
``captured_at``
    ISO 8601 time or date (``2025-09-15``, ``2025-09-15 14:30``, ``2025-09-15T14:30:00+09:00``);
    empty means "use the EXIF or TIFF time". A time without an offset is read in ``timezone``.
``timezone``
    IANA name (``Asia/Pyongyang``) or offset (``+09:00``) for a naive ``captured_at``; default is
    the run's ``--tz`` (UTC unless given).
``area``
    name of the place pictured (a city or district the geo stage knows).
``lon``, ``lat``
    WGS84 degrees of the place pictured; both or neither.
``kind``
    ``photo`` or ``overhead`` (or empty / ``auto``: decided from the file).

A YAML manifest is a list of such mappings, or a mapping with a ``frames:`` list. A row with a bad
value is reported on one line naming the manifest, the row and the column; the other rows go on.

Bounds: a manifest is read only if it is a regular file of at most ``MAX_MANIFEST_BYTES``; YAML goes
through the one bounded loader (``borderwatch.yamlsafe``: no alias bombs, no huge values; a manifest
of more than a few hundred thousand rows should be CSV). A path is checked after resolving symlinks:
a link inside the folder that leads outside it is refused like ``..``.
"""

from __future__ import annotations

import csv
import math
import os
from dataclasses import dataclass
from datetime import date, datetime, tzinfo
from pathlib import Path

import yaml

from borderwatch.detector.exif import check_plausible, parse_exif_datetime, to_utc, zone
from borderwatch.errors import BorderwatchError, InputError

MANIFEST_EXTENSIONS = (".csv", ".yaml", ".yml")
COLUMNS = ("path", "captured_at", "timezone", "area", "lon", "lat", "kind")
KINDS = ("auto", "photo", "overhead")
MAX_MANIFEST_BYTES = 256 << 20
_ROW_ERROR = "\x00error"  # marks a row the reader could not split into columns


@dataclass
class ManifestEntry:
    """One good row: the file it names and the metadata the analyst gave."""

    path: Path  # absolute, inside the manifest's folder
    row: int  # CSV line number, or 1-based entry number in YAML
    kind: str = "auto"
    captured_at: datetime | None = None
    area: str | None = None
    lon: float | None = None
    lat: float | None = None


@dataclass
class ManifestProblem:
    """A row that could not be used, with the file it meant (when its path could be read)."""

    row: int
    error: InputError
    path: Path | None = None


@dataclass
class Manifest:
    path: Path
    entries: list[ManifestEntry]
    problems: list[ManifestProblem]
    warnings: list[str]


def is_manifest(path: Path) -> bool:
    return path.suffix.lower() in MANIFEST_EXTENSIONS


def read_manifest(path: str | Path, default_tz: tzinfo) -> Manifest:
    """Read and check every row; raises InputError only when the file as a whole is unusable."""
    path = Path(os.path.abspath(path))
    rows, where = _load_rows(path)
    if not rows:
        return Manifest(path, [], [], [f"{path}: manifest has no rows"])
    header = set().union(*(r.keys() for r in rows)) - {_ROW_ERROR}
    if "path" not in header:
        raise InputError(f"manifest has no 'path' column (columns: {', '.join(sorted(header)) or 'none'})", path)
    warnings = [
        f"{path}: unknown column {c!r} ignored (known: {', '.join(COLUMNS)})" for c in sorted(header - set(COLUMNS))
    ]
    root = Path(os.path.normpath(path.parent))
    entries: list[ManifestEntry] = []
    problems: list[ManifestProblem] = []
    seen: dict[Path, int] = {}
    for row_number, row in zip(where, rows, strict=True):
        target: Path | None = None
        try:
            if _ROW_ERROR in row:
                raise InputError(f"row {row_number}: {row[_ROW_ERROR]}", path)
            target = _resolve_path(row.get("path"), root, path, row_number)
            if target in seen:
                first, target = seen[target], None  # the file itself is fine: its first row stands
                raise _row_error(path, row_number, "path", f"same file as row {first}")
            entry = _parse_row(row, target, row_number, path, default_tz)
            seen[target] = row_number
            entries.append(entry)
        except InputError as exc:
            problems.append(ManifestProblem(row_number, exc, target))
    return Manifest(path, entries, problems, warnings)


def _load_rows(path: Path) -> tuple[list[dict], list[int]]:
    """Rows as dicts of stripped strings (or YAML scalars) and the row number of each."""
    from borderwatch.safe_read import read_text
    from borderwatch.yamlsafe import YamlRefused, load_yaml

    text = read_text(path, MAX_MANIFEST_BYTES, "manifest", encoding="utf-8-sig")
    if path.suffix.lower() == ".csv":
        reader = csv.DictReader(text.splitlines())
        if reader.fieldnames is None:
            return [], []
        reader.fieldnames = [(f or "").strip().lower() for f in reader.fieldnames]
        rows, where = [], []
        try:
            for record in reader:
                if not any((v or "").strip() for k, v in record.items() if k is not None):
                    continue  # blank line
                if None in record:
                    # keep the header's keys: a file whose only row is ragged still has its columns
                    extra = len(record.pop(None))
                    rows.append({**dict.fromkeys(record, ""), _ROW_ERROR: f"{extra} more value(s) than columns"})
                else:
                    rows.append({k: (v or "").strip() for k, v in record.items()})
                where.append(reader.line_num)
        except csv.Error as exc:
            raise InputError(f"line {reader.line_num}: {exc}", path) from exc
        return rows, where
    try:
        data = load_yaml(text, max_bytes=MAX_MANIFEST_BYTES)
    except YamlRefused as exc:
        raise InputError(f"YAML refused: {exc}", path) from exc
    except yaml.YAMLError as exc:
        raise InputError(f"not valid YAML: {' '.join(str(exc).split())}", path) from exc
    if isinstance(data, dict) and "frames" in data:
        data = data["frames"]
    if data is None:
        return [], []
    if not isinstance(data, list) or not all(isinstance(r, dict) for r in data):
        raise InputError("a YAML manifest must be a list of mappings (or have a 'frames:' list)", path)
    rows = [{str(k).strip().lower(): v for k, v in r.items()} for r in data]
    return rows, list(range(1, len(rows) + 1))


def _row_error(manifest: Path, row: int, column: str, reason: str) -> InputError:
    return InputError(f"row {row}, column {column}: {reason}", manifest)


def _text(value) -> str:
    return "" if value is None else str(value).strip()


def _resolve_path(value, root: Path, manifest: Path, row: int) -> Path:
    text = _text(value)
    if not text:
        raise _row_error(manifest, row, "path", "empty")
    if "\x00" in text:
        raise _row_error(manifest, row, "path", f"{text!r} contains a NUL byte")
    joined = Path(os.path.normpath(root / Path(text).expanduser()))
    # '..' may not climb out of the manifest's folder, so a manifest handed over with a batch of
    # images cannot point the tool at arbitrary files on the analyst's machine; nor may a symlink
    # inside the folder, so the check is made again on the resolved path. The path kept (and named
    # in messages) is the one the user laid out, not where links lead.
    if not joined.is_relative_to(root):
        raise _row_error(manifest, row, "path", f"{text!r} lies outside the manifest's folder {root}")
    try:
        real_root, real = root.resolve(), joined.resolve()
    except (OSError, RuntimeError) as exc:  # a symlink loop
        raise _row_error(manifest, row, "path", f"{text!r} cannot be resolved ({exc})") from None
    if not real.is_relative_to(real_root):
        raise _row_error(manifest, row, "path",
                         f"{text!r} leads through a symlink to {real}, outside the manifest's folder {root}")
    return joined


def _parse_row(row: dict, target: Path, row_number: int, manifest: Path, default_tz: tzinfo) -> ManifestEntry:
    entry = ManifestEntry(path=target, row=row_number)

    kind = _text(row.get("kind")).lower() or "auto"
    if kind not in KINDS:
        raise _row_error(manifest, row_number, "kind", f"{kind!r} is not one of {', '.join(KINDS)}")
    entry.kind = kind

    tz = default_tz
    tz_text = _text(row.get("timezone"))
    if tz_text:
        try:
            tz = zone(tz_text)
        except BorderwatchError as exc:
            raise _row_error(manifest, row_number, "timezone", exc.reason) from exc

    raw_time = row.get("captured_at")
    if raw_time is not None and _text(raw_time):
        try:
            entry.captured_at = parse_time(raw_time, tz)
        except (ValueError, OverflowError) as exc:
            raise _row_error(manifest, row_number, "captured_at", f"cannot use {_text(raw_time)!r}: {exc}") from exc

    entry.area = _text(row.get("area")) or None

    lon_text, lat_text = _text(row.get("lon")), _text(row.get("lat"))
    if bool(lon_text) != bool(lat_text):
        missing = "lat" if lon_text else "lon"
        raise _row_error(manifest, row_number, missing, "lon and lat must be given together")
    if lon_text:
        entry.lon = _coordinate(lon_text, 180.0, "lon", manifest, row_number)
        entry.lat = _coordinate(lat_text, 90.0, "lat", manifest, row_number)
    return entry


def _coordinate(text: str, limit: float, column: str, manifest: Path, row: int) -> float:
    try:
        value = float(text)
    except ValueError:
        raise _row_error(manifest, row, column, f"{text!r} is not a number") from None
    if not math.isfinite(value) or abs(value) > limit:
        raise _row_error(manifest, row, column, f"{text} is outside -{limit:g}..{limit:g} degrees")
    return value


def parse_time(value, tz: tzinfo) -> datetime:
    """A manifest time (ISO 8601 text, a YAML date or datetime) as aware UTC."""
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, date):
        parsed = datetime(value.year, value.month, value.day)
    else:
        text = _text(value)
        iso = text.replace(" ", "T", 1) if len(text) > 10 and text[10] == " " else text
        if iso.endswith(("z", "Z")):
            iso = iso[:-1] + "+00:00"
        try:
            parsed = datetime.fromisoformat(iso)
        except ValueError:
            # EXIF style "2025:09:15 14:30:00", which people paste from exiftool
            return parse_exif_datetime(text, tz)
    result = to_utc(parsed, tz)
    check_plausible(result)
    return result
