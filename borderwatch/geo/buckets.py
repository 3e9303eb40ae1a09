"""Time buckets: day, ISO week or month in the user's time zone, bounded by UTC instants.

A bucket is a local calendar period: "2025-09-15", "2025-W38" (ISO week, Monday first, ISO year) or
"2025-09". Its start and end are the UTC instants of local midnight at its first day and at the
first day of the next bucket, so a frame taken at 23:30 Pyongyang time on 14 September is in the
bucket of 14 September even though it is already 14:30 UTC. Daylight-saving gaps and repeats at
midnight (rare; none on the Korean peninsula) resolve to the first valid instant.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd

from borderwatch.errors import ConfigError

BucketBy = Literal["day", "week", "month"]
BUCKETS: tuple[str, ...] = ("day", "week", "month")


def check_tz(tz: str) -> str:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ConfigError(f"unknown time zone {tz!r} (use an IANA name such as Asia/Pyongyang or UTC)") from exc
    return tz


def _as_utc(times) -> pd.Series:
    s = pd.Series(times)
    if not isinstance(s.dtype, pd.DatetimeTZDtype):
        s = pd.to_datetime(s, utc=True, errors="coerce")
    return s.dt.tz_convert("UTC")


def local_dates(times, tz: str) -> pd.Series:
    """The local calendar date (datetime64 at midnight, naive) of each UTC instant; NaT stays NaT."""
    return _as_utc(times).dt.tz_convert(check_tz(tz)).dt.tz_localize(None).dt.normalize()


def _localize(naive: pd.DatetimeIndex, tz: str) -> pd.DatetimeIndex:
    return naive.tz_localize(tz, nonexistent="shift_forward", ambiguous=np.zeros(len(naive), dtype=bool))


def bucket_table(times, by: BucketBy, tz: str) -> pd.DataFrame:
    """For each time: bucket label, bucket_start and bucket_end (UTC), local_date. Same index as
    ``times``; rows with a missing time have nulls."""
    if by not in BUCKETS:
        raise ConfigError(f"unknown bucket {by!r}; choose one of {', '.join(BUCKETS)}")
    utc = _as_utc(times)
    dates = local_dates(utc, tz)
    out = pd.DataFrame(index=utc.index)
    out["local_date"] = dates
    valid = dates.dropna()
    if valid.empty:
        out["bucket"] = pd.Series(pd.NA, index=utc.index, dtype="string")
        out["bucket_start"] = pd.Series(pd.NaT, index=utc.index, dtype="datetime64[us, UTC]")
        out["bucket_end"] = out["bucket_start"]
        return out
    unique = pd.DatetimeIndex(valid.unique())
    if by == "day":
        start = unique
        end = unique + pd.Timedelta(days=1)
        labels = unique.strftime("%Y-%m-%d")
    elif by == "week":
        start = unique - pd.to_timedelta(unique.weekday, unit="D")
        end = start + pd.Timedelta(days=7)
        iso = unique.isocalendar()
        labels = [f"{y}-W{w:02d}" for y, w in zip(iso["year"], iso["week"], strict=True)]
    else:
        start = unique.to_period("M").to_timestamp()
        end = (unique.to_period("M") + 1).to_timestamp()
        labels = unique.strftime("%Y-%m")
    table = pd.DataFrame(
        {
            "bucket": pd.array(list(labels), dtype="string"),
            "bucket_start": _localize(pd.DatetimeIndex(start), tz).tz_convert("UTC").astype("datetime64[us, UTC]"),
            "bucket_end": _localize(pd.DatetimeIndex(end), tz).tz_convert("UTC").astype("datetime64[us, UTC]"),
        },
        index=unique,
    )
    joined = table.reindex(dates.to_numpy())
    joined.index = utc.index
    out["bucket"] = joined["bucket"]
    out["bucket_start"] = joined["bucket_start"]
    out["bucket_end"] = joined["bucket_end"]
    return out
